// The "Run seeds" results table: what summary.csv holds (one row per configuration that has a run: runs, final
// validation loss mean ± sd, min, max; moe::final_val_stats) plus one column per seed with that run's value, or
// "failed" / "stopped". Numbers are shown rounded; each cell's Qt::UserRole holds the exact double.
#pragma once

#include "core/train/sweep.h"

#include <vector>

class QTableWidget;

namespace moe::ui {

enum SweepColumn { kSweepLabel, kSweepRuns, kSweepMean, kSweepMin, kSweepMax, kSweepFirstSeed };

void fill_sweep_table(QTableWidget* table, const SweepPlan& plan, const std::vector<SweepRun>& runs);

}  // namespace moe::ui
