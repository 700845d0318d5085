// One training run written to a run folder: what `moelab-cli train`, `moelab-cli sweep` and the app's seed sweeps
// all do. Where the steps run is the caller's choice (a StepBackend factory), so the core still knows no GPU.
#pragma once

#include "core/config.h"
#include "core/train/evaluation.h"
#include "core/train/metrics.h"
#include "core/train/step_backend.h"

#include <functional>
#include <memory>
#include <string>

namespace moe {

class Trainer;

struct RunOutcome {
    std::string dir;
    std::string device = "CPU";  // where it trained ("CPU", "CUDA (...)", ...)
    int steps = 0;               // steps taken (fewer than configured when stopped)
    double final_val_loss = 0;   // the last validation loss (NaN if none was taken)
    // The last evaluation on the fixed validation set (null if none was taken), without its token-by-token
    // routing (Evaluation::routing is empty) so that a sweep keeping many outcomes stays small.
    std::shared_ptr<const Evaluation> final_eval;
    double final_loss = 0;       // training loss of the last step
    double final_aux_loss = 0;
    double final_accuracy = 0;
    double seconds = 0;          // wall clock of the whole run
    double unigram_entropy = 0;  // of the data (the loss of a model that knows only byte frequencies)
    bool stopped = false;        // `stop` asked for it before the last step
};

struct RunHooks {
    // Builds the backend for the fresh model (null: the CPU); may set *device to where it runs.
    std::function<std::unique_ptr<StepBackend>(Model& model, std::string* device)> backend;
    // Once the model and its device are ready, before the first step (a header line).
    std::function<void(const Trainer& trainer, const std::string& device)> on_start;
    // After every step (progress lines, a progress bar).
    std::function<void(const StepMetrics& metrics, double seconds_so_far)> on_step;
    // Polled between steps: true stops the run (what was trained is still written).
    std::function<bool()> stop;
};

// Trains `config` for config.train.steps and writes the run folder `out` (config.json, metrics.csv, routing.csv,
// traffic.csv with devices, model.safetensors). Throws moe::Error subclasses; a TrainingError (NaN) keeps every
// row written before the failing step.
RunOutcome train_run(const Config& config, const std::string& out, const RunHooks& hooks = {});

}  // namespace moe
