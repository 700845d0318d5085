// Loads and scores against their neutral level, so a router of 63 fine-grained experts and one of 16 coarse ones read
// on the same scale (DeepSeek-V3, Fig. 9): relative load = load / balanced load, where the balanced load is k·T/N_r,
// so 1 = balanced whatever N_r and k are; a relative score s_i·N_r is 1 for a router with no preference.
#pragma once

#include "ui/session/snapshot.h"

#include <QString>

#include <vector>

namespace moe::ui {

// Expert i's load in the layer's latest routing sample over the balanced load: load_fraction_i · N_r.
std::vector<double> relative_loads(const LayerSnapshot& layer);
// The same over the utilisation window (LayerSnapshot::window_load_fraction).
std::vector<double> relative_window_loads(const LayerSnapshot& layer);

// Each value over the mean of all of them (a domain's row of loads, the loads of the devices): 1 = an even share.
// All zeros (nothing counted yet): all zeros.
std::vector<double> relative_to_mean(const std::vector<double>& values);

// MaxVio of relative loads: max_i relative_i − 1 (0 = balanced; NaN when there are none).
double max_violation_of(const std::vector<double>& relative);

// How many of the values are exactly 0 (dead experts: no token-slot at all).
int zero_count(const std::vector<double>& values);

// "MaxVio 0.42 · 2 dead of 63": the numbers a relative-load picture carries (63 = how many values).
QString balance_numbers(const std::vector<double>& relative);

// The extremes of relative values over both models, for one shared colour or axis range: the largest value and the
// smallest positive one (0 has no logarithm). Call add() with each value, then read.
struct RelativeExtremes {
    double largest = 0, smallest_positive = 0;
    void add(double v);
    void add(const std::vector<double>& values);
};

}  // namespace moe::ui
