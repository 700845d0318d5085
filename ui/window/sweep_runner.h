// Runs a seed sweep (core/train/sweep.h) in a worker thread for the "Run seeds" dialog.
//
// The worker only reaches the GUI through queued signals: progress at most 20 times a second whatever the step rate,
// each finished run once, a device notice, and the end. Stop sets an atomic flag that the run's hooks poll between
// steps and the sweep between runs, so stopping costs at most the step in flight. The destructor stops and joins,
// so deleting the owner mid-sweep (closing the main window) is clean.
#pragma once

#include "core/train/sweep.h"
#include "gpu/gpu_backend.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <atomic>
#include <chrono>

class QThread;

namespace moe::ui {

// Where the sweep is: the run in flight and its step.
struct SweepProgress {
    int run = 0;   // 0-based index of the run in flight
    int runs = 0;  // of the whole sweep
    QString label;
    quint64 seed = 0;
    int step = 0, steps = 0;
    QString device;  // where this run trains
};

class SweepRunner : public QObject {
    Q_OBJECT
public:
    explicit SweepRunner(QObject* parent = nullptr);
    ~SweepRunner() override;

    // Starts `plan` into `dir` on `device`; `existing` says whether an earlier sweep there is replaced (run_sweep).
    // Does nothing while a sweep is running.
    void start(const SweepPlan& plan, const QString& dir, gpu::ComputeDevice device,
               ExistingFolder existing = ExistingFolder::refuse);
    void requestStop() { stop_.store(true); }
    // True from start() until finished() is emitted (the thread has ended by then).
    bool isRunning() const { return thread_ != nullptr; }

signals:
    void progress(const moe::ui::SweepProgress& progress);
    void runDone(const moe::SweepRun& run);
    void notice(const QString& message);  // CUDA was chosen but the CPU is used, and why
    // The thread has ended: `error` is empty when every run finished or Stop ended it; otherwise what stopped it.
    void finished(const QString& error, bool stopped);

private:
    void work(const SweepPlan& plan, const std::string& dir, gpu::ComputeDevice device, ExistingFolder existing);
    void report(const SweepProgress& p);  // at most 20 a second
    void onThreadFinished();

    QThread* thread_ = nullptr;
    std::atomic<bool> stop_{false};
    QString error_;  // written by the worker before it ends, read after
    std::chrono::steady_clock::time_point last_report_{};  // worker only
};

}  // namespace moe::ui

Q_DECLARE_METATYPE(moe::ui::SweepProgress)
Q_DECLARE_METATYPE(moe::SweepRun)
