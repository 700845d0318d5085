#include "ui/session/earlier_runs.h"

#include <QObject>

namespace moe::ui {

void EarlierRuns::add(const SnapshotPtr& last, const QString& models) {
    if (!last || last->step <= 0) return;
    auto next = std::make_shared<std::vector<EarlierRun>>(*runs_);
    next->push_back({QObject::tr("run %1 · %2 steps · %3").arg(++counter_).arg(last->step).arg(models), last, true});
    if (int(next->size()) > kMax) next->erase(next->begin(), next->end() - kMax);
    runs_ = std::move(next);
}

void EarlierRuns::setShown(std::size_t index, bool shown) {
    if (index >= runs_->size() || (*runs_)[index].shown == shown) return;
    auto next = std::make_shared<std::vector<EarlierRun>>(*runs_);
    (*next)[index].shown = shown;
    runs_ = std::move(next);
}

void EarlierRuns::clear() {
    runs_ = std::make_shared<const std::vector<EarlierRun>>();
    counter_ = 0;
}

}  // namespace moe::ui
