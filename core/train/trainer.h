// The training loop, with no UI in it: the CLI, the GUI's worker thread and the tests drive it the same way.
// Batch i is a pure function of (seed, i), so a run is reproducible bit for bit and two trainers with the same
// seed see the same data.
#pragma once

#include "core/config.h"
#include "core/model/model.h"
#include "core/train/metrics.h"
#include "core/train/optimizer.h"
#include "datasets/dataset.h"

#include <memory>

namespace moe {

class Trainer {
public:
    // Builds the dataset and the model. Throws ConfigError / DataError with a message for a person.
    explicit Trainer(const Config& config);

    const Config& config() const { return config_; }
    Model& model() { return *model_; }
    const Model& model() const { return *model_; }
    const Dataset& dataset() const { return *dataset_; }
    int steps_done() const { return step_; }

    // One optimiser step on batch `steps_done()`. Evaluates on the validation split every eval_interval steps and
    // at the last configured step. Throws TrainingError (naming the step, suggesting a lower learning rate) when
    // the loss or the gradient is NaN or infinite; the parameters are then left as they were before the step.
    StepMetrics train_step();

    // Mean validation cross-entropy over eval_batches fixed validation batches.
    double evaluate();

private:
    Config config_;
    std::unique_ptr<Dataset> dataset_;
    std::unique_ptr<Model> model_;
    AdamW optimizer_;
    int step_ = 0;
};

}  // namespace moe
