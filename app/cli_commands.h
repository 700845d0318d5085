// The subcommands of moelab-cli. Each returns the process exit code; errors for a person are thrown as
// moe::Error subclasses and turned into one message by main().
#pragma once

#include <string>
#include <vector>

namespace moe::cli {

struct TrainOptions {
    std::string preset;
    std::string config_file;
    std::vector<std::string> settings;
    int steps = -1;         // -1: from the config
    long long seed = -1;    // -1: from the config
    std::string data_file;  // trains on this text file
    std::string out_dir;
    std::string device = "cpu";  // cpu | cuda | auto | emulated (gpu/gpu_backend.h)
    bool quiet = false;
    bool overwrite = false;  // replace an existing, non-empty --out folder (otherwise refused)
};
int run_train(const TrainOptions& options);

// A grid of runs for an ablation: every preset x every combination of the --vary values x every seed, each written
// as a run folder, plus runs.csv, summary.csv (mean, standard deviation, 95 % interval, min, max over the seeds, and
// the paired difference against the baseline configuration) and summary.json.
struct SweepOptions {
    std::vector<std::string> presets;   // default: deepseek
    std::string config_file;
    std::vector<std::string> settings;  // key=value for every run
    std::vector<std::string> vary;      // key=v1,v2,... : one axis of the grid each
    std::vector<long long> seeds = {1, 2, 3};
    int steps = -1;
    std::string out_dir = "runs/sweep";
    std::string device = "cpu";
    std::string baseline;  // label or 0-based index of the configuration compared with; empty: the first
    bool quiet = false;
    bool overwrite = false;  // replace an earlier sweep in --out (only its own tables and run folders; otherwise a
                             // non-empty folder is refused)
};
int run_sweep(const SweepOptions& options);

struct InspectOptions {
    std::string checkpoint;
    std::string text;
    std::string out;
};
int run_inspect(const InspectOptions& options);

struct ParamsOptions {
    std::string preset;
    std::string config_file;
    std::vector<std::string> settings;
    bool all_presets = false;
    bool json = false;
};
int run_params(const ParamsOptions& options);

// DeepSeekMoE's probes (core/train/probes.h) on trained checkpoints over the fixed validation set: mask top-r,
// shared experts off, activated routed experts k'. Writes DIR/probes.csv and DIR/probes.json and prints the tables.
struct ProbeCommandOptions {
    std::vector<std::string> checkpoints;  // model.safetensors files, one model each
    std::string out_dir;
    int r_max = 4;          // mask top-r for r = 0..r_max
    std::string data_file;  // evaluate on this text file instead of the checkpoint's own dataset
    bool quiet = false;
};
int run_probe(const ProbeCommandOptions& options);


}  // namespace moe::cli
