// Trains model A and model B side by side on the same batches, in a worker thread, and publishes snapshots.
//
// Qt's worker pattern: the GUI creates a TrainingSession, moves it to a QThread and talks to it only through
// queued slots; the session emits snapshotReady() at most `max_snapshot_hz` times per second (plus once after every
// Step, Pause, Reset or configure), always with a new immutable Snapshot. play/pause flags are atomics read between
// steps, so Pause takes effect after the step in flight (one step of each model).
//
// Pacing: with a speed cap s > 0 a single-shot timer in the worker thread waits 1/s between step starts; with 0 the
// timer fires as soon as the event loop is idle, so queued slots (pause, step, setSpeed) are handled between any
// two steps. The probe (LM) or the 2-D plane is recomputed at most probe_hz times per second while running, and
// less often when it would take more than about a tenth of the time (each costs a forward pass; the plane's grid
// several steps' worth); always on a forced snapshot.
//
// Saving: every step's metrics are also recorded as CSV text by a moe::RunWriter per model (in a temporary folder
// owned by the session), so saveRun() can write run folders identical to `moelab-cli train --out`. That text grows
// with the run (about 0.3 KB per step plus about 60 bytes per expert and layer every routing_interval steps, e.g.
// about 2 MB for model A of the 2000-step default lesson); everything the GUI shows is downsampled and flat.
#pragma once

#include "ui/session/lesson.h"
#include "ui/session/probe_runner.h"
#include "ui/session/series.h"
#include "ui/session/snapshot.h"

#include <QObject>

#include <atomic>
#include <memory>

class QTimer;

namespace moe {
class Trainer;
}

namespace moe::ui {

class TrainingSession : public QObject {
    Q_OBJECT
public:
    explicit TrainingSession(QObject* parent = nullptr);
    ~TrainingSession() override;

    // Thread-safe, immediate (not queued): stop stepping after the step in flight.
    void requestPause() { running_.store(false); }
    bool isRunning() const { return running_.load(); }
    int stepsDone() const { return steps_done_.load(); }

    static constexpr double max_snapshot_hz = 30.0;
    static constexpr double probe_hz = 10.0;
    static constexpr int plane_grid = 48;

public slots:
    // Builds both trainers from the lesson (throws nothing: errors are reported through error()).
    void configure(const moe::ui::Lesson& lesson);
    void play();
    void pause();
    void step();   // exactly one step of each model, then a snapshot
    void reset();  // back to step 0 with the same lesson (fresh weights from the seed)
    // Steps per second cap; 0 = as fast as possible. Values below 1 give slow motion (e.g. 0.5 = a step every 2 s).
    void setSpeed(double steps_per_second);
    void setProbeText(const QString& text);
    // The lesson with new values of the live knobs (moe::live_config_keys: learning rate, balance coefficients):
    // both trainers take them from the next step on, without a restart; reset() keeps them. A refused change is
    // reported through error() and changes nothing.
    void setLiveKnobs(const moe::ui::Lesson& lesson);
    // Where both models train: "cpu", "cuda" or "auto" (gpu/gpu_backend.h). Rebuilds both models from step 0 (a
    // device is chosen before the first step). CUDA without a usable GPU reports why through error() and trains
    // on the CPU; auto falls back quietly (the snapshot's device says where each model runs).
    void setComputeDevice(const QString& device);
    // Runs one 2-D point through model `model` (0 = A, 1 = B) and answers with pointInspected().
    void inspectPoint(int model, double x, double y);
    // Writes dir/A and dir/B as run folders (config.json, metrics.csv, routing.csv, model.safetensors) and answers
    // with runSaved(dir), or error().
    void saveRun(const QString& dir);
    // Copies both models as they are now (between two steps; training goes on) with their validation set, for the
    // probes (probe_runner.h), and answers with modelCopiesReady().
    void requestModelCopies();

signals:
    void snapshotReady(moe::ui::SnapshotPtr snapshot);
    void error(const QString& message);  // a config or data problem, or NaN during training (training pauses)
    void runningChanged(bool running);
    void pointInspected(const moe::ui::PointInspection& inspection);
    void runSaved(const QString& dir);
    // `copies` is null when there is nothing to copy, and `why_not` then says why.
    void modelCopiesReady(moe::ui::ModelCopiesPtr copies, const QString& why_not);

private:
    void tick();
    void publish(bool force);
    bool stepBoth();          // one step of A then B; false (error reported, stopped) on failure
    void stopRunning();       // clears the flag, stops the timer, announces runningChanged(false) once
    void scheduleNext();
    bool readyToStep();       // configured, not failed, steps left; reports why not
    void report(const QString& message);
    void reportDeviceNotice();  // CUDA asked for but not usable at the last build: say so once
    struct Impl;
    std::unique_ptr<Impl> d_;
    std::atomic<bool> running_{false};
    std::atomic<int> steps_done_{0};
};

}  // namespace moe::ui

Q_DECLARE_METATYPE(moe::ui::SnapshotPtr)
Q_DECLARE_METATYPE(moe::ui::Lesson)
Q_DECLARE_METATYPE(moe::ui::PointInspection)
