#include "core/train/sweep.h"

#include "core/error.h"
#include "core/io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace moe {

namespace {

// A folder name from a label: letters, digits, '.', '-', '=' kept, anything else becomes '_'.
std::string folder_name(const std::string& label, uint64_t seed) {
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

nlohmann::json json_number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

// The label, preset and varied values of a configuration, as CSV cells.
std::string config_cells(const SweepConfig& c) {
    std::string s = csv_cell(c.label) + "," + csv_cell(c.config.preset);
    for (const auto& v : c.values) s += "," + csv_cell(v);
    return s;
}

}  // namespace

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
    }
    return s;
}

SweepStats final_val_stats(const std::vector<SweepRun>& runs, size_t config) {
    std::vector<double> val;
    for (const SweepRun& r : runs)
        if (r.config == config) val.push_back(r.status == "ok" ? r.outcome.final_val_loss : NAN);
    return sweep_stats(val);
}

void write_sweep_tables(const std::filesystem::path& dir, const SweepPlan& plan, const std::vector<SweepRun>& runs) {
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
                    number(o.final_val_loss) + "," + number(o.final_loss) + "," + number(o.final_aux_loss) + "," +
                    number(o.final_accuracy) + "," + std::to_string(o.steps) + "," + number(o.seconds) + "," +
                    csv_cell(o.device) + "," + csv_cell(o.dir) + "\n";
        nlohmann::json j = {{"label", c.label},   {"preset", c.config.preset}, {"seed", r.seed},
                            {"status", r.status}, {"steps", o.steps},          {"seconds", o.seconds},
                            {"device", o.device}, {"dir", o.dir},
                            {"final_val_loss", json_number(o.final_val_loss)},
                            {"final_loss", json_number(o.final_loss)},
                            {"final_aux_loss", json_number(o.final_aux_loss)},
                            {"final_accuracy", json_number(o.final_accuracy)}};
        for (size_t i = 0; i < plan.axes.size(); ++i) j["vary"][plan.axes[i]] = c.values[i];
        json_runs.push_back(j);
    }

    std::string summary = "label,preset" + axis_header +
                          ",runs,val_loss_mean,val_loss_sd,val_loss_min,val_loss_max,aux_loss_mean\n";
    nlohmann::json json_configs = nlohmann::json::array();
    for (size_t i = 0; i < plan.configs.size(); ++i) {
        std::vector<double> aux;
        for (const SweepRun& r : runs)
            if (r.config == i) aux.push_back(r.status == "ok" ? r.outcome.final_aux_loss : NAN);
        if (aux.empty()) continue;
        const SweepStats s = final_val_stats(runs, i), a = sweep_stats(aux);
        summary += config_cells(plan.configs[i]) + "," + std::to_string(s.n) + "," + number(s.mean) + "," +
                   number(s.sd) + "," + number(s.min) + "," + number(s.max) + "," + number(a.mean) + "\n";
        json_configs.push_back({{"label", plan.configs[i].label}, {"preset", plan.configs[i].config.preset},
                                {"runs", s.n}, {"val_loss_mean", json_number(s.mean)},
                                {"val_loss_sd", json_number(s.sd)}, {"val_loss_min", json_number(s.min)},
                                {"val_loss_max", json_number(s.max)}, {"aux_loss_mean", json_number(a.mean)}});
    }
    write_file_atomic(dir / "runs.csv", runs_csv);
    write_file_atomic(dir / "summary.csv", summary);
    write_file_atomic(dir / "summary.json", nlohmann::json{{"runs", json_runs}, {"configs", json_configs}}.dump(2));
}

std::vector<SweepRun> run_sweep(const SweepPlan& plan, const std::filesystem::path& dir, const SweepHooks& hooks) {
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
