// One training run to a run folder, as `train` and `sweep` both do it.
#pragma once

#include "core/config.h"

#include <string>

namespace moe::cli {

struct RunOutcome {
    std::string dir;
    std::string device;          // where it trained ("CPU", "CUDA (...)", ...)
    int steps = 0;
    double final_val_loss = 0;   // the last validation loss (NaN if none was taken)
    double final_loss = 0;       // training loss of the last step
    double final_aux_loss = 0;
    double final_accuracy = 0;
    double seconds = 0;          // wall clock of the whole run
    double unigram_entropy = 0;  // of the data (the loss of a model that knows only byte frequencies)
};

// Trains `config` for config.train.steps on `device` (gpu/gpu_backend.h names) and writes the run folder `out`
// (config.json, metrics.csv, routing.csv, traffic.csv with devices, model.safetensors). Progress on stderr unless
// quiet, each line starting with `tag`. Throws moe::Error subclasses (a TrainingError keeps what was written).
RunOutcome train_run(const Config& config, const std::string& out, const std::string& device, bool quiet,
                     const std::string& tag = "");

}  // namespace moe::cli
