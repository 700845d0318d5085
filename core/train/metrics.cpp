#include "core/train/metrics.h"

#include "core/moe/routing_measures.h"

#include <algorithm>
#include <cmath>

namespace moe {

LayerBalance balance_of(const RoutingStats& s) {
    LayerBalance b;
    b.layer = s.layer;
    b.entropy = s.entropy;
    b.aux_loss = s.aux_loss - s.z_loss;  // the layer reports both together: what it adds to the loss
    b.z_loss = s.z_loss;
    if (s.tokens > 0 && !s.load.empty()) {
        int64_t slots = 0;
        for (int64_t x : s.load) slots += x;
        b.dropped_fraction = slots > 0 ? static_cast<double>(s.dropped) / static_cast<double>(slots) : 0.0;
    }
    b.devices = s.devices;
    b.dispatch_bytes = s.dispatch_bytes;
    b.combine_bytes = s.combine_bytes;
    b.remote_devices_mean = s.remote_devices_mean;
    b.remote_devices_max = s.remote_devices_max;
    b.device_imbalance = s.device_imbalance;
    b.dev_aux_loss = s.dev_aux_loss;
    b.comm_aux_loss = s.comm_aux_loss;
    if (s.load.empty()) return b;
    double sum = 0.0, max = 0.0;
    for (int64_t x : s.load) {
        sum += static_cast<double>(x);
        max = std::max(max, static_cast<double>(x));
        b.dead_experts += x == 0;
    }
    const double mean = sum / static_cast<double>(s.load.size());
    if (mean <= 0) return b;
    double var = 0.0;
    for (int64_t x : s.load) var += (x - mean) * (x - mean);
    var /= static_cast<double>(s.load.size());
    b.imbalance = max / mean;
    b.max_violation = max_violation(s.load);
    const int top_k = s.tokens > 0 ? static_cast<int>(std::lround(sum / static_cast<double>(s.tokens))) : 0;
    b.balance_statistic = balance_statistic(s.load, s.mean_prob, s.tokens, top_k);
    b.load_cv = std::sqrt(var) / mean;
    return b;
}

}  // namespace moe
