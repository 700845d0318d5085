#include "core/train/sweep.h"

#include "core/error.h"
#include "core/train/table_cells.h"
#include "core/io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <system_error>

namespace moe {

namespace {

// A folder name from a label: letters, digits, '.', '-', '=' kept, anything else becomes '_'.
std::string folder_name(const std::string& label, uint64_t seed) {
    std::string s;
    for (char c : label) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '=') ? c : '_';
    return s + "_seed" + std::to_string(seed);
}

// The cells of one CSV line (metrics.csv quotes nothing: its names are csv_name'd, its cells numbers).
std::vector<std::string_view> csv_split(std::string_view line) {
    std::vector<std::string_view> cells;
    for (size_t start = 0;;) {
        const size_t comma = line.find(',', start);
        cells.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos) return cells;
        start = comma + 1;
    }
}

// A number cell; NaN when empty or not a number.
double csv_value(std::string_view cell) {
    double x = NAN;
    const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), x);
    return ec == std::errc() && ptr == cell.data() + cell.size() ? x : NAN;
}

// The paired fields of summary.json; all null on the baseline's own row.
nlohmann::json paired_json(const PairedComparison& p, bool baseline) {
    if (baseline)
        return {{"diff_mean", nullptr}, {"diff_se", nullptr}, {"diff_ci_low", nullptr}, {"diff_ci_high", nullptr},
                {"wins", nullptr},      {"losses", nullptr},  {"n_pairs", nullptr}};
    return {{"diff_mean", json_number(p.mean_diff)}, {"diff_se", json_number(p.se)},
            {"diff_ci_low", json_number(p.ci_low)},  {"diff_ci_high", json_number(p.ci_high)},
            {"wins", p.wins_b},                      {"losses", p.wins_a},
            {"n_pairs", p.n}};
}

// Every comparison is against plan.baseline: it must be one of the configurations (an empty plan has none to need).
void check_baseline(const SweepPlan& plan) {
    if (!plan.configs.empty() && plan.baseline >= plan.configs.size())
        throw ConfigError("the sweep's baseline is configuration " + std::to_string(plan.baseline) + ", but it has " +
                          std::to_string(plan.configs.size()) + " (0 to " + std::to_string(plan.configs.size() - 1) +
                          "): choose one of them");
}

// The label, preset and varied values of a configuration, as CSV cells.
std::string config_cells(const SweepConfig& c) {
    std::string s = csv_cell(c.label) + "," + csv_cell(c.config.preset);
    for (const auto& v : c.values) s += "," + csv_cell(v);
    return s;
}

// The sweep's own tables, rewritten whole after each run.
const std::vector<std::string> kSweepTables = {"summary.json", "summary.csv", "runs.csv"};

}  // namespace

std::vector<std::filesystem::path> sweep_files_to_replace(const std::filesystem::path& dir, ExistingFolder existing) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return files_to_replace(dir, existing);  // missing: fine; a file: FileError
    std::vector<fs::path> run_dirs;           // subfolders: run folders of the earlier sweep
    std::vector<fs::directory_entry> others;  // must all be its tables
    try {
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (entry.is_directory() && !entry.is_symlink())
                run_dirs.push_back(entry.path());
            else
                others.push_back(entry);
        }
    } catch (const fs::filesystem_error& e) {
        throw FileError("Cannot list the sweep folder '" + dir.string() + "': " + e.code().message() +
                        ". Check that it is readable, or choose another folder.");
    }
    if (run_dirs.empty() && others.empty()) return {};
    if (existing == ExistingFolder::refuse)
        throw FileError("The sweep folder '" + dir.string() +
                        "' is not empty: a new sweep is never mixed with an earlier one. Choose another "
                        "folder, or replace the earlier sweep (moelab-cli: --overwrite).");
    std::vector<fs::path> paths;  // the tables first, so a removal cut short does not read as a finished sweep
    for (const auto& entry : others) {
        const std::string name = entry.path().filename().string();
        bool table = false;
        for (const std::string& t : kSweepTables)
            table = table || name == t || name.rfind(t + ".tmp-", 0) == 0;
        if (!table || !entry.is_regular_file() || entry.is_symlink())
            throw FileError("The sweep folder '" + dir.string() + "' holds '" + name +
                            "', which MoE Lab did not write: it replaces only a folder of its own sweep and deletes "
                            "nothing else. Move that file away, or choose another folder.");
        paths.push_back(entry.path());
    }
    std::sort(run_dirs.begin(), run_dirs.end());
    for (const fs::path& d : run_dirs) {
        for (fs::path& p : files_to_replace(d, ExistingFolder::replace)) paths.push_back(std::move(p));
        paths.push_back(d);  // emptied by the entries before it
    }
    return paths;
}

SweepStats sweep_stats(const std::vector<double>& xs) {
    SweepStats s;
    double sum = 0;
    for (double x : xs) {
        if (!std::isfinite(x)) continue;
        s.min = s.n ? std::min(s.min, x) : x;
        s.max = s.n ? std::max(s.max, x) : x;
        sum += x;
        ++s.n;
    }
    if (s.n == 0) return s;
    s.mean = sum / s.n;
    if (s.n > 1) {
        double ss = 0;
        for (double x : xs)
            if (std::isfinite(x)) ss += (x - s.mean) * (x - s.mean);
        s.sd = std::sqrt(ss / (s.n - 1));
        const Interval ci = mean_interval_95(s.mean, s.sd, s.n);
        s.ci_low = ci.low;
        s.ci_high = ci.high;
    }
    return s;
}

SweepStats final_val_stats(const std::vector<SweepRun>& runs, size_t config) {
    std::vector<double> val;
    for (const SweepRun& r : runs)
        if (r.config == config) val.push_back(r.status == "ok" ? r.outcome.final_val_loss : NAN);
    return sweep_stats(val);
}

std::vector<double> final_val_by_seed(const SweepPlan& plan, const std::vector<SweepRun>& runs, size_t config,
                                      const std::string& domain) {
    std::vector<double> val(plan.seeds.size(), NAN);
    for (const SweepRun& r : runs) {
        if (r.config != config || r.status != "ok") continue;
        const auto at = std::find(plan.seeds.begin(), plan.seeds.end(), r.seed);
        if (at == plan.seeds.end()) continue;
        double& v = val[static_cast<size_t>(at - plan.seeds.begin())];
        if (domain.empty()) {
            v = r.outcome.final_val_loss;
            continue;
        }
        for (const auto& [name, loss] : r.domain_val_loss)
            if (name == domain) v = loss;
    }
    return val;
}

PairedComparison paired_vs_baseline(const SweepPlan& plan, const std::vector<SweepRun>& runs, size_t config,
                                    const std::string& domain) {
    return paired_comparison(final_val_by_seed(plan, runs, plan.baseline, domain),
                             final_val_by_seed(plan, runs, config, domain));
}

std::vector<std::string> sweep_domains(const std::vector<SweepRun>& runs) {
    std::vector<std::string> names;
    for (const SweepRun& r : runs)
        for (const auto& entry : r.domain_val_loss)
            if (std::find(names.begin(), names.end(), entry.first) == names.end()) names.push_back(entry.first);
    return names;
}

size_t sweep_config_index(const SweepPlan& plan, const std::string& label_or_index) {
    for (size_t i = 0; i < plan.configs.size(); ++i)
        if (plan.configs[i].label == label_or_index) return i;
    size_t index = 0;
    const auto [ptr, ec] = std::from_chars(label_or_index.data(), label_or_index.data() + label_or_index.size(), index);
    if (!label_or_index.empty() && ec == std::errc() && ptr == label_or_index.data() + label_or_index.size() &&
        index < plan.configs.size())
        return index;
    std::string labels;
    for (size_t i = 0; i < plan.configs.size(); ++i)
        labels += (i ? ", " : "") + std::to_string(i) + " \"" + plan.configs[i].label + "\"";
    throw ConfigError("baseline '" + label_or_index + "' is neither the label nor the index of a configuration; " +
                      "the configurations are: " + labels);
}

std::vector<std::pair<std::string, double>> final_domain_val_losses(const std::filesystem::path& run_dir) {
    const std::filesystem::path path = run_dir / "metrics.csv";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return {};
    std::istringstream in(read_file(path));
    std::string header;
    if (!std::getline(in, header)) return {};
    const auto names = csv_split(header);
    const std::string_view prefix = "val_loss_";
    size_t val_column = names.size();
    std::vector<size_t> columns;
    for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == "val_loss") val_column = i;
        if (names[i].substr(0, prefix.size()) == prefix && names[i].size() > prefix.size()) columns.push_back(i);
    }
    if (columns.empty() || val_column == names.size()) return {};
    std::string last;  // the last row that holds a validation loss
    for (std::string line; std::getline(in, line);) {
        const auto cells = csv_split(line);
        if (val_column < cells.size() && !cells[val_column].empty()) last = line;
    }
    std::vector<std::pair<std::string, double>> out;
    const auto cells = csv_split(last);
    for (size_t c : columns)
        out.emplace_back(std::string(names[c].substr(prefix.size())), c < cells.size() ? csv_value(cells[c]) : NAN);
    return out;
}

void write_sweep_tables(const std::filesystem::path& dir, const SweepPlan& plan, const std::vector<SweepRun>& runs) {
    check_baseline(plan);
    const std::vector<std::string> domains = sweep_domains(runs);
    std::string axis_header;
    for (const auto& key : plan.axes) axis_header += "," + csv_cell(key);
    std::string runs_csv = "label,preset" + axis_header +
                           ",seed,status,final_val_loss,final_loss,final_aux_loss,final_accuracy,steps,seconds,device,"
                           "dir\n";
    nlohmann::json json_runs = nlohmann::json::array();
    for (const SweepRun& r : runs) {
        const SweepConfig& c = plan.configs[r.config];
        const RunOutcome& o = r.outcome;
        runs_csv += config_cells(c) + "," + std::to_string(r.seed) + "," + csv_cell(r.status) + "," +
                    table_number(o.final_val_loss) + "," + table_number(o.final_loss) + "," + table_number(o.final_aux_loss) + "," +
                    table_number(o.final_accuracy) + "," + std::to_string(o.steps) + "," + table_number(o.seconds) + "," +
                    csv_cell(o.device) + "," + csv_cell(o.dir) + "\n";
        nlohmann::json j = {{"label", c.label},   {"preset", c.config.preset}, {"seed", r.seed},
                            {"status", r.status}, {"steps", o.steps},          {"seconds", o.seconds},
                            {"device", o.device}, {"dir", o.dir},
                            {"final_val_loss", json_number(o.final_val_loss)},
                            {"final_loss", json_number(o.final_loss)},
                            {"final_aux_loss", json_number(o.final_aux_loss)},
                            {"final_accuracy", json_number(o.final_accuracy)}};
        for (size_t i = 0; i < plan.axes.size(); ++i) j["vary"][plan.axes[i]] = c.values[i];
        for (const auto& [name, loss] : r.domain_val_loss) j["domain_val_loss"][name] = json_number(loss);
        json_runs.push_back(j);
    }

    std::string summary = "label,preset" + axis_header +
                          ",runs,val_loss_mean,val_loss_sd,val_loss_min,val_loss_max,aux_loss_mean,ci_low,ci_high,"
                          "diff_mean,diff_se,diff_ci_low,diff_ci_high,wins,losses,n_pairs";
    for (const auto& d : domains) summary += "," + csv_cell("diff_" + d);
    summary += "\n";
    nlohmann::json json_configs = nlohmann::json::array();
    for (size_t i = 0; i < plan.configs.size(); ++i) {
        std::vector<double> aux;
        for (const SweepRun& r : runs)
            if (r.config == i) aux.push_back(r.status == "ok" ? r.outcome.final_aux_loss : NAN);
        if (aux.empty()) continue;
        const SweepStats s = final_val_stats(runs, i), a = sweep_stats(aux);
        const bool is_baseline = i == plan.baseline;
        const PairedComparison p = paired_vs_baseline(plan, runs, i);
        summary += config_cells(plan.configs[i]) + "," + std::to_string(s.n) + "," + table_number(s.mean) + "," +
                   table_number(s.sd) + "," + table_number(s.min) + "," + table_number(s.max) + "," + table_number(a.mean) + "," +
                   table_number(s.ci_low) + "," + table_number(s.ci_high);
        if (is_baseline)
            summary += ",,,,,,,";
        else
            summary += "," + table_number(p.mean_diff) + "," + table_number(p.se) + "," + table_number(p.ci_low) + "," +
                       table_number(p.ci_high) + "," + std::to_string(p.wins_b) + "," + std::to_string(p.wins_a) + "," +
                       std::to_string(p.n);
        nlohmann::json domain_mean = nlohmann::json::object(), domain_diff = nlohmann::json::object();
        for (const auto& d : domains) {
            const PairedComparison pd = paired_vs_baseline(plan, runs, i, d);
            summary += "," + (is_baseline ? std::string() : table_number(pd.mean_diff));
            domain_mean[d] = json_number(sweep_stats(final_val_by_seed(plan, runs, i, d)).mean);
            domain_diff[d] = paired_json(pd, is_baseline);
        }
        summary += "\n";
        nlohmann::json j = {{"label", plan.configs[i].label}, {"preset", plan.configs[i].config.preset},
                            {"runs", s.n}, {"val_loss_mean", json_number(s.mean)},
                            {"val_loss_sd", json_number(s.sd)}, {"val_loss_min", json_number(s.min)},
                            {"val_loss_max", json_number(s.max)}, {"aux_loss_mean", json_number(a.mean)},
                            {"ci_low", json_number(s.ci_low)}, {"ci_high", json_number(s.ci_high)},
                            {"baseline", is_baseline}};
        j.update(paired_json(p, is_baseline));
        if (!domains.empty()) {
            j["domain_val_loss_mean"] = domain_mean;
            j["domain_diff"] = domain_diff;
        }
        json_configs.push_back(j);
    }
    write_file_atomic(dir / "runs.csv", runs_csv);
    write_file_atomic(dir / "summary.csv", summary);
    write_file_atomic(dir / "summary.json", nlohmann::json{{"baseline", plan.configs.empty() ? nlohmann::json(nullptr)
                                                                              : nlohmann::json(plan.configs[plan.baseline].label)},
                                                          {"runs", json_runs},
                                                          {"configs", json_configs}}
                                               .dump(2));
}

std::vector<SweepRun> run_sweep(const SweepPlan& plan, const std::filesystem::path& dir, const SweepHooks& hooks,
                                ExistingFolder existing) {
    check_baseline(plan);
    remove_earlier_files(sweep_files_to_replace(dir, existing), "sweep");
    ensure_directory(dir);
    std::vector<SweepRun> runs;
    const size_t total = plan.runs();
    size_t index = 0;
    for (size_t c = 0; c < plan.configs.size(); ++c)
        for (uint64_t seed : plan.seeds) {
            if (hooks.stop && hooks.stop()) return runs;
            const SweepConfig& sc = plan.configs[c];
            Config config = sc.config;
            config.train.seed = seed;
            SweepRun run;
            run.config = c;
            run.seed = seed;
            const std::string out = (dir / folder_name(sc.label, seed)).string();
            const RunHooks run_hooks = hooks.run ? hooks.run(index, total, sc, seed) : RunHooks{};
            try {
                run.outcome = train_run(config, out, run_hooks);
                if (run.outcome.stopped) run.status = "stopped";
                run.domain_val_loss = final_domain_val_losses(out);
            } catch (const TrainingError& e) {
                run.status = std::string("failed: ") + e.what();
                run.outcome.dir = out;
                run.outcome.final_val_loss = NAN;
            }
            runs.push_back(run);
            write_sweep_tables(dir, plan, runs);
            if (hooks.on_run_done) hooks.on_run_done(runs.back(), index, total);
            ++index;
            if (run.status == "stopped") return runs;
        }
    return runs;
}

}  // namespace moe
