// A sweep: several configurations, each trained with several seeds, every run written as a run folder, and the
// tables an ablation ends with: runs.csv (one row per run), summary.csv and summary.json (per configuration: the
// runs, the mean, sample standard deviation, 95 % interval, min and max of the final validation loss, and the paired
// difference against a baseline configuration, seed by seed: core/train/paired_stats.h). `moelab-cli sweep` builds
// the grid from presets and --vary values; the app from its models A and B (A is the baseline).
#pragma once

#include "core/config.h"
#include "core/train/paired_stats.h"
#include "core/train/run.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
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
    size_t baseline = 0;  // the configuration every other one is compared with, seed by seed
    size_t runs() const { return configs.size() * seeds.size(); }
};

struct SweepRun {
    size_t config = 0;  // index into SweepPlan::configs
    uint64_t seed = 0;
    RunOutcome outcome;
    std::string status = "ok";  // or "failed: <why>" (training stopped on NaN), "stopped"
    // The last evaluation's validation loss per data domain, in metrics.csv's column order (empty when the data has
    // no domains or the run wrote none).
    std::vector<std::pair<std::string, double>> domain_val_loss;
};

// Over the finite values; sd is the sample standard deviation and [ci_low, ci_high] the 95 % interval of the mean,
// mean -/+ t_{0.975, n-1} sd / sqrt(n) (both NaN with fewer than two values).
struct SweepStats {
    int n = 0;
    double mean = NAN, sd = NAN, min = NAN, max = NAN;
    double ci_low = NAN, ci_high = NAN;
};
SweepStats sweep_stats(const std::vector<double>& values);
// The final validation losses of one configuration's runs.
SweepStats final_val_stats(const std::vector<SweepRun>& runs, size_t config);

// One configuration's final validation loss per seed of the plan, in plan.seeds order; NaN for a seed without a
// finished run. With `domain`, that domain's loss instead.
std::vector<double> final_val_by_seed(const SweepPlan& plan, const std::vector<SweepRun>& runs, size_t config,
                                      const std::string& domain = "");
// Configuration `config` (B) against plan.baseline (A), paired by seed: d = B - A of the final validation loss (of
// `domain`'s, when given); wins_b counts the seeds where `config` is lower.
PairedComparison paired_vs_baseline(const SweepPlan& plan, const std::vector<SweepRun>& runs, size_t config,
                                    const std::string& domain = "");
// The data domains the runs report a validation loss for, in order of first appearance.
std::vector<std::string> sweep_domains(const std::vector<SweepRun>& runs);
// The index of a configuration given by its label or by its 0-based index; throws ConfigError listing the labels.
size_t sweep_config_index(const SweepPlan& plan, const std::string& label_or_index);

// The per-domain validation losses of a run folder's last evaluation: metrics.csv's last row with a val_loss, its
// val_loss_<domain> columns. Empty when the folder has no metrics.csv or no such column.
std::vector<std::pair<std::string, double>> final_domain_val_losses(const std::filesystem::path& run_dir);

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
// is recorded as failed and the sweep goes on; other errors propagate. A plan.baseline that is not one of the
// configurations throws ConfigError before any training.
// A sweep does not resume: every run of the plan is trained afresh, so a folder is the whole of one sweep. Before
// the first run, a non-empty `dir` is a FileError unless `existing` is replace; then it must hold only an earlier
// sweep (summary.json, summary.csv, runs.csv and subfolders of run files only, see core/train/run.h), which is
// removed whole first. Anything else in it is refused and nothing is deleted.
std::vector<SweepRun> run_sweep(const SweepPlan& plan, const std::filesystem::path& dir, const SweepHooks& hooks,
                                ExistingFolder existing = ExistingFolder::refuse);

// What run_sweep removes from `dir` before its first run, in removal order (the tables, then each run folder's
// files and the folder): empty for a missing or empty `dir`. Throws the FileError run_sweep would (a non-empty
// folder with refuse, a file MoE Lab did not write), so a caller can check a folder before starting.
std::vector<std::filesystem::path> sweep_files_to_replace(const std::filesystem::path& dir, ExistingFolder existing);

// Writes dir/runs.csv, dir/summary.csv and dir/summary.json for the runs so far. summary.csv's columns after
// aux_loss_mean: ci_low, ci_high (of the mean), then against the baseline diff_mean, diff_se, diff_ci_low,
// diff_ci_high, wins (seeds where this configuration is lower), losses, n_pairs (empty on the baseline's own row),
// then diff_<domain> per data domain. summary.json holds the same per configuration, plus domain_val_loss_mean and
// domain_diff (per domain: the paired fields) and, at the top, the baseline's label. Throws ConfigError when
// plan.baseline is not a configuration.
void write_sweep_tables(const std::filesystem::path& dir, const SweepPlan& plan, const std::vector<SweepRun>& runs);

}  // namespace moe
