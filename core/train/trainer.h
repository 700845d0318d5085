// The training loop, with no UI in it: the CLI, the GUI's worker thread and the tests drive it the same way.
// Batch i is a pure function of (seed, i), so a run is reproducible bit for bit and two trainers with the same
// seed see the same data.
#pragma once

#include "core/config.h"
#include "core/model/model.h"
#include "core/train/metrics.h"
#include "core/train/optimizer.h"
#include "core/train/evaluation.h"
#include "core/train/step_backend.h"
#include "datasets/dataset.h"

#include <memory>
#include <string>
#include <vector>

namespace moe {

// The config keys Trainer::set_live_knobs changes between two steps.
const std::vector<std::string>& live_config_keys();

class Trainer {
public:
    // Builds the dataset and the model. Throws ConfigError / DataError with a message for a person.
    // The trainer's CPU work (building, train_step, evaluate) runs on config.train.threads threads, set for the
    // calling thread only while it runs (a ParallelScope): other trainers and other threads keep their own width.
    explicit Trainer(const Config& config);

    const Config& config() const { return config_; }
    // The CPU model. With a backend, its parameters are copied back from the device first (only when they
    // changed since the last copy), so checkpoints, probes and inspection always see the trained weights.
    Model& model();
    const Model& model() const;
    // Runs the steps on `backend` (the GPU); null goes back to the CPU. Only before the first step (the backend
    // starts from the model's initial parameters and a fresh optimizer); throws moe::Error after it.
    void set_backend(std::unique_ptr<StepBackend> backend);
    const StepBackend* backend() const { return backend_.get(); }
    const Dataset& dataset() const { return *dataset_; }
    int steps_done() const { return step_; }

    // One optimiser step on batch `steps_done()`. Evaluates on the fixed validation set every eval_interval steps
    // and at the last configured step (StepMetrics::eval, val_loss). Throws TrainingError (naming the step,
    // suggesting a lower learning rate) when the loss or the gradient is NaN or infinite; the parameters are then
    // left as they were before the step.
    StepMetrics train_step();

    // The knobs that may change between two steps without a restart (live_config_keys()): the learning rate (its
    // schedule follows the new peak from the next step) and the balance-loss coefficients. The other keys of `live`
    // are ignored. Throws ConfigError for a value validate_config refuses, and Error for a changed coefficient while
    // a compute-device backend trains (its kernels keep their own copy: restart the run instead). Nothing changes
    // when it throws.
    void set_live_knobs(const Config& live);

    // Time the later CPU train steps' phases into `sink` (null: stop timing), for the whole-step benchmark
    // (core/phase_times.h). Evaluation is not timed; a compute-device backend's steps are not split.
    void time_phases(PhaseTimes* sink);

    // The fixed validation set (Dataset::validation_set with batch_size, seq_len, eval_sequences), built once.
    const std::vector<Batch>& validation_set() const { return validation_set_; }
    // Evaluates the current weights on the validation set (forward only, on the CPU model: a backend's parameters
    // are downloaded first). Router saturation compares with the previous evaluate() (NaN at the first), and this
    // one becomes the reference for the next.
    std::shared_ptr<const Evaluation> evaluate();
    // The mean validation cross-entropy of evaluate().
    double evaluate_loss() { return evaluate()->loss; }

private:
    Config config_;
    std::unique_ptr<Dataset> dataset_;
    std::unique_ptr<Model> model_;
    AdamW optimizer_;
    std::unique_ptr<StepBackend> backend_;
    mutable bool model_stale_ = false;  // the backend's parameters changed since the CPU model last got them
    int step_ = 0;
    std::vector<Batch> validation_set_;
    std::shared_ptr<const Evaluation> last_eval_;  // its routing is the saturation reference
    PhaseTimes* times_ = nullptr;
};

}  // namespace moe
