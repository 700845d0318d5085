// The router's balance losses on the GPU backend, forward (their gradient is in router_kernels.h): the expert-level
// loss of core/moe/router.cpp and DeepSeek-V2's device-level and communication losses of
// core/moe/device_routing.cpp, over S groups of T tokens (one per sequence with seq_aux, else one of all tokens):
//   f_j  = N_r / (K T) * #(assignments of the group to expert j)      (kept as float, as RouterCache::aux_f)
//   P_j  = (1/T) sum_t s_{j,t}                                         (double)
//   L_ExpBal  = alpha      / S * sum_g sum_j f_j P_j
//   L_DevBal  = alpha_dev  / S * sum_g sum_i f'_i  P'_i,   f'_i = mean of f_j over the device's experts E_i
//   L_CommBal = alpha_comm / S * sum_g sum_i f''_i P'_i,   f''_i = D / (M T) * #(tokens with an expert on i)
//   P'_i = sum_{j in E_i} P_j
// Counts without atomics: one index per (group, expert) or (group, device) loops over the group's tokens.
// On a real GPU with one big group (token-level) that is only N_r (or D) threads each reading all N tokens; a
// block-per-(group, expert) tree reduction, or per-block histograms summed in a second pass, would be faster.
#pragma once

#include "gpu/kernels/portable.h"

#include <stdint.h>

namespace moe::gpu::kernels {

// Index g * N_r + j: f_{g,j} (float, from the exact count) and P_{g,j} (double mean of the scores).
struct RouterExpertLoad {
    const float* scores;      // [n, N_r]
    const int32_t* topk_idx;  // [n, k]
    float* aux_f;             // [S, N_r]
    double* aux_p;            // [S, N_r]
    int64_t group_size;
    int n_routed, top_k;
    float f_scale;  // float(N_r / (K T)), as the CPU engine scales its float counts

    MOE_HD void operator()(int64_t i) const {
        const int64_t g = i / n_routed;
        const int j = static_cast<int>(i % n_routed);
        const int64_t t0 = g * group_size, t1 = t0 + group_size;
        int64_t count = 0;
        for (int64_t a = t0 * top_k; a < t1 * top_k; ++a) count += topk_idx[a] == j;
        double p = 0.0;
        for (int64_t t = t0; t < t1; ++t) p += static_cast<double>(scores[t * n_routed + j]);
        aux_f[i] = static_cast<float>(count) * f_scale;
        aux_p[i] = p / static_cast<double>(group_size);
    }
};

// Index g * D + d: f'_{g,d}, f''_{g,d} and P'_{g,d} (all double), for the device-level balance losses.
struct RouterDeviceLoad {
    const int32_t* topk_idx;       // [n, k]
    const int32_t* expert_device;  // [N_r]
    const float* aux_f;            // [S, N_r]
    const double* aux_p;           // [S, N_r]
    double* dev_f;                 // [S, D]
    double* comm_f;                // [S, D]
    double* dev_p;                 // [S, D]
    int64_t group_size;
    int n_routed, top_k, devices, limit;

    MOE_HD void operator()(int64_t i) const {
        const int64_t g = i / devices;
        const int d = static_cast<int>(i % devices);
        double f1 = 0.0, p = 0.0;
        int on_device = 0;
        for (int j = 0; j < n_routed; ++j) {
            if (expert_device[j] != d) continue;
            ++on_device;
            f1 += static_cast<double>(aux_f[g * n_routed + j]);
            p += aux_p[g * n_routed + j];
        }
        int64_t sent = 0;  // tokens of the group with at least one of their k experts on device d
        for (int64_t t = g * group_size; t < (g + 1) * group_size; ++t) {
            bool hit = false;
            for (int m = 0; m < top_k; ++m) hit = hit || expert_device[topk_idx[t * top_k + m]] == d;
            sent += hit;
        }
        dev_f[i] = f1 / static_cast<double>(on_device);
        comm_f[i] = static_cast<double>(devices) / (static_cast<double>(limit) * static_cast<double>(group_size)) *
                    static_cast<double>(sent);
        dev_p[i] = p;
    }
};

// One index: the layer's losses into aux [4] = {total, expert-level, device-level, communication}, each 0 when
// its coefficient is 0, total = expert + device + communication (RouterCache::aux_loss). S (N_r + 2D) terms: a
// single thread is enough.
struct RouterBalanceLoss {
    const float* aux_f;    // [S, N_r]
    const double* aux_p;   // [S, N_r]
    const double* dev_f;   // [S, D] (read only when device_loss)
    const double* comm_f;  // [S, D]
    const double* dev_p;   // [S, D]
    double* aux;           // [4]
    int64_t groups;
    int n_routed, devices;
    double alpha, dev_alpha, comm_alpha;
    bool expert_loss, device_loss;

    MOE_HD void operator()(int64_t) const {
        double expert = 0.0, dev = 0.0, comm = 0.0;
        for (int64_t g = 0; g < groups; ++g) {  // per-group dot products, then their sum (as the CPU engine)
            double e = 0.0, dv = 0.0, cm = 0.0;
            if (expert_loss)
                for (int j = 0; j < n_routed; ++j)
                    e += static_cast<double>(aux_f[g * n_routed + j]) * aux_p[g * n_routed + j];
            if (device_loss)
                for (int d = 0; d < devices; ++d) {
                    dv += dev_f[g * devices + d] * dev_p[g * devices + d];
                    cm += comm_f[g * devices + d] * dev_p[g * devices + d];
                }
            expert += e, dev += dv, comm += cm;
        }
        const double S = static_cast<double>(groups);
        aux[1] = expert_loss ? alpha * expert / S : 0.0;
        aux[2] = device_loss ? dev_alpha * dev / S : 0.0;
        aux[3] = device_loss ? comm_alpha * comm / S : 0.0;
        aux[0] = aux[1] + aux[2] + aux[3];
    }
};

}  // namespace moe::gpu::kernels
