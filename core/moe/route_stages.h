// The router's per-token stages, written once for the CPU engine (core/moe/router.cpp, device_routing.cpp) and the
// GPU kernels (gpu/ops/router_kernels.h): plain loops over raw pointers, marked MOE_HD so nvcc compiles them for the
// GPU as well. The same scores go through the same comparisons in the same order on both sides, so they pick the
// same experts and devices and give the same weights to float rounding. The seeds' mask-loop reference path
// (core/moe/moe_reference.cpp) stays separate: it is what the tests compare these against.
//
// Stages of one token, in order (router.h has the math):
//   scores  softmax of the logits, or sigmoid affinities    (CPU: Eigen's vectorised exp; GPU: a loop; see router.cpp)
//   bias    selection scores = scores + b (noaux_tc)        biased_selection
//   devices device scores, then the best M devices          device_scores, top_devices
//   top-k   insertion into a sorted list of length k        insert_top (ties: the lower index stays first)
//   combine renormalise over the chosen experts, scale      combine_weights
// and backward:
//   combine d g -> d s over the chosen experts              combine_backward
// and per expert, over the batch (capacity_factor > 0):
//   capacity keep at most C = ceil(CF N k / N_r) slots      capacity_of, capacity_keep
// and after the optimiser step (noaux_tc):
//   bias    b_i += gamma * sign(mean load - load_i)         bias_step
#pragma once

#include "core/portable.h"

#include <math.h>
#include <stdint.h>

namespace moe::route {

// Added to the renormalisation denominator, as in the reference gate (topk_weight.sum() + 1e-20).
constexpr double kNormEps = 1e-20;

// Inserts (v, i) into the descending list vals / idx of capacity k that holds `filled` entries. An entry moves ahead
// of another only with a strictly larger value, so among equal values the lower index (seen first) stays first.
template <class T>
MOE_HD void insert_top(T v, int32_t i, T* vals, int32_t* idx, int& filled, int k) {
    int pos;
    if (filled < k)
        pos = filled++;
    else if (v > vals[k - 1])
        pos = k - 1;
    else
        return;
    for (; pos > 0 && vals[pos - 1] < v; --pos) {
        vals[pos] = vals[pos - 1];
        idx[pos] = idx[pos - 1];
    }
    vals[pos] = v;
    idx[pos] = i;
}

// Device scores of one token from its expert scores s [N_r]: score [D] = the max of s over the device's experts
// (DeepSeek-V2), or with top2_sum the sum of its two largest (V3 group routing; the top-1 alone for a device with
// one expert). `second` [D] is scratch. `none` is -infinity of T (passed in: no <limits> on the device).
template <class T>
MOE_HD void device_scores(const int32_t* expert_device, const T* s, int n_routed, int devices, bool top2_sum, T none,
                          T* score, T* second) {
    for (int i = 0; i < devices; ++i) score[i] = second[i] = none;
    if (!top2_sum) {
        for (int e = 0; e < n_routed; ++e) {
            const int i = expert_device[e];
            if (score[i] < s[e]) score[i] = s[e];  // max, keeping the first on ties
        }
        return;
    }
    // score holds the device's top-1 while scanning, second its top-2.
    for (int e = 0; e < n_routed; ++e) {
        const int i = expert_device[e];
        if (s[e] > score[i]) {
            second[i] = score[i];
            score[i] = s[e];
        } else if (s[e] > second[i]) {
            second[i] = s[e];
        }
    }
    for (int i = 0; i < devices; ++i)
        if (second[i] != none) score[i] += second[i];
}

// The M devices with the best scores [D], best first (ties: the lower device), into chosen [M]; allowed [D] = 1 for
// them, 0 for the others. `sorted` [D] is scratch (it may be device_scores' `second`).
template <class T>
MOE_HD void top_devices(const T* score, int devices, int limit, T* sorted, int32_t* chosen, uint8_t* allowed) {
    int filled = 0;
    for (int i = 0; i < devices; ++i) insert_top(score[i], int32_t(i), sorted, chosen, filled, limit);
    for (int i = 0; i < devices; ++i) allowed[i] = 0;
    for (int m = 0; m < limit; ++m) allowed[chosen[m]] = 1;
}

// g_j = s_j / (sum_m s_m + 1e-20) over the token's k chosen weights, in place.
template <class T>
MOE_HD void renormalise(T* g, int k) {
    T sum = 0;
    for (int j = 0; j < k; ++j) sum += g[j];
    const T denom = sum + T(kNormEps);
    for (int j = 0; j < k; ++j) g[j] /= denom;
}

// The combine weights of one token from its chosen scores g [k] (in place): renormalised when `renorm`, then
// multiplied by routed_scaling_factor `scale` (skipped at 1, so the weights stay bit-identical to unscaled ones).
template <class T>
MOE_HD void combine_weights(T* g, int k, bool renorm, T scale) {
    if (renorm) renormalise(g, k);
    if (scale != T(1))
        for (int j = 0; j < k; ++j) g[j] *= scale;
}

// The selection scores of one token (noaux_tc): sel_i = s_i + b_i. They decide the devices and the top-k; the
// combine weights take the unbiased s_i.
template <class T, class B>
MOE_HD void biased_selection(const T* s, const B* bias, int n_routed, T* sel) {
    for (int i = 0; i < n_routed; ++i) sel[i] = s[i] + T(bias[i]);
}

// d g -> d s for one token, added into ds [N_r]: the chosen experts idx [k] with combine weights g [k] (already
// scaled by r = routed_scaling_factor) and their gradients dg [k], scores s [N_r].
//   renormalised (g_j = r s_j / D, D = sum_m s_m + eps):  ds_{idx_j} += (r dg_j - sum_m dg_m g_m) / D
//   otherwise (g_j = r s_j):                              ds_{idx_j} += r dg_j
// At r = 1 the products r dg_j are exact, so the result is that of the unscaled formulas.
template <class T>
MOE_HD void combine_backward(const T* s, const int32_t* idx, const T* g, const T* dg, int k, bool renorm, T scale,
                             T* ds) {
    if (!renorm) {
        for (int j = 0; j < k; ++j) ds[idx[j]] += scale * dg[j];
        return;
    }
    T denom = 0, dot = 0;
    for (int j = 0; j < k; ++j) denom += s[idx[j]];
    denom += T(kNormEps);
    for (int j = 0; j < k; ++j) dot += dg[j] * g[j];
    for (int j = 0; j < k; ++j) ds[idx[j]] += (scale * dg[j] - dot) / denom;
}

// Sigmoid scoring (DeepSeek-V3): the affinities a_i = sigmoid(l_i) are what the top-k and the weights use; the
// balance losses and every view use their normalised form p_i = a_i / A, A = sum_j a_j (the V3 paper's s'_i).
// Backward of p: given d p (in dp [N_r]) returns d a in place: da_i = (dp_i - sum_j dp_j p_j) / A.
template <class T>
MOE_HD void normalised_backward(const T* p, T sum, int n_routed, T* dp) {
    T dot = 0;
    for (int i = 0; i < n_routed; ++i) dot += dp[i] * p[i];
    for (int i = 0; i < n_routed; ++i) dp[i] = (dp[i] - dot) / sum;
}

// GShard / Switch expert capacity: C = ceil(CF * slot_count / N_r) token-slots per expert per batch (slot_count = N k).
MOE_HD int64_t capacity_of(double capacity_factor, int64_t slot_count, int n_routed) {
    return static_cast<int64_t>(ceil(capacity_factor * static_cast<double>(slot_count) / static_cast<double>(n_routed)));
}

// Which of one expert's m token-slots stay within its capacity: `routed` [m] are the slot indices routed to it
// (t * k + j) in ascending order, keep [slot_count] receives 1 (kept) or 0 (dropped) for each of them.
//   position: the earliest C slots;  probs: the C slots with the largest combine weight, ties to the earlier slot.
// A dropped slot's weight becomes 0 (the caller): the expert's output does not reach the token, whose residual
// carries it past the layer.
template <class T>
MOE_HD void capacity_keep(const int32_t* routed, int64_t m, const T* weight, int64_t capacity, bool by_probs,
                          uint8_t* keep) {
    for (int64_t i = 0; i < m; ++i) {
        int64_t rank = i;  // position: the slot's place in order
        if (by_probs) {
            rank = 0;
            const T w = weight[routed[i]];
            for (int64_t q = 0; q < m; ++q) {
                const T v = weight[routed[q]];
                rank += (v > w || (v == w && q < i)) ? 1 : 0;
            }
        }
        keep[routed[i]] = rank < capacity ? 1 : 0;
    }
}

// The auxiliary-loss-free bias update of one expert after a step (Wang et al. 2024; DeepSeek-V3): with load_i of the
// step's `slot_count` = N k token-slots, the mean load is slot_count / N_r, and
//   b_i += gamma * sign(mean - load_i)
// The sign is taken in integers (slot_count - N_r load_i), so the CPU and the GPU move every bias the same way.
template <class T>
MOE_HD T bias_step(T bias, int64_t load, int64_t slot_count, int n_routed, T rate) {
    const int64_t diff = slot_count - int64_t(n_routed) * load;
    return diff > 0 ? bias + rate : (diff < 0 ? bias - rate : bias);
}

}  // namespace moe::route
