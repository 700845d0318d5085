// Routing statistics of one MoE layer's last forward pass, computed on the device into a packed record of doubles,
// so that the engine can download the records of ALL layers in one transfer per step. What FfnLayer::routing_stats
// (core/model/ffn_layer.cpp) and count_traffic (core/moe/traffic.cpp) compute, as sums and counts:
//
//   load[e]            token-slots routed to expert e
//   prob_sum[e]        sum over tokens of s_{t,e}                          (mean_prob = prob_sum / N)
//   entropy_sum        sum over tokens of -sum_e s log s, in double        (entropy = entropy_sum / N)
//   domain_load[m][e]  token-slots of domain m's tokens routed to e        (a token with no valid domain counts as 0)
//   traffic[src][dst]  token-copies sent on dispatch: token t lives on home device floor(t D / N) and sends one copy
//                      to each DISTINCT device != home among its k experts' devices
//   device_load[i]     token-expert pairs processed on device i
//   remote_sum/max     distinct remote devices per token, summed / max over tokens
//   aux[5]             the router's auxiliary losses: total, expert-level, device-level, communication, z-loss
//   bias[N_r]          noaux_tc only: the selection bias the pass routed with
//   dropped            capacity only: token-slots over their expert's capacity
//
// gpu/routing_stats_unpack.h turns a record into a moe::RoutingStats on the host. Counts are stored as doubles
// (exact below 2^53).
//
// No atomics: pass 1, one index per chunk of kStatsChunk tokens writes a partial record (its own row) with every
// field but aux; pass 2, one index per field sums the partials in chunk order (max for remote_max). A token's
// distinct devices are found by looking back over its earlier choices (k is small).
#pragma once

#include "gpu/kernels/portable.h"
#include "gpu/ops/moe_layer.h"

#include <math.h>

#include <cstddef>
#include <cstdint>

namespace moe::gpu {

// Offsets of the fields in a record (in doubles), for N_r experts, max(1, n_domains) domains and D devices.
struct RoutingStatsLayout {
    int n_routed = 1, n_domains = 1, devices = 1;
    size_t load = 0, prob_sum = 0, entropy_sum = 0, domain_load = 0, traffic = 0, device_load = 0;
    size_t remote_sum = 0, remote_max = 0, aux = 0, bias = 0, dropped = 0, total = 0;

    RoutingStatsLayout(const MoEDims& dims, int domains)
        : n_routed(dims.router.n_routed), n_domains(domains > 1 ? domains : 1), devices(dims.router.devices) {
        const size_t nr = size_t(n_routed), D = size_t(devices);
        load = 0;
        prob_sum = load + nr;
        entropy_sum = prob_sum + nr;
        domain_load = entropy_sum + 1;
        traffic = domain_load + size_t(n_domains) * nr;
        device_load = traffic + D * D;
        remote_sum = device_load + D;
        remote_max = remote_sum + 1;
        aux = remote_max + 1;  // total, expert-level, device-level, communication, z-loss
        bias = aux + 5;
        dropped = bias + (dims.router.selection_bias ? nr : 0);
        total = dropped + (dims.router.capacity_factor > 0.0 ? 1 : 0);
    }
    static size_t size(const MoEDims& dims, int n_domains) { return RoutingStatsLayout(dims, n_domains).total; }
};

// Tokens per partial record in pass 1.
constexpr int64_t kStatsChunk = 64;

namespace kernels {

// Index c: partial record c (fields [0, aux) of the layout) over tokens [c*chunk, min(n, (c+1)*chunk)).
struct RoutingStatsChunk {
    const float* scores;           // [n, N_r]
    const int32_t* topk_idx;       // [n, k]
    const int32_t* expert_device;  // [N_r]
    const int16_t* domains;        // [n] or null
    int64_t n, chunk;
    int n_routed, top_k, n_domains, devices;  // n_domains: the caller's count (valid domains are < it)
    int64_t width;                            // doubles per partial row (= layout.aux)
    int64_t o_prob, o_entropy, o_domain, o_traffic, o_device, o_remote_sum, o_remote_max;
    double* partial;

    MOE_HD void operator()(int64_t c) const {
        double* p = partial + c * width;
        for (int64_t f = 0; f < width; ++f) p[f] = 0.0;
        const int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
        const int D = devices, k = top_k;
        for (int64_t t = c * chunk; t < end; ++t) {
            int dom = domains ? domains[t] : 0;
            if (dom < 0 || dom >= n_domains) dom = 0;
            const int home = int((t * D) / n);  // home_device (traffic.h)
            const int32_t* idx = topk_idx + t * k;
            int remote = 0;
            for (int j = 0; j < k; ++j) {
                const int e = idx[j];
                p[e] += 1.0;                                       // load (at offset 0 of the layout)
                p[o_domain + int64_t(dom) * n_routed + e] += 1.0;  // domain_load
                const int dev = expert_device[e];
                p[o_device + dev] += 1.0;  // every token-expert pair is computed where its expert lives
                bool seen = false;  // an earlier choice of this token already went to dev
                for (int q = 0; q < j; ++q) seen = seen || expert_device[idx[q]] == dev;
                if (seen || dev == home) continue;
                p[o_traffic + int64_t(home) * D + dev] += 1.0;
                ++remote;
            }
            p[o_remote_sum] += double(remote);
            if (double(remote) > p[o_remote_max]) p[o_remote_max] = double(remote);
            const float* s = scores + t * n_routed;
            double ent = 0.0;
            for (int e = 0; e < n_routed; ++e) {
                const double q = s[e];
                p[o_prob + e] += q;
                if (q > 0) ent -= q * dlog(q);
            }
            p[o_entropy] += ent;
        }
    }
};

// Index e: out[e] = (double) in[e] (the selection bias into the record).
struct FloatsToDoubles {
    const float* in;
    double* out;
    MOE_HD void operator()(int64_t e) const { out[e] = static_cast<double>(in[e]); }
};

// One index: *out = the number of zeros in kept [n] (the dropped slots), counted in order.
struct CountDropped {
    const uint8_t* kept;
    int64_t n;
    double* out;
    MOE_HD void operator()(int64_t) const {
        int64_t d = 0;
        for (int64_t s = 0; s < n; ++s) d += kept[s] ? 0 : 1;
        *out = static_cast<double>(d);
    }
};

// Index f (a field before aux): out[f] = sum of the partials' field f in chunk order (remote_max: their max).
struct RoutingStatsReduce {
    const double* partial;
    int64_t chunks, width, o_remote_max;
    double* out;
    MOE_HD void operator()(int64_t f) const {
        double acc = 0.0;
        for (int64_t c = 0; c < chunks; ++c) {
            const double v = partial[c * width + f];
            if (f == o_remote_max)
                acc = v > acc ? v : acc;
            else
                acc += v;
        }
        out[f] = acc;
    }
};

}  // namespace kernels

// out [RoutingStatsLayout::size(dims, n_domains)] on the device: the record of the pass moe_forward last ran on ws
// (n tokens). domains [n] on the device (row -> domain), or null for all in domain 0. bias [N_r]: the selection
// bias that pass routed with (dims.router.selection_bias only).
template <class Dev>
void routing_stats_forward(Dev& dev, const MoEDims& dims, MoEWorkspace<Dev>& ws, int64_t n, const int16_t* domains,
                           int n_domains, double* out, const float* bias = nullptr) {
    const RoutingStatsLayout L(dims, n_domains);
    const int64_t chunks = n > 0 ? (n + kStatsChunk - 1) / kStatsChunk : 0;
    const int64_t width = int64_t(L.aux);
    detail::moe_grow(ws.stats_partial, chunks * width);
    dev.launch(chunks, kernels::RoutingStatsChunk{ws.router.scores.data(), ws.router.topk_idx.data(),
                                                  ws.router.expert_device.data(), domains, n, kStatsChunk,
                                                  dims.router.n_routed, dims.router.top_k, n_domains,
                                                  dims.router.devices, width, int64_t(L.prob_sum),
                                                  int64_t(L.entropy_sum), int64_t(L.domain_load), int64_t(L.traffic),
                                                  int64_t(L.device_load), int64_t(L.remote_sum),
                                                  int64_t(L.remote_max), ws.stats_partial.data()});
    dev.launch(width, kernels::RoutingStatsReduce{ws.stats_partial.data(), chunks, width, int64_t(L.remote_max), out});
    dev.copy(out + L.aux, ws.router.aux.data(), 5);
    if (dims.router.selection_bias) {
        if (!bias) throw InternalError("GPU routing statistics: noaux_tc needs the selection bias");
        dev.launch(dims.router.n_routed, kernels::FloatsToDoubles{bias, out + L.bias});
    }
    if (dims.router.capacity_factor > 0.0)
        dev.launch(1, kernels::CountDropped{ws.router.kept.data(), n * dims.router.top_k, out + L.dropped});
}

}  // namespace moe::gpu
