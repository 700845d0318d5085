// moelab-cli sweep: the ablation grid of the design notes ("change one knob, run several seeds, compare the final
// table") as one command. Every configuration is resolved before the first step, so a typo fails at once; the
// tables are rewritten (atomically) after every run, so a long sweep that is stopped keeps what it finished; a run
// whose training fails (NaN) is recorded as failed and the sweep goes on.
#include "app/cli_commands.h"
#include "app/cli_config.h"
#include "app/cli_run.h"
#include "core/error.h"
#include "core/io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace moe::cli {

namespace {

struct Axis {
    std::string key;
    std::vector<std::string> values;
};

// "key=v1,v2,v3" -> an axis. Throws ConfigError naming the malformed text.
Axis parse_axis(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        throw ConfigError("--vary '" + text + "': write key=value1,value2,... (e.g. --vary aux_loss_alpha=0,0.01)");
    Axis a;
    a.key = text.substr(0, eq);
    std::stringstream values(text.substr(eq + 1));
    for (std::string v; std::getline(values, v, ',');)
        if (!v.empty()) a.values.push_back(v);
    if (a.values.empty()) throw ConfigError("--vary '" + text + "' lists no value");
    return a;
}

// One point of the grid, before the seed.
struct Variant {
    std::string preset;
    std::vector<std::string> values;  // one per axis
};

struct Row {
    const Variant* variant = nullptr;
    long long seed = 0;
    RunOutcome outcome;
    std::string status = "ok";
};

std::string variant_label(const Variant& v, const std::vector<Axis>& axes) {
    std::string s = v.preset;
    for (size_t i = 0; i < axes.size(); ++i) s += " " + axes[i].key + "=" + v.values[i];
    return s;
}

// A folder name from a label: letters, digits, '.', '-', '_' and '=' kept, anything else becomes '_'.
std::string folder_name(const std::string& label, long long seed) {
    std::string s;
    for (char c : label) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '=') ? c : '_';
    return s + "_seed" + std::to_string(seed);
}

std::string number(double x) {
    if (!std::isfinite(x)) return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", x);
    return buf;
}

std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

struct Stats {
    int n = 0;
    double mean = NAN, sd = NAN, min = NAN, max = NAN;
};

// Over the finite values; sd is the sample standard deviation (NaN with fewer than two).
Stats stats_of(const std::vector<double>& xs) {
    Stats s;
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
    }
    return s;
}

// runs.csv, summary.csv and summary.json from the rows so far.
void write_tables(const std::filesystem::path& dir, const std::vector<Axis>& axes, const std::vector<Variant>& variants,
                  const std::vector<Row>& rows) {
    std::string axis_header;
    for (const auto& a : axes) axis_header += "," + csv_cell(a.key);
    std::string runs = "label,preset" + axis_header +
                       ",seed,status,final_val_loss,final_loss,final_aux_loss,final_accuracy,steps,seconds,device,dir\n";
    nlohmann::json json_runs = nlohmann::json::array();
    for (const Row& r : rows) {
        const Variant& v = *r.variant;
        std::string axis_cells;
        for (const auto& value : v.values) axis_cells += "," + csv_cell(value);
        const RunOutcome& o = r.outcome;
        runs += csv_cell(variant_label(v, axes)) + "," + csv_cell(v.preset) + axis_cells + "," + std::to_string(r.seed) +
                "," + csv_cell(r.status) + "," + number(o.final_val_loss) + "," + number(o.final_loss) + "," +
                number(o.final_aux_loss) + "," + number(o.final_accuracy) + "," + std::to_string(o.steps) + "," +
                number(o.seconds) + "," + csv_cell(o.device) + "," + csv_cell(o.dir) + "\n";
        nlohmann::json j = {{"label", variant_label(v, axes)}, {"preset", v.preset}, {"seed", r.seed},
                            {"status", r.status}, {"steps", o.steps}, {"seconds", o.seconds},
                            {"device", o.device}, {"dir", o.dir}};
        for (size_t i = 0; i < axes.size(); ++i) j["vary"][axes[i].key] = v.values[i];
        for (const auto& [key, x] : {std::pair<const char*, double>{"final_val_loss", o.final_val_loss},
                                     {"final_loss", o.final_loss}, {"final_aux_loss", o.final_aux_loss},
                                     {"final_accuracy", o.final_accuracy}})
            j[key] = std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
        json_runs.push_back(j);
    }

    std::string summary = "label,preset" + axis_header +
                          ",runs,val_loss_mean,val_loss_sd,val_loss_min,val_loss_max,aux_loss_mean\n";
    nlohmann::json json_configs = nlohmann::json::array();
    for (const Variant& v : variants) {
        std::vector<double> val, aux;
        for (const Row& r : rows)
            if (r.variant == &v) {
                val.push_back(r.outcome.final_val_loss);
                aux.push_back(r.status == "ok" ? r.outcome.final_aux_loss : NAN);
            }
        if (val.empty()) continue;
        const Stats s = stats_of(val), a = stats_of(aux);
        std::string axis_cells;
        for (const auto& value : v.values) axis_cells += "," + csv_cell(value);
        summary += csv_cell(variant_label(v, axes)) + "," + csv_cell(v.preset) + axis_cells + "," +
                   std::to_string(s.n) + "," + number(s.mean) + "," + number(s.sd) + "," + number(s.min) + "," +
                   number(s.max) + "," + number(a.mean) + "\n";
        auto num = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
        json_configs.push_back({{"label", variant_label(v, axes)}, {"preset", v.preset}, {"runs", s.n},
                                {"val_loss_mean", num(s.mean)}, {"val_loss_sd", num(s.sd)},
                                {"val_loss_min", num(s.min)}, {"val_loss_max", num(s.max)},
                                {"aux_loss_mean", num(a.mean)}});
    }
    write_file_atomic(dir / "runs.csv", runs);
    write_file_atomic(dir / "summary.csv", summary);
    write_file_atomic(dir / "summary.json", nlohmann::json{{"runs", json_runs}, {"configs", json_configs}}.dump(2));
}

}  // namespace

int run_sweep(const SweepOptions& o) {
    std::vector<Axis> axes;
    for (const auto& text : o.vary) axes.push_back(parse_axis(text));
    const std::vector<std::string> presets = o.presets.empty() ? std::vector<std::string>{"deepseek"} : o.presets;
    if (o.seeds.empty()) throw ConfigError("--seeds lists no seed");

    // The grid: presets x the cartesian product of the axes' values.
    std::vector<Variant> variants;
    for (const auto& preset : presets) {
        std::vector<size_t> at(axes.size(), 0);
        for (;;) {
            Variant v{preset, {}};
            for (size_t i = 0; i < axes.size(); ++i) v.values.push_back(axes[i].values[at[i]]);
            variants.push_back(v);
            size_t i = 0;
            while (i < axes.size() && ++at[i] == axes[i].values.size()) at[i++] = 0;
            if (i == axes.size()) break;
        }
    }

    // Every run's config, resolved now: a wrong key or value stops the sweep before any training.
    struct Job {
        const Variant* variant;
        long long seed;
        Config config;
    };
    std::vector<Job> jobs;
    for (const Variant& v : variants)
        for (long long seed : o.seeds) {
            std::vector<std::string> settings = o.settings;
            for (size_t i = 0; i < axes.size(); ++i) settings.push_back(axes[i].key + "=" + v.values[i]);
            if (o.steps >= 0) settings.push_back("steps=" + std::to_string(o.steps));
            settings.push_back("seed=" + std::to_string(seed));
            try {
                jobs.push_back({&v, seed, load_cli_config(v.preset, o.config_file, settings)});
            } catch (const ConfigError& e) {
                throw ConfigError(variant_label(v, axes) + " seed " + std::to_string(seed) + ": " + e.what());
            }
        }

    const std::filesystem::path dir(o.out_dir);
    ensure_directory(dir);
    if (!o.quiet)
        std::fprintf(stderr, "moelab-cli sweep: %zu configurations x %zu seeds = %zu runs -> %s\n", variants.size(),
                     o.seeds.size(), jobs.size(), o.out_dir.c_str());
    std::vector<Row> rows;
    int failed = 0;
    for (size_t j = 0; j < jobs.size(); ++j) {
        const Job& job = jobs[j];
        const std::string label = variant_label(*job.variant, axes);
        const std::string tag = "[" + std::to_string(j + 1) + "/" + std::to_string(jobs.size()) + " " + label +
                                " seed " + std::to_string(job.seed) + "] ";
        Row row{job.variant, job.seed, {}, "ok"};
        const std::string out = (dir / folder_name(label, job.seed)).string();
        try {
            row.outcome = train_run(job.config, out, o.device, o.quiet, tag);
        } catch (const TrainingError& e) {
            row.status = std::string("failed: ") + e.what();
            row.outcome.dir = out;
            row.outcome.final_val_loss = NAN;
            ++failed;
            std::fprintf(stderr, "%s%s\n", tag.c_str(), row.status.c_str());
        }
        rows.push_back(row);
        write_tables(dir, axes, variants, rows);
    }

    // The final table, as summary.csv has it.
    std::printf("%-48s %4s  %-20s %8s %8s\n", "configuration", "runs", "val loss mean +- sd", "min", "max");
    for (const Variant& v : variants) {
        std::vector<double> val;
        for (const Row& r : rows)
            if (r.variant == &v) val.push_back(r.outcome.final_val_loss);
        const Stats s = stats_of(val);
        char ms[48];
        if (std::isfinite(s.sd))
            std::snprintf(ms, sizeof ms, "%.4f +- %.4f", s.mean, s.sd);
        else
            std::snprintf(ms, sizeof ms, "%.4f", s.mean);
        std::printf("%-48s %4d  %-20s %8.4f %8.4f\n", variant_label(v, axes).c_str(), s.n, ms, s.min, s.max);
    }
    if (!o.quiet)
        std::fprintf(stderr, "wrote %s/{runs.csv,summary.csv,summary.json} and one run folder per run\n",
                     o.out_dir.c_str());
    if (failed) {
        std::fprintf(stderr, "moelab-cli sweep: %d of %zu runs failed (see runs.csv)\n", failed, jobs.size());
        return 3;
    }
    return 0;
}

}  // namespace moe::cli
