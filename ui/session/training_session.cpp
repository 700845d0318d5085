#include "ui/session/training_session.h"

#include "core/error.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"
#include "datasets/toy2d.h"
#include "gpu/device_probe.h"
#include "gpu/gpu_backend.h"
#include "ui/session/model_history.h"
#include "ui/session/model_probe.h"
#include "ui/session/run_folder.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

namespace moe::ui {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// One side of the comparison: its trainer and everything remembered about it.
struct ModelRun {
    std::unique_ptr<Trainer> trainer;
    ModelHistory history;
    Accounting accounting;
    bool language = true;
    int n_outputs = 256;
    std::vector<std::string> domains;
    std::unique_ptr<RunWriter> recorder;  // null when no temporary folder could be made (saving then reports it)
    std::vector<ProbeLayer> probe;
    std::string probe_text;  // the bytes the probe saw (truncated to the model's positions)
    PlaneSnapshot plane;
    QString device = "CPU";
};

}  // namespace

struct TrainingSession::Impl {
    Lesson lesson;
    bool configured = false;
    // A step failed after A had stepped but not B: the two are out of step until reset() or configure().
    bool failed = false;
    std::array<ModelRun, 2> runs;
    std::unique_ptr<QTemporaryDir> record_dir;
    std::string probe_text;
    double speed = 0;
    QTimer* timer = nullptr;
    bool announced_running = false;
    uint64_t serial = 0;
    Clock::time_point last_publish{}, last_probe{}, last_step_start{};
    bool probe_stale = true;
    double probe_cost = 0;  // seconds the last probe (or plane) refresh took
    // Measured speed: steps over the last ~0.5 s while running.
    Clock::time_point rate_since{};
    int rate_steps = 0;
    double steps_per_second = 0;
    gpu::ComputeDevice compute = gpu::ComputeDevice::Cpu;
    QString device_notice;  // why CUDA was not used at the last build (reported once), empty otherwise

    // Moves run r's steps to the chosen device. CUDA that cannot be used leaves it on the CPU with a notice.
    void place(ModelRun& r) {
        r.device = "CPU";
        gpu::ComputeDevice device = compute;
        if (device == gpu::ComputeDevice::Cuda) {
            const gpu::DeviceProbe probe = gpu::probe_device();
            if (!probe.usable) {
                device_notice = QString("CUDA was chosen, but no usable CUDA GPU: %1: both models train on the CPU.")
                                    .arg(QString::fromStdString(probe.reason));
                return;
            }
        }
        try {
            gpu::BackendChoice choice = gpu::make_step_backend(device, r.trainer->model());
            if (choice.backend) r.device = QString::fromStdString(choice.backend->name());
            r.trainer->set_backend(std::move(choice.backend));
        } catch (const std::exception& e) {  // a GPU that is present but fails (out of memory, ...)
            device_notice = QString("CUDA failed: %1: both models train on the CPU.").arg(QString::fromUtf8(e.what()));
        }
    }

    // Builds both sides from a lesson; throws moe::Error, leaving *this untouched.
    void build(const Lesson& l) {
        device_notice.clear();
        Config configs[2] = {l.model_a, l.model_b};
        for (Config& c : configs) c.train.steps = l.steps;  // the lesson's length is the cosine schedule's length
        check_same_data(configs[0], configs[1]);
        std::array<ModelRun, 2> fresh;
        auto dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + "/moelab-session-XXXXXX");
        for (int m = 0; m < 2; ++m) {
            ModelRun& r = fresh[m];
            r.trainer = std::make_unique<Trainer>(configs[m]);
            const Dataset& data = r.trainer->dataset();
            r.language = data.is_language();
            r.n_outputs = data.num_outputs();
            r.domains = data.domain_names();
            r.accounting = account(configs[m], r.language, r.n_outputs);
            r.history.reset(configs[m].model);
            place(r);
            if (dir->isValid())
                r.recorder = std::make_unique<RunWriter>((QDir(dir->path()).filePath(m == 0 ? "A" : "B")).toStdString(),
                                                         configs[m], r.domains);
        }
        runs = std::move(fresh);
        record_dir = std::move(dir);
        lesson = l;
        configured = true;
        failed = false;
        probe_stale = true;
    }

    void refresh_probe(ModelRun& r) {
        Model& model = r.trainer->model();
        if (r.language) {
            const int t =
                std::min<int>(static_cast<int>(probe_text.size()), model.config().model.max_position_embeddings);
            r.probe_text = probe_text.substr(0, t);
            r.probe = run_probe(model, r.probe_text);
        } else {
            r.plane = run_plane(model, r.n_outputs, dynamic_cast<const ToyDataset*>(&r.trainer->dataset()), plane_grid);
        }
    }
};

TrainingSession::TrainingSession(QObject* parent) : QObject(parent), d_(std::make_unique<Impl>()) {
    qRegisterMetaType<moe::ui::SnapshotPtr>();
    qRegisterMetaType<moe::ui::Lesson>();
    qRegisterMetaType<moe::ui::PointInspection>();
    qRegisterMetaType<moe::ui::ModelCopiesPtr>();
    // A child, so moveToThread() takes it along: it fires in the worker thread.
    d_->timer = new QTimer(this);
    d_->timer->setSingleShot(true);
    d_->timer->setTimerType(Qt::PreciseTimer);
    connect(d_->timer, &QTimer::timeout, this, &TrainingSession::tick);
}

TrainingSession::~TrainingSession() = default;

void TrainingSession::report(const QString& message) { emit error(message); }

void TrainingSession::configure(const moe::ui::Lesson& lesson) {
    stopRunning();
    try {
        d_->build(lesson);
    } catch (const std::exception& e) {
        // The previous lesson (and its last snapshot) stays.
        report(QString::fromUtf8(e.what()));
        return;
    }
    d_->probe_text = lesson.probe_text.toStdString();
    steps_done_.store(0);
    publish(true);
    reportDeviceNotice();
}

void TrainingSession::reportDeviceNotice() {
    if (d_->device_notice.isEmpty()) return;
    report(d_->device_notice);
    d_->device_notice.clear();
}

bool TrainingSession::readyToStep() {
    if (!d_->configured) {
        report("No lesson is loaded yet: choose a lesson or a model configuration first.");
        return false;
    }
    if (d_->failed) {
        report(QString("Training stopped after an error at step %1; press Reset to start again.")
                   .arg(stepsDone() + 1));
        return false;
    }
    return stepsDone() < d_->lesson.steps;
}

void TrainingSession::play() {
    if (!readyToStep()) {
        stopRunning();
        publish(true);
        return;
    }
    running_.store(true);
    if (!d_->announced_running) {
        d_->announced_running = true;
        d_->rate_since = Clock::now();
        d_->rate_steps = stepsDone();
        emit runningChanged(true);
    }
    publish(true);
    d_->timer->start(0);
}

void TrainingSession::pause() {
    stopRunning();
    publish(true);
}

void TrainingSession::step() {
    stopRunning();
    if (readyToStep()) stepBoth();
    publish(true);
}

void TrainingSession::reset() {
    stopRunning();
    if (!d_->configured) return;
    try {
        d_->build(d_->lesson);
    } catch (const std::exception& e) {
        report(QString::fromUtf8(e.what()));
        return;
    }
    steps_done_.store(0);
    publish(true);
    reportDeviceNotice();
}

void TrainingSession::setComputeDevice(const QString& device) {
    try {
        d_->compute = gpu::parse_compute_device(device.toStdString());
    } catch (const std::exception& e) {
        report(QString::fromUtf8(e.what()));
        return;
    }
    reset();
}

void TrainingSession::setSpeed(double steps_per_second) {
    d_->speed = std::isfinite(steps_per_second) ? std::max(0.0, steps_per_second) : 0.0;
    if (running_.load()) scheduleNext();
}

void TrainingSession::setProbeText(const QString& text) {
    d_->probe_text = text.toStdString();
    d_->probe_stale = true;
    if (!running_.load() && d_->configured) publish(true);
}

void TrainingSession::setLiveKnobs(const moe::ui::Lesson& lesson) {
    if (!d_->configured) return;
    const Config* configs[2] = {&lesson.model_a, &lesson.model_b};
    // Both or neither: A refusing (a GPU backend) must not leave B changed.
    std::array<Config, 2> before{};
    for (int m = 0; m < 2; ++m) before[std::size_t(m)] = d_->runs[std::size_t(m)].trainer->config();
    try {
        for (int m = 0; m < 2; ++m) d_->runs[std::size_t(m)].trainer->set_live_knobs(*configs[m]);
    } catch (const std::exception& e) {
        for (int m = 0; m < 2; ++m) d_->runs[std::size_t(m)].trainer->set_live_knobs(before[std::size_t(m)]);
        report(QString::fromUtf8(e.what()));
        return;
    }
    d_->lesson.model_a = lesson.model_a;
    d_->lesson.model_b = lesson.model_b;
    if (!running_.load()) publish(true);
}

void TrainingSession::inspectPoint(int model, double x, double y) {
    if (!d_->configured || model < 0 || model > 1) return;
    ModelRun& r = d_->runs[model];
    if (r.language) {
        report("Points can only be inspected on a 2-D dataset; click a token of the probe text instead.");
        return;
    }
    try {
        emit pointInspected(inspect_point(r.trainer->model(), model, x, y));
    } catch (const std::exception& e) {
        report(QString::fromUtf8(e.what()));
    }
}

void TrainingSession::saveRun(const QString& dir) {
    if (!d_->configured || stepsDone() == 0) {
        report("Nothing to save yet: train at least one step first.");
        return;
    }
    try {
        for (int m = 0; m < 2; ++m) {
            ModelRun& r = d_->runs[m];
            if (!r.recorder)
                throw FileError("the run was not recorded: no temporary folder could be created in " +
                                QDir::tempPath().toStdString());
            save_run_folder(QDir(dir).filePath(m == 0 ? "A" : "B"), *r.recorder, r.trainer->model(), r.language,
                            r.n_outputs);
        }
    } catch (const std::exception& e) {
        report(QString("Could not save the run to %1: %2").arg(dir, QString::fromUtf8(e.what())));
        return;
    }
    emit runSaved(dir);
}

void TrainingSession::requestModelCopies() {
    if (!d_->configured || d_->failed) {
        emit modelCopiesReady(nullptr, d_->configured ? tr("Training stopped after an error: press Reset first.")
                                                      : tr("No lesson is loaded yet: choose a lesson first."));
        return;
    }
    try {
        auto copies = std::make_shared<ModelCopies>();
        copies->step = stepsDone();
        for (int m = 0; m < 2; ++m)  // a GPU backend's weights come back first
            copies->models[std::size_t(m)] = copy_trainer(*d_->runs[std::size_t(m)].trainer,
                                                          m == 0 ? d_->lesson.label_a : d_->lesson.label_b);
        emit modelCopiesReady(std::move(copies), QString());
    } catch (const std::exception& e) {
        emit modelCopiesReady(nullptr, QString::fromUtf8(e.what()));
    }
}

void TrainingSession::stopRunning() {
    running_.store(false);
    d_->timer->stop();
    if (d_->announced_running) {
        d_->announced_running = false;
        emit runningChanged(false);
    }
}

void TrainingSession::scheduleNext() {
    if (d_->speed <= 0) {
        d_->timer->start(0);  // after the events already queued: pause/step/setSpeed never wait behind steps
        return;
    }
    const double wait = 1.0 / d_->speed - seconds_between(d_->last_step_start, Clock::now());
    d_->timer->start(std::max(0, static_cast<int>(std::lround(wait * 1000.0))));
}

bool TrainingSession::stepBoth() {
    d_->last_step_start = Clock::now();
    std::array<StepMetrics, 2> m;
    int stepped = 0;
    try {
        // Same batch index for both (each trainer's steps_done), so both see the same batch.
        for (; stepped < 2; ++stepped) m[stepped] = d_->runs[stepped].trainer->train_step();
    } catch (const std::exception& e) {
        d_->failed = stepped == 1;
        stopRunning();
        const QString& label = stepped == 0 ? d_->lesson.label_a : d_->lesson.label_b;
        report(QString("%1: %2").arg(label, QString::fromUtf8(e.what())));
        return false;
    }
    for (int i = 0; i < 2; ++i) {
        ModelRun& r = d_->runs[i];
        r.history.add_step(m[i]);
        if (r.recorder) {
            r.recorder->add(m[i]);
            // Rows go to the recording folder on disk every few hundred steps: memory stays flat on long runs.
            if (m[i].step % 256 == 0) {
                try {
                    r.recorder->flush();
                } catch (const moe::Error&) {
                    // Kept in memory and retried at the next flush or at Save run, which reports a failure.
                }
            }
        }
    }
    steps_done_.store(m[0].step);
    d_->probe_stale = true;
    return true;
}

void TrainingSession::tick() {
    if (!running_.load()) {  // requestPause() from another thread: say so once
        const bool was = d_->announced_running;
        stopRunning();
        if (was) publish(true);
        return;
    }
    if (!readyToStep() || !stepBoth()) {
        stopRunning();
        publish(true);
        return;
    }
    if (stepsDone() >= d_->lesson.steps || !running_.load()) {
        stopRunning();
        publish(true);
        return;
    }
    publish(false);
    scheduleNext();
}

void TrainingSession::publish(bool force) {
    if (!d_->configured) return;
    const Clock::time_point now = Clock::now();
    if (!force && seconds_between(d_->last_publish, now) < 1.0 / max_snapshot_hz) return;
    d_->last_publish = now;

    const bool running = running_.load();
    if (running) {
        const double span = seconds_between(d_->rate_since, now);
        if (span >= 0.5) {
            d_->steps_per_second = (stepsDone() - d_->rate_steps) / span;
            d_->rate_since = now;
            d_->rate_steps = stepsDone();
        }
    } else {
        d_->steps_per_second = 0;
    }
    // The probe costs a forward pass (the 2-D plane's 48 x 48 grid several training steps' worth): while running
    // it is refreshed at most probe_hz times per second and takes at most about a tenth of the time. After a failed
    // step A is a step ahead of B, so the old probe is kept rather than showing a mix.
    const double probe_gap = std::max(1.0 / probe_hz, 10.0 * d_->probe_cost);
    const bool probe_due =
        d_->probe_stale && !d_->failed && (force || seconds_between(d_->last_probe, now) >= probe_gap);
    try {
        if (probe_due) {
            for (ModelRun& r : d_->runs) d_->refresh_probe(r);
            d_->last_probe = now;
            d_->probe_cost = seconds_between(now, Clock::now());
            d_->probe_stale = false;
        }
    } catch (const std::exception& e) {
        report(QString::fromUtf8(e.what()));
    }

    auto snap = std::make_shared<Snapshot>();
    snap->step = stepsDone();
    snap->target_steps = d_->lesson.steps;
    snap->running = running;
    snap->steps_per_second = d_->steps_per_second;
    snap->serial = ++d_->serial;
    for (int m = 0; m < 2; ++m) {
        const ModelRun& r = d_->runs[m];
        ModelSnapshot& s = snap->models[m];
        s.label = m == 0 ? d_->lesson.label_a : d_->lesson.label_b;
        s.device = d_->runs[m].device;
        s.config = r.trainer->config();
        s.accounting = r.accounting;
        s.language = r.language;
        s.domain_names = r.domains;
        r.history.fill(s);
        s.probe_text = r.probe_text;
        s.probe = r.probe;
        s.plane = r.plane;
    }
    emit snapshotReady(SnapshotPtr(std::move(snap)));
}

}  // namespace moe::ui
