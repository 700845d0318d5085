// Host side of the GPU routing statistics: a record written by routing_stats_forward (gpu/ops/routing_stats.h),
// downloaded, becomes the moe::RoutingStats that FfnLayer::routing_stats (core/model/ffn_layer.cpp) fills on the CPU:
// the same fields, by the same definitions (core/moe/traffic.h for the traffic). Host code only (includes Eigen
// through ffn_layer.h): never include it from a .cu file.
#pragma once

#include "core/model/ffn_layer.h"
#include "core/moe/traffic.h"
#include "gpu/ops/routing_stats.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace moe::gpu {

// record: RoutingStatsLayout::size(dims, n_domains) doubles of layer `layer`, whose forward pass saw n tokens of
// `hidden` features.
inline RoutingStats unpack_routing_stats(const MoEDims& dims, int n_domains, int layer, int64_t n, int64_t hidden,
                                         const double* record) {
    const RoutingStatsLayout L(dims, n_domains);
    const int E = dims.router.n_routed, k = dims.router.top_k, D = dims.router.devices;
    const auto count = [](double v) { return static_cast<int64_t>(v); };  // exact: counts are whole doubles

    RoutingStats s;
    s.layer = layer;
    s.tokens = n;
    s.aux_loss = record[L.aux + 0];
    s.dev_aux_loss = record[L.aux + 2];
    s.comm_aux_loss = record[L.aux + 3];
    s.z_loss = record[L.aux + 4];
    if (dims.router.selection_bias) s.selection_bias.assign(record + L.bias, record + L.bias + E);
    if (dims.router.capacity_factor > 0.0) s.dropped = static_cast<int64_t>(record[L.dropped]);
    s.load.resize(E);
    s.mean_prob.resize(E);
    for (int e = 0; e < E; ++e) {
        s.load[e] = count(record[L.load + e]);
        s.mean_prob[e] = n > 0 ? record[L.prob_sum + e] / static_cast<double>(n) : 0.0;
    }
    s.entropy = n > 0 ? record[L.entropy_sum] / static_cast<double>(n) : 0.0;
    s.domain_load.assign(L.n_domains, std::vector<int64_t>(E, 0));
    for (int m = 0; m < L.n_domains; ++m)
        for (int e = 0; e < E; ++e) s.domain_load[m][e] = count(record[L.domain_load + size_t(m) * E + e]);

    // Traffic (count_traffic, core/moe/traffic.cpp).
    s.devices = D;
    s.traffic.assign(D, std::vector<int64_t>(D, 0));
    int64_t copies = 0;
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j) copies += s.traffic[i][j] = count(record[L.traffic + size_t(i) * D + j]);
    s.bytes_per_copy = bytes_per_token_copy(hidden);
    s.dispatch_bytes = copies * s.bytes_per_copy;
    s.combine_bytes = s.dispatch_bytes;  // the same copies travel back
    s.device_load.resize(D);
    for (int i = 0; i < D; ++i) s.device_load[i] = count(record[L.device_load + i]);
    s.remote_devices_max = static_cast<int>(record[L.remote_max]);
    if (n > 0) {
        s.remote_devices_mean = record[L.remote_sum] / static_cast<double>(n);
        const int64_t total = n * k;
        const int64_t mx = *std::max_element(s.device_load.begin(), s.device_load.end());
        if (total > 0) s.device_imbalance = double(mx) / (double(total) / double(D));  // max / mean
    }
    return s;
}

}  // namespace moe::gpu
