// How responsive the window stays while it trains (`moelab --benchmark SECONDS`) and whether its memory stays flat
// over a long run (`moelab --benchmark-steps N`). Prints a small table on stdout.
//
// Event-loop latency: a 5 ms timer in the GUI thread measures how late it fires; with the trainer off the GUI
// thread, lateness comes only from painting the views, so it is what a user feels when clicking during training.
#pragma once

#include <QString>

namespace moe::ui {

// Trains the lesson (the default one when `lesson_path` is empty) for `seconds` with the window shown, then reports
// latency (mean / p99 / max), view refreshes per second, training steps per second and resident memory.
int run_gui_benchmark(double seconds, const QString& lesson_path);

// Runs `steps` training steps as fast as possible with the window shown (a tiny built-in lesson unless
// `lesson_path` is given) and reports resident memory along the way, to show it stays flat.
int run_gui_benchmark_steps(int steps, const QString& lesson_path);

// Opens the bundled lessons in turn, `switches` times in all, training each for `steps_each` steps with the window
// shown, and reports resident memory after every switch (`moelab --benchmark-lessons N`): a class moves between
// lessons all day, and memory must stay flat.
int run_gui_benchmark_lessons(int switches, int steps_each);

}  // namespace moe::ui
