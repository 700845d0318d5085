#include "ui/window/sweep_runner.h"

#include "core/error.h"
#include "gpu/device_probe.h"

#include <QThread>

#include <memory>

namespace moe::ui {

namespace {
// At most 20 progress signals a second: a tiny model steps thousands of times a second, and a queued signal per
// step would flood the GUI thread's event queue.
constexpr std::chrono::milliseconds kReportEvery{50};
}  // namespace

SweepRunner::SweepRunner(QObject* parent) : QObject(parent) {
    qRegisterMetaType<moe::ui::SweepProgress>("moe::ui::SweepProgress");
    qRegisterMetaType<moe::SweepRun>("moe::SweepRun");
}

SweepRunner::~SweepRunner() {
    if (!thread_) return;
    // The owner is going away mid-sweep: the hooks see the flag after the step in flight.
    stop_.store(true);
    thread_->wait();
    delete thread_;
}

void SweepRunner::start(const SweepPlan& plan, const QString& dir, gpu::ComputeDevice device,
                        ExistingFolder existing) {
    if (thread_) return;
    stop_.store(false);
    error_.clear();
    last_report_ = {};
    thread_ = QThread::create(
        [this, plan, dir = dir.toStdString(), device, existing] { work(plan, dir, device, existing); });
    thread_->setObjectName("sweep");
    // Queued: QThread::finished is emitted by the worker thread itself, just before it ends.
    connect(thread_, &QThread::finished, this, &SweepRunner::onThreadFinished, Qt::QueuedConnection);
    thread_->start();
}

void SweepRunner::onThreadFinished() {
    thread_->wait();  // returns at once: the thread was ending when it emitted finished
    delete thread_;
    thread_ = nullptr;
    emit finished(error_, stop_.load());
}

void SweepRunner::report(const SweepProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report_ < kReportEvery) return;
    last_report_ = now;
    emit progress(p);
}

void SweepRunner::work(const SweepPlan& plan, const std::string& dir, gpu::ComputeDevice device,
                       ExistingFolder existing) {
    // CUDA without a usable GPU: every run on the CPU, said once, as the main window's Compute choice does.
    if (device == gpu::ComputeDevice::Cuda) {
        const gpu::DeviceProbe probe = gpu::probe_device();
        if (!probe.usable) {
            emit notice(tr("CUDA was chosen, but there is no usable CUDA GPU (%1): every run trains on the CPU.")
                            .arg(QString::fromStdString(probe.reason)));
            device = gpu::ComputeDevice::Cpu;
        }
    }
    bool noted = false;
    SweepHooks hooks;
    hooks.stop = [this] { return stop_.load(); };
    hooks.on_run_done = [this](const SweepRun& run, size_t, size_t) { emit runDone(run); };
    hooks.run = [&](size_t index, size_t total, const SweepConfig& config, uint64_t seed) {
        auto p = std::make_shared<SweepProgress>();
        p->run = static_cast<int>(index);
        p->runs = static_cast<int>(total);
        p->label = QString::fromStdString(config.label);
        p->seed = seed;
        p->steps = config.config.train.steps;
        RunHooks h;
        h.stop = hooks.stop;
        h.backend = [&](Model& model, std::string* where) -> std::unique_ptr<StepBackend> {
            try {
                gpu::BackendChoice b = gpu::make_step_backend(device, model);
                if (!b.note.empty() && !noted) emit notice(QString::fromStdString(b.note));
                noted = noted || !b.note.empty();
                if (b.backend) *where = b.backend->name();
                return std::move(b.backend);
            } catch (const Error& e) {
                // A GPU that was found but cannot take this model: the rest of the sweep stays on the CPU rather
                // than failing every run the same way.
                device = gpu::ComputeDevice::Cpu;
                emit notice(tr("The GPU could not be used (%1): the sweep goes on on the CPU.")
                                .arg(QString::fromUtf8(e.what())));
                return nullptr;
            }
        };
        h.on_start = [this, p](const Trainer&, const std::string& where) {
            p->device = QString::fromStdString(where);
            report(*p);
        };
        h.on_step = [this, p](const StepMetrics& m, double) {
            p->step = m.step;
            report(*p);
        };
        return h;
    };
    try {
        run_sweep(plan, dir, hooks, existing);
    } catch (const std::exception& e) {
        // A failed run (NaN) is recorded by run_sweep and the sweep goes on; this is what stops it: a folder that
        // cannot be written, data that cannot be read, ...
        error_ = QString::fromUtf8(e.what());
    }
}

}  // namespace moe::ui
