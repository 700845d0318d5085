#include "ui/views/relative_load.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace moe::ui {

namespace {

std::vector<double> times_count(const std::vector<double>& fraction, int n_routed) {
    const std::size_t n = std::min(fraction.size(), std::size_t(std::max(n_routed, 0)));
    std::vector<double> out(n);
    // load_fraction_i = load_i / (k T): times N_r that is load_i / (k T / N_r), the load over the balanced load.
    for (std::size_t e = 0; e < n; ++e) out[e] = fraction[e] * double(n);
    return out;
}

}  // namespace

std::vector<double> relative_loads(const LayerSnapshot& layer) { return times_count(layer.load_fraction, layer.n_routed); }

std::vector<double> relative_window_loads(const LayerSnapshot& layer) {
    return times_count(layer.window_load_fraction, layer.n_routed);
}

std::vector<double> relative_to_mean(const std::vector<double>& values) {
    const double total = std::accumulate(values.begin(), values.end(), 0.0);
    std::vector<double> out(values.size(), 0.0);
    if (total <= 0) return out;
    const double mean = total / double(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = values[i] / mean;
    return out;
}

double max_violation_of(const std::vector<double>& relative) {
    if (relative.empty()) return std::numeric_limits<double>::quiet_NaN();
    return *std::max_element(relative.begin(), relative.end()) - 1.0;
}

int zero_count(const std::vector<double>& values) {
    return int(std::count(values.begin(), values.end(), 0.0));
}

QString balance_numbers(const std::vector<double>& relative) {
    return QStringLiteral("MaxVio %1 · %2 dead of %3")
        .arg(max_violation_of(relative), 0, 'f', 2)
        .arg(zero_count(relative))
        .arg(relative.size());
}

void RelativeExtremes::add(double v) {
    if (!std::isfinite(v)) return;
    largest = std::max(largest, v);
    if (v > 0 && (smallest_positive <= 0 || v < smallest_positive)) smallest_positive = v;
}

void RelativeExtremes::add(const std::vector<double>& values) {
    for (double v : values) add(v);
}

}  // namespace moe::ui
