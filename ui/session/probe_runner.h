// DeepSeekMoE's probes (core/train/probes.h) on the GUI's two models, on demand, in a worker thread.
//
// The probes need the weights of a given step, while training may go on: the TrainingSession copies both models
// between two steps (ModelCopies: their parameters, the fixed validation set and the domain names, an immutable
// value), and the ProbeRunner rebuilds each model from its copy in its own thread and runs the probes there, A then
// B. The GUI thread only receives queued signals: progress after each evaluation pass (done / total over both
// models), then the results once. Stop sets an atomic flag the probes check between points: the points not yet run
// come back unavailable ("stopped"). The destructor stops and joins, so closing the window mid-run is clean.
#pragma once

#include "core/config.h"
#include "core/tensor.h"
#include "core/train/probes.h"
#include "datasets/dataset.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

class QThread;

namespace moe {
class Trainer;
}

namespace moe::ui {

// One model as it was at a step: enough to rebuild it bit for bit (make_model + its parameters).
struct ModelCopy {
    QString label;
    Config config;
    bool language = true;
    int n_outputs = 256;
    std::vector<Mat> weights;  // Param::w in Model::params() order
    std::shared_ptr<const std::vector<Batch>> validation;  // the fixed validation set (Trainer::validation_set)
    std::vector<std::string> domain_names;
};

struct ModelCopies {
    int step = 0;  // both models had done this many steps
    std::array<ModelCopy, 2> models;
};
using ModelCopiesPtr = std::shared_ptr<const ModelCopies>;

// The copy of `model` (its config and parameter values).
ModelCopy copy_model(const Model& model, bool language, int n_outputs);
// The copy of a trainer's model as trained so far (a GPU backend's weights are downloaded first), with its
// validation set and domain names.
ModelCopy copy_trainer(Trainer& trainer, const QString& label);
// A new model with the copy's parameters. Throws ConfigError (an unusable config) or moe::Error (a copy whose
// parameters do not fit its config).
std::unique_ptr<Model> rebuild_model(const ModelCopy& copy);

// What a probe run found for both models.
struct ProbeRun {
    int step = 0;  // the step of the weights that were probed
    std::array<QString, 2> labels;
    std::array<ProbeResults, 2> results;
    // Per model: empty when its probes ran (perhaps stopped part-way), else why they could not (e.g. a dense model
    // has no MoE layer to probe, or Stop came before this model's turn); its results are then empty.
    std::array<QString, 2> errors;
    std::vector<std::string> domain_names;
    bool stopped = false;  // Stop was pressed: some points (or all of B) were not run
    bool ran(int model) const { return errors[std::size_t(model)].isEmpty(); }
};
using ProbeRunPtr = std::shared_ptr<const ProbeRun>;

// The probe settings for one model. The mask curve goes up to a quarter of its routed experts (at least 4, at most
// N_r - k), as the paper's Fig. 4 goes to a quarter: equal masked shares can then be compared across A and B even
// when they have 63 and 16 experts.
ProbeOptions probe_options_for(const Config& config);

class ProbeRunner : public QObject {
    Q_OBJECT
public:
    explicit ProbeRunner(QObject* parent = nullptr);
    ~ProbeRunner() override;

    // Starts probing `copies` (A then B); does nothing while a run is in flight or when copies is null.
    void start(const ModelCopiesPtr& copies);
    void requestStop() { stop_.store(true); }
    // True from start() until finished() is emitted (the thread has ended by then).
    bool isRunning() const { return thread_ != nullptr; }

signals:
    // Evaluations done of the total over both models (B's total is estimated from A's until B starts).
    void progress(int done, int total);
    // The thread has ended. `run` holds what was measured (per-model errors inside); `error` is non-empty only
    // when nothing could be measured at all.
    void finished(moe::ui::ProbeRunPtr run, const QString& error);

private:
    void work(const ModelCopiesPtr& copies);
    void onThreadFinished();

    QThread* thread_ = nullptr;
    std::atomic<bool> stop_{false};
    ProbeRunPtr result_;  // written by the worker before it ends, read after
    QString error_;
};

}  // namespace moe::ui

Q_DECLARE_METATYPE(moe::ui::ModelCopiesPtr)
Q_DECLARE_METATYPE(moe::ui::ProbeRunPtr)
