// moelab-cli sweep: the ablation grid of the design notes ("change one knob, run several seeds, compare the final
// table") as one command: every preset x every combination of the --vary values x every seed (core/train/sweep.h).
// Every configuration is resolved before the first step, so a typo or an impossible value (or an unknown --baseline)
// fails at once and writes nothing. The final table compares every configuration with the baseline seed by seed.
#include "app/cli_commands.h"
#include "app/cli_config.h"
#include "app/cli_hooks.h"
#include "core/error.h"
#include "core/train/sweep.h"
#include "gpu/gpu_backend.h"

#include <cmath>
#include <cstdio>
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

// presets x the cartesian product of the axes' values, each resolved (seeds are set per run).
SweepPlan plan_of(const SweepOptions& o) {
    std::vector<Axis> axes;
    for (const auto& text : o.vary) axes.push_back(parse_axis(text));
    SweepPlan plan;
    for (const auto& a : axes) plan.axes.push_back(a.key);
    for (long long seed : o.seeds) {
        if (seed < 0) throw ConfigError("--seeds: a seed cannot be negative (" + std::to_string(seed) + ")");
        plan.seeds.push_back(static_cast<uint64_t>(seed));
    }
    if (plan.seeds.empty()) throw ConfigError("--seeds lists no seed");
    const std::vector<std::string> presets = o.presets.empty() ? std::vector<std::string>{"deepseek"} : o.presets;
    for (const auto& preset : presets) {
        std::vector<size_t> at(axes.size(), 0);
        for (;;) {
            SweepConfig c;
            c.label = preset;
            std::vector<std::string> settings = o.settings;
            for (size_t i = 0; i < axes.size(); ++i) {
                c.values.push_back(axes[i].values[at[i]]);
                c.label += " " + axes[i].key + "=" + c.values.back();
                settings.push_back(axes[i].key + "=" + c.values.back());
            }
            if (o.steps >= 0) settings.push_back("steps=" + std::to_string(o.steps));
            try {
                c.config = load_cli_config(preset, o.config_file, settings);
            } catch (const ConfigError& e) {
                throw ConfigError(c.label + ": " + e.what());
            }
            plan.configs.push_back(std::move(c));
            size_t i = 0;
            while (i < axes.size() && ++at[i] == axes[i].values.size()) at[i++] = 0;
            if (i == axes.size()) break;
        }
    }
    if (!o.baseline.empty()) plan.baseline = sweep_config_index(plan, o.baseline);
    return plan;
}

// "2.1234 +- 0.0123", or the mean alone with one run.
std::string mean_sd_text(const SweepStats& s) {
    char buf[64];
    if (std::isfinite(s.sd))
        std::snprintf(buf, sizeof buf, "%.4f +- %.4f", s.mean, s.sd);
    else
        std::snprintf(buf, sizeof buf, "%.4f", s.mean);
    return buf;
}

// "[2.0012, 2.2345]", or "-" when there is no interval (fewer than two runs).
std::string interval_text(double low, double high, bool sign = false) {
    if (!std::isfinite(low) || !std::isfinite(high)) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, sign ? "[%+.4f, %+.4f]" : "[%.4f, %.4f]", low, high);
    return buf;
}

// The final table, as summary.csv has it: per configuration the final validation loss's mean +- sd, the 95 %
// interval of the mean, min, max and the paired difference against the baseline; then each comparison in words.
void print_final_table(const SweepPlan& plan, const std::vector<SweepRun>& runs) {
    std::printf("%-48s %4s  %-20s %-20s %8s %8s  %-10s %-22s %s\n", "configuration", "runs", "val loss mean +- sd",
                "95% CI of mean", "min", "max", "- baseline", "95% CI of difference", "lower/higher");
    for (size_t i = 0; i < plan.configs.size(); ++i) {
        const SweepStats s = final_val_stats(runs, i);
        std::string diff = "baseline", diff_ci, wins;
        if (i != plan.baseline) {
            const PairedComparison p = paired_vs_baseline(plan, runs, i);
            char buf[32];
            std::snprintf(buf, sizeof buf, "%+.4f", p.mean_diff);
            diff = p.n ? buf : "-";
            diff_ci = interval_text(p.ci_low, p.ci_high, true);
            wins = std::to_string(p.wins_b) + "/" + std::to_string(p.wins_a) + " of " + std::to_string(p.n);
        }
        std::printf("%-48s %4d  %-20s %-20s %8.4f %8.4f  %-10s %-22s %s\n", plan.configs[i].label.c_str(), s.n,
                    mean_sd_text(s).c_str(), interval_text(s.ci_low, s.ci_high).c_str(), s.min, s.max, diff.c_str(),
                    diff_ci.c_str(), wins.c_str());
    }
    if (plan.configs.size() < 2) return;
    const std::string& base = plan.configs[plan.baseline].label;
    std::printf("\nfinal validation loss paired by seed against the baseline \"%s\":\n", base.c_str());
    for (size_t i = 0; i < plan.configs.size(); ++i)
        if (i != plan.baseline)
            std::printf("  %s\n", describe_paired(paired_vs_baseline(plan, runs, i), base, plan.configs[i].label).c_str());
}

}  // namespace

int run_sweep(const SweepOptions& o) {
    const SweepPlan plan = plan_of(o);
    gpu::parse_compute_device(o.device);  // an unknown device name fails here, before any training
    if (!o.quiet)
        std::fprintf(stderr, "moelab-cli sweep: %zu configurations x %zu seeds = %zu runs -> %s\n", plan.configs.size(),
                     plan.seeds.size(), plan.runs(), o.out_dir.c_str());
    SweepHooks hooks;
    hooks.run = [&](size_t index, size_t total, const SweepConfig& c, uint64_t seed) {
        const std::string tag = "[" + std::to_string(index + 1) + "/" + std::to_string(total) + " " + c.label +
                                " seed " + std::to_string(seed) + "] ";
        return cli_run_hooks(o.device, o.quiet, tag);
    };
    int failed = 0;
    hooks.on_run_done = [&](const SweepRun& r, size_t, size_t) {
        if (r.status == "ok") return;
        ++failed;
        std::fprintf(stderr, "%s seed %llu: %s\n", plan.configs[r.config].label.c_str(),
                     static_cast<unsigned long long>(r.seed), r.status.c_str());
    };
    const std::vector<SweepRun> runs = moe::run_sweep(
        plan, o.out_dir, hooks, o.overwrite ? ExistingFolder::replace : ExistingFolder::refuse);

    print_final_table(plan, runs);
    if (!o.quiet)
        std::fprintf(stderr, "wrote %s/{runs.csv,summary.csv,summary.json} and one run folder per run\n",
                     o.out_dir.c_str());
    if (failed) {
        std::fprintf(stderr, "moelab-cli sweep: %d of %zu runs failed (see runs.csv)\n", failed, plan.runs());
        return 3;
    }
    return 0;
}

}  // namespace moe::cli
