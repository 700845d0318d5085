// A sweep: several configurations, each trained with several seeds, every run written as a run folder, and the
// tables an ablation ends with: runs.csv (one row per run), summary.csv and summary.json (per configuration: the
// runs, the mean, sample standard deviation, min and max of the final validation loss). `moelab-cli sweep` builds
// the grid from presets and --vary values; the app from its models A and B.
#pragma once

#include "core/config.h"
#include "core/train/run.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace moe {

struct SweepConfig {
    std::string label;                // e.g. "deepseek aux_loss_alpha=0.01", or a lesson's model label
    std::vector<std::string> values;  // the value of each of SweepPlan::axes
    Config config;                    // its seed is replaced by each seed of the sweep
};

struct SweepPlan {
    std::vector<std::string> axes;  // the varied keys (columns of the tables); may be empty
    std::vector<SweepConfig> configs;
    std::vector<uint64_t> seeds;
    size_t runs() const { return configs.size() * seeds.size(); }
};

struct SweepRun {
    size_t config = 0;  // index into SweepPlan::configs
    uint64_t seed = 0;
    RunOutcome outcome;
    std::string status = "ok";  // or "failed: <why>" (training stopped on NaN), "stopped"
};

// Over the finite values; sd is the sample standard deviation (NaN with fewer than two values).
struct SweepStats {
    int n = 0;
    double mean = NAN, sd = NAN, min = NAN, max = NAN;
};
SweepStats sweep_stats(const std::vector<double>& values);
// The final validation losses of one configuration's runs.
SweepStats final_val_stats(const std::vector<SweepRun>& runs, size_t config);

struct SweepHooks {
    // How run `index` of `total` (configuration `config`, seed `seed`) is trained: its device, progress, stop.
    std::function<RunHooks(size_t index, size_t total, const SweepConfig& config, uint64_t seed)> run;
    // After each run (its tables are already written).
    std::function<void(const SweepRun& run, size_t index, size_t total)> on_run_done;
    // Polled between runs (a run's own hooks poll between steps).
    std::function<bool()> stop;
};

// Trains every configuration x seed in that order into dir/<label>_seed<S>/, rewriting the tables (atomically)
// after each run, so a sweep that is stopped keeps what it finished. A run whose training fails (TrainingError)
// is recorded as failed and the sweep goes on; other errors propagate.
std::vector<SweepRun> run_sweep(const SweepPlan& plan, const std::filesystem::path& dir, const SweepHooks& hooks);

// Writes dir/runs.csv, dir/summary.csv and dir/summary.json for the runs so far.
void write_sweep_tables(const std::filesystem::path& dir, const SweepPlan& plan, const std::vector<SweepRun>& runs);

}  // namespace moe
