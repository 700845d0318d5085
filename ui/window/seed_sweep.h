// What the "Run seeds" dialog turns its fields into: the seeds, the plan (the lesson's models A and B x the seeds)
// and a fresh output folder. Kept apart from the widgets so the rules are plain functions.
#pragma once

#include "core/train/sweep.h"
#include "ui/session/lesson.h"

#include <QDateTime>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace moe::ui {

// "1,2,3" (spaces allowed) -> {1, 2, 3}. Empty text, an empty item, a non-number, a negative number or a seed
// listed twice (two runs would share one run folder) -> nullopt, with *why saying which.
std::optional<std::vector<uint64_t>> parse_seeds(const QString& text, QString* why = nullptr);

// Models A and B of `lesson` (B left out when it is the same configuration, as in a replayed single-model run),
// each trained for `steps` steps with every seed; no axes. A is the baseline: the table's paired row is B − A.
SweepPlan lesson_sweep_plan(const Lesson& lesson, const std::vector<uint64_t>& seeds, int steps);

// <Documents or home>/moelab-sweeps/<title>-<yyyyMMdd-HHmmss>, the title reduced to characters safe in a folder name.
QString default_sweep_folder(const QString& lesson_title, const QDateTime& when = QDateTime::currentDateTime());

}  // namespace moe::ui
