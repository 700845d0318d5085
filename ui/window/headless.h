// Driving the main window without a person: train a lesson for N steps and write every view to files (the
// `moelab --export-dir` mode, for scripts and CI), or take a screenshot mid-training. Both run the same window,
// session and views as the interactive app, only not shown on screen.
#pragma once

#include "ui/session/lesson.h"

#include <QSize>
#include <QString>

namespace moe::ui {

class MainWindow;

// Plays until the window has shown a snapshot of step >= `step` (then pauses), the session reports an error, or
// `timeout_s` passes (0 = no limit). Returns false and sets *error unless the step was reached.
bool play_until(MainWindow& window, int step, double timeout_s, QString* error);

// The lesson at `path`, or the first bundled lesson when `path` is empty. Throws moe::ConfigError.
Lesson lesson_or_default(const QString& path);

// Trains `steps` steps (the lesson's own length when <= 0; the cosine schedule then ends there, as with
// `moelab-cli train --steps`) and writes every view (PNG, SVG, PDF, CSV), config_A.json, config_B.json and
// lesson.json to `dir`. Returns the process exit code; a failure prints one line on stderr.
int run_export(const QString& lesson_path, int steps, const QString& dir);

// Trains `steps` steps in a window of `size` (1400x900 unless given), shows view `view_id` (if given) with a token in
// the inspector, and saves the window as PNG (in presentation mode if asked). Returns the process exit code.
int run_screenshot(const QString& lesson_path, int steps, const QString& png, const QString& view_id,
                   bool presentation, QSize size = QSize(1400, 900));

// "1366x768" as a size; an invalid QSize for anything else (no "x", a side under 320 or over 8192).
QSize parse_window_size(const QString& text);

}  // namespace moe::ui
