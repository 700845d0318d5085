// The runs a session trained before the current one (each Apply or Reset starts a new run of the same lesson),
// kept as their last snapshots so the curve views can draw them faded under the current run, TensorBoard-style:
// each can be shown or hidden, and only the latest kMax are kept. Another lesson starts an empty list: its curves
// would not be comparable.
#pragma once

#include "ui/session/snapshot.h"

#include <QString>

#include <memory>
#include <vector>

namespace moe::ui {

struct EarlierRun {
    QString label;  // "run 2 · 400 steps · A: ..., B: ..."
    SnapshotPtr snapshot;
    bool shown = true;
};

using EarlierRunsPtr = std::shared_ptr<const std::vector<EarlierRun>>;

class EarlierRuns {
public:
    static constexpr int kMax = 5;

    // Keeps `last` (a run's final snapshot; ignored when null or before its first step) as the newest earlier run,
    // dropping the oldest beyond kMax.
    void add(const SnapshotPtr& last, const QString& models);
    void setShown(std::size_t index, bool shown);
    void clear();
    // An immutable copy for the views.
    EarlierRunsPtr runs() const { return runs_; }
    std::size_t size() const { return runs_->size(); }

private:
    EarlierRunsPtr runs_ = std::make_shared<const std::vector<EarlierRun>>();
    int counter_ = 0;  // runs numbered since the lesson opened
};

}  // namespace moe::ui
