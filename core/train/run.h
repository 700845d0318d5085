// One training run written to a run folder: what `moelab-cli train`, `moelab-cli sweep` and the app's seed sweeps
// all do. Where the steps run is the caller's choice (a StepBackend factory), so the core still knows no GPU.
#pragma once

#include "core/config.h"
#include "core/train/evaluation.h"
#include "core/train/metrics.h"
#include "core/train/step_backend.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

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

// A run folder is never a mix of two runs: a new run goes into a missing or empty folder, or replaces a folder
// that holds nothing but MoE Lab's own run files (`moelab-cli ... --overwrite`). A folder that holds anything else
// (a user's file, a subfolder) is refused even with replace, so nothing but run files is ever deleted.
enum class ExistingFolder {
    refuse,   // a non-empty folder is a FileError (a finished or failed earlier run is never mixed into)
    replace,  // an earlier run's files are removed first
};

// True for the names a run folder holds: config.json, metrics.csv, routing.csv, traffic.csv, val_routing.csv,
// coactivation.csv, model.safetensors, and the temporaries a crash in write_file_atomic can leave beside them.
bool is_run_file(const std::string& name);

// The files of `dir` a new run has to remove first (config.json first): empty when `dir` is missing or empty.
// Throws FileError (naming the folder, what it holds and what to do) when `dir` is not a folder, is non-empty and
// `existing` is refuse, or holds anything that is_run_file does not name (a subfolder, a symlink, a user's file).
std::vector<std::filesystem::path> files_to_replace(const std::filesystem::path& dir, ExistingFolder existing);

// Removes `paths` in order (files, or folders emptied by an earlier entry); `what` ("run", "sweep") names the
// earlier work in the FileError that a path which cannot be removed throws.
void remove_earlier_files(const std::vector<std::filesystem::path>& paths, const std::string& what);

// Makes `dir` ready for a new run: checks as files_to_replace does, then removes those files (config.json first,
// so a folder cut short by a crash here is not mistaken for a run). Creates nothing. Throws FileError.
void prepare_run_folder(const std::filesystem::path& dir, ExistingFolder existing);

// Trains `config` for config.train.steps and writes the run folder `out` (config.json, metrics.csv, routing.csv,
// traffic.csv with devices, model.safetensors). A non-empty `out` is refused before any work unless `existing` is
// replace; then the earlier run's files are removed once the new run's config and data are loaded (a config error
// leaves the earlier run in place). Throws moe::Error subclasses; a TrainingError (NaN) keeps every row written
// before the failing step.
RunOutcome train_run(const Config& config, const std::string& out, const RunHooks& hooks = {},
                     ExistingFolder existing = ExistingFolder::refuse);

}  // namespace moe
