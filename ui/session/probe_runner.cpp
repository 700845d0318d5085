#include "ui/session/probe_runner.h"

#include "core/error.h"
#include "core/model/model.h"
#include "core/parallel.h"
#include "core/train/trainer.h"

#include <QThread>

#include <algorithm>

namespace moe::ui {

ModelCopy copy_model(const Model& model, bool language, int n_outputs) {
    ModelCopy copy;
    copy.config = model.config();
    copy.language = language;
    copy.n_outputs = n_outputs;
    copy.weights.reserve(model.params().size());
    for (const Param& p : model.params()) copy.weights.push_back(p.w);
    return copy;
}

ModelCopy copy_trainer(Trainer& trainer, const QString& label) {
    const Dataset& data = trainer.dataset();
    ModelCopy copy = copy_model(trainer.model(), data.is_language(), data.num_outputs());
    copy.label = label;
    copy.validation = std::make_shared<const std::vector<Batch>>(trainer.validation_set());
    copy.domain_names = data.domain_names();
    return copy;
}

std::unique_ptr<Model> rebuild_model(const ModelCopy& copy) {
    std::unique_ptr<Model> model = make_model(copy.config, copy.language, copy.n_outputs);
    std::deque<Param>& params = model->params();
    if (params.size() != copy.weights.size())
        throw Error("internal: a model copy has " + std::to_string(copy.weights.size()) + " parameters, its config " +
                    std::to_string(params.size()));
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Mat& w = copy.weights[i];
        if (w.rows() != params[i].w.rows() || w.cols() != params[i].w.cols())
            throw Error("internal: parameter " + params[i].name + " of a model copy does not fit its config");
        params[i].w = w;
    }
    return model;
}

ProbeOptions probe_options_for(const Config& config) {
    ProbeOptions o;
    const int n_routed = config.model.n_routed_experts;
    o.r_max = std::max(4, (n_routed + 3) / 4);  // a quarter of the routed experts, rounded up
    return o;
}

namespace {
// The evaluation passes run_probes will make for a model of this config: the baseline, r = 1..r_max, shared off
// (with a shared expert), k' = 1..k-1. An estimate for the progress bar until run_probes reports its own count.
int expected_passes(const Config& config) {
    const ModelConfig& c = config.model;
    if (c.n_routed_experts <= 0) return 1;  // a dense model: nothing to probe, counted as one step of the bar
    return 1 + probe_options_for(config).r_max + (c.n_shared_experts > 0 ? 1 : 0) + c.num_experts_per_tok - 1;
}
}  // namespace

ProbeRunner::ProbeRunner(QObject* parent) : QObject(parent) {
    qRegisterMetaType<moe::ui::ModelCopiesPtr>("moe::ui::ModelCopiesPtr");
    qRegisterMetaType<moe::ui::ProbeRunPtr>("moe::ui::ProbeRunPtr");
}

ProbeRunner::~ProbeRunner() {
    if (!thread_) return;
    // The owner is going away mid-run: the probes see the flag after the evaluation pass in flight.
    stop_.store(true);
    thread_->wait();
    delete thread_;
}

void ProbeRunner::start(const ModelCopiesPtr& copies) {
    if (thread_ || !copies) return;
    stop_.store(false);
    result_.reset();
    error_.clear();
    thread_ = QThread::create([this, copies] { work(copies); });
    thread_->setObjectName("probes");
    // Queued: QThread::finished is emitted by the worker thread itself, just before it ends.
    connect(thread_, &QThread::finished, this, &ProbeRunner::onThreadFinished, Qt::QueuedConnection);
    thread_->start();
}

void ProbeRunner::onThreadFinished() {
    thread_->wait();  // returns at once: the thread was ending when it emitted finished
    delete thread_;
    thread_ = nullptr;
    emit finished(result_, error_);
}

void ProbeRunner::work(const ModelCopiesPtr& copies) {
    // The probes use the thread count the lesson's models train with (model A's), not the whole machine.
    const ParallelScope width(copies->models[0].config.train.threads);
    auto run = std::make_shared<ProbeRun>();
    run->step = copies->step;
    run->domain_names = copies->models[0].domain_names;
    // Progress over both models: what each has done, of what each will do. Each total is estimated from the config
    // (the baseline, r = 1..r_max, shared off, k' = 1..k-1) until run_probes reports its own.
    std::array<int, 2> done{0, 0}, total{0, 0};
    for (int m = 0; m < 2; ++m) total[std::size_t(m)] = expected_passes(copies->models[std::size_t(m)].config);
    auto report = [&] { emit progress(done[0] + done[1], total[0] + total[1]); };
    for (int m = 0; m < 2; ++m) {
        const std::size_t mi = std::size_t(m);
        const ModelCopy& copy = copies->models[mi];
        run->labels[mi] = copy.label;
        if (stop_.load()) {
            run->errors[mi] = tr("stopped before this model's turn");
            run->stopped = true;
            done[mi] = total[mi];
            continue;
        }
        try {
            if (!copy.validation || copy.validation->empty())
                throw Error("no validation set was copied with the model");
            std::unique_ptr<Model> model = rebuild_model(copy);
            const ProbeProgress on_progress = [&, mi](int d, int t) {
                done[mi] = d;
                total[mi] = t;
                report();
            };
            run->results[mi] = run_probes(*model, *copy.validation, static_cast<int>(copy.domain_names.size()),
                                          probe_options_for(copy.config), on_progress, &stop_);
            run->stopped = run->stopped || run->results[mi].stopped;
        } catch (const std::exception& e) {
            run->errors[mi] = QString::fromUtf8(e.what());
            // A model that could not run counts as done, so the bar still reaches its end.
            done[mi] = total[mi];
            report();
        }
    }
    if (!run->ran(0) && !run->ran(1) && !run->stopped)
        error_ = tr("No probe could run: A: %1; B: %2").arg(run->errors[0], run->errors[1]);
    result_ = std::move(run);
}

}  // namespace moe::ui
