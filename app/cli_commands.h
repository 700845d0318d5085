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
};
int run_train(const TrainOptions& options);

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


}  // namespace moe::cli
