// The "Run seeds" results table: what summary.csv holds (one row per configuration that has a run: runs, final
// validation loss mean ± sd, the 95 % interval of the mean, min, max; moe::final_val_stats) plus one column per seed
// with that run's value, or "failed" / "stopped". Below them, one row per configuration compared with the baseline
// (plan.baseline, the lesson's A), "B − A (paired)": the mean of the per-seed differences, its 95 % interval, how
// many seeds each side is lower in (and "within noise" when the interval holds 0), and each seed's difference —
// summary.json's diff_* fields (moe::paired_vs_baseline). Numbers are shown rounded; each cell's Qt::UserRole holds
// the exact double (the interval's low end; kSweepHighRole its high end).
#pragma once

#include "core/train/sweep.h"

#include <Qt>

#include <vector>

class QTableWidget;

namespace moe::ui {

enum SweepColumn { kSweepLabel, kSweepRuns, kSweepMean, kSweepCI, kSweepMin, kSweepMax, kSweepFirstSeed };
// On a paired row: kSweepMin, spanning to kSweepMax, says which side is lower in more seeds and in how many
// (UserRole: the seeds where B is lower).
constexpr int kSweepVerdict = kSweepMin;
constexpr int kSweepHighRole = Qt::UserRole + 1;  // the high end of an interval cell
constexpr int kSweepPairedRole = Qt::UserRole + 2;  // on a paired row's label: the compared configuration's index

void fill_sweep_table(QTableWidget* table, const SweepPlan& plan, const std::vector<SweepRun>& runs);

}  // namespace moe::ui
