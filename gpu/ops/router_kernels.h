// The router's per-token kernels (one index per token: N_r and k are small), forward and backward. The top-k, the
// device choice, the renormalisation and its backward are the CPU engine's own stages (core/moe/route_stages.h), so
// the same scores give the same experts (same comparisons, same tie rules) and the weights agree to float rounding.
// Used by gpu/ops/router.h. On a real GPU a thread per token reads its own row of N_r floats (strided across the
// warp, so uncoalesced); for large N_r a warp per token with shuffle reductions would be the better kernel.
#pragma once

#include "core/moe/route_stages.h"
#include "gpu/kernels/portable.h"
#include "gpu/ops/router_dims.h"

#include <math.h>
#include <stdint.h>

namespace moe::gpu::kernels {

// expert_device[e] = the simulated device of routed expert e (place_experts).
struct RouterPlaceExperts {
    int32_t* expert_device;
    int n_routed, devices;
    bool round_robin;
    MOE_HD void operator()(int64_t e) const {
        expert_device[e] = router_expert_device(static_cast<int>(e), n_routed, devices, round_robin);
    }
};

// Token t: softmax of its logits (or sigmoid affinities), the device limit's M devices, its top-k experts and their
// combine weights.
//   s_i = exp(l_i - max l) / sum_j exp(l_j - max l);   sigmoid: a_i = 1 / (1 + exp(-l_i)), s_i = a_i / sum_j a_j
//   with a selection bias (noaux_tc) the devices and the top-k rank a_i + b_i; the weights take a_i
//   device score (limit only): max of s over the device's experts, or the sum of its two largest (group routing)
//   top-k by insertion into a sorted list: an entry moves ahead only with a strictly larger value, so ties keep
//   the lower index (devices likewise); with a limit only experts on the M chosen devices are considered
//   g_j = s_j, or s_j / (sum_m s_m + 1e-20) when renorm, times routed_scaling_factor
// The scratch rows (dev_score, dev_second, allowed: [n, D]) and chosen [n, M] are used only with a limit; sel [n, N_r]
// and sel_top [n, k] only with a bias; affinity [n, N_r] and affinity_sum [n] only with sigmoid scoring.
struct RouterTokenRoute {
    const float* logits;  // [n, N_r]
    float* scores;        // [n, N_r]
    const int32_t* expert_device;
    float* dev_score;
    float* dev_second;
    uint8_t* allowed;
    int32_t* chosen;
    int32_t* topk_idx;   // [n, k]
    float* topk_weight;  // [n, k]
    float* lse;          // [n] logsumexp of the logits for the z-loss, or null (off)
    const float* bias;   // [N_r] selection bias, or null (greedy top-k)
    float* sel;          // [n, N_r] selection scores (bias only)
    float* sel_top;      // [n, k] their chosen values (bias only)
    float* affinity;     // [n, N_r] sigmoid affinities, or null (softmax scoring)
    float* affinity_sum; // [n]
    int n_routed, top_k, devices, limit;
    bool limited, group_routing, renorm;
    float scale;  // routed_scaling_factor

    MOE_HD void operator()(int64_t t) const {
        const int nr = n_routed, k = top_k;
        const float* l = logits + t * nr;
        float* s = scores + t * nr;
        const float* aff = s;
        if (affinity) {
            float* a = affinity + t * nr;
            float sum = 0.0f;
            for (int i = 0; i < nr; ++i) {
                a[i] = 1.0f / (1.0f + fexp(-l[i]));
                sum += a[i];
            }
            affinity_sum[t] = sum;
            for (int i = 0; i < nr; ++i) s[i] = a[i] / sum;
            aff = a;
        } else {
            float mx = l[0];
            for (int i = 1; i < nr; ++i) mx = fmaxf2(mx, l[i]);
            float sum = 0.0f;
            for (int i = 0; i < nr; ++i) {
                s[i] = fexp(l[i] - mx);
                sum += s[i];
            }
            for (int i = 0; i < nr; ++i) s[i] /= sum;
            if (lse) lse[t] = mx + flog(sum);
        }
        const float* rank = aff;
        if (bias) {
            route::biased_selection(aff, bias, nr, sel + t * nr);
            rank = sel + t * nr;
        }

        uint8_t* ok = limited ? allowed + t * devices : nullptr;
        if (limited) choose_devices(rank, dev_score + t * devices, dev_second + t * devices, chosen + t * limit, ok);

        int32_t* idx = topk_idx + t * k;
        float* g = topk_weight + t * k;
        float* top_vals = bias ? sel_top + t * k : g;
        int filled = 0;
        for (int i = 0; i < nr; ++i) {
            if (limited && !ok[expert_device[i]]) continue;
            route::insert_top(rank[i], int32_t(i), top_vals, idx, filled, k);
        }
        if (bias)
            for (int j = 0; j < k; ++j) g[j] = aff[idx[j]];
        route::combine_weights(g, k, renorm, scale);
    }

    // The device limit's stages for one token (device_routing.cpp does the same on the CPU).
    MOE_HD void choose_devices(const float* s, float* score, float* second, int32_t* ch, uint8_t* ok) const {
        route::device_scores(expert_device, s, n_routed, devices, group_routing, -INFINITY, score, second);
        route::top_devices(score, devices, limit, second, ch, ok);
    }
};

// Token t of group t / group_size: d logits from d topk_weight and the balance losses (weight 1), in place of a
// dscores row:
//   ds_i  = aux_scale * f_{g,i}  (alpha / (S T) * f_i N_r: only the P_i path of the expert-level loss)
//         + (alpha_dev f'_{g,dev(i)} + alpha_comm f''_{g,dev(i)}) / (S T)      (device-level and communication)
//   renorm:  ds_{idx_j} += (r dg_j - sum_m dg_m g_m) / (sum_m s_{idx_m} + 1e-20);   else ds_{idx_j} += r dg_j
//   dl_i  = s_i (ds_i - sum_j s_j ds_j)                                          (softmax backward)
// Sigmoid scoring: the balance terms are d/dp of p = a / A, taken back to a (da_i = (dp_i - p.dp) / A), the
// weights' terms use a, and dl_i = da_i a_i (1 - a_i).
// f' and f'' are kept in double for the loss; they are rounded to float here as the CPU engine stores them.
struct RouterTokenBackward {
    const float* scores;       // [n, N_r]
    const int32_t* topk_idx;   // [n, k]
    const float* topk_weight;  // [n, k]
    const float* dtopk_weight; // [n, k]
    const float* aux_f;        // [S, N_r]
    const double* dev_f;       // [S, D]
    const double* comm_f;      // [S, D]
    const int32_t* expert_device;
    float* dlogits;  // [n, N_r]
    int64_t group_size;
    int n_routed, top_k, devices;
    bool renorm, expert_aux, device_aux;
    float aux_scale;
    double dev_alpha, comm_alpha, dev_scale;
    const float* lse;  // [n] from the forward pass, or null (no z-loss)
    float z_scale;
    const float* affinity;      // [n, N_r] sigmoid affinities, or null (softmax scoring)
    const float* affinity_sum;  // [n]
    float scale;                // routed_scaling_factor
    const uint8_t* kept;        // [n, k] capacity: 0 = dropped (no gradient through its constant 0 weight), or null

    MOE_HD void operator()(int64_t t) const {
        const int nr = n_routed, k = top_k;
        const int64_t g = t / group_size;
        float* ds = dlogits + t * nr;
        const float* dg = dtopk_weight + t * k;
        float dg_kept[256];  // k <= 256 with a capacity (check_router_dims)
        if (kept) {
            for (int j = 0; j < k; ++j) dg_kept[j] = kept[t * k + j] ? dg[j] : 0.0f;
            dg = dg_kept;
        }
        for (int i = 0; i < nr; ++i) ds[i] = expert_aux ? aux_scale * aux_f[g * nr + i] : 0.0f;
        if (device_aux)
            for (int i = 0; i < nr; ++i) {
                const int64_t at = g * devices + expert_device[i];
                const double fd = static_cast<float>(dev_f[at]), fc = static_cast<float>(comm_f[at]);
                ds[i] += static_cast<float>((dev_alpha * fd + comm_alpha * fc) * dev_scale);
            }

        const float* s = scores + t * nr;
        if (affinity) {
            const float* a = affinity + t * nr;
            if (expert_aux || device_aux) route::normalised_backward(s, affinity_sum[t], nr, ds);
            route::combine_backward(a, topk_idx + t * k, topk_weight + t * k, dg, k, renorm, scale, ds);
            for (int i = 0; i < nr; ++i) ds[i] = ds[i] * a[i] * (1.0f - a[i]);
            return;
        }
        route::combine_backward(s, topk_idx + t * k, topk_weight + t * k, dg, k, renorm, scale, ds);

        float sds = 0.0f;
        for (int i = 0; i < nr; ++i) sds += s[i] * ds[i];
        for (int i = 0; i < nr; ++i) ds[i] = s[i] * (ds[i] - sds);
        // The z-loss on the logits: d (c_z lse_t^2 / N) / d l_i = 2 c_z lse_t / N * s_i (z_scale = 2 c_z / N).
        if (lse)
            for (int i = 0; i < nr; ++i) ds[i] += z_scale * lse[t] * s[i];
    }
};

// noaux_tc after an optimiser step, one index per expert e: its load of the last forward pass is the counting
// sort's offsets[e+1] - offsets[e] of `slot_count` = n k token-slots; the bias moves by route::bias_step.
struct RouterBiasUpdate {
    float* bias;             // [N_r]
    const int32_t* offsets;  // [N_r + 1]
    int64_t slot_count;
    int n_routed;
    float rate;
    MOE_HD void operator()(int64_t e) const {
        bias[e] = route::bias_step(bias[e], int64_t(offsets[e + 1] - offsets[e]), slot_count, n_routed, rate);
    }
};

// Expert capacity, one index per expert e: its slots are the permuted rows [offsets[e], offsets[e+1]) (perm[row] =
// slot, ascending within the expert: the counting sort is stable); route::capacity_keep marks the ones it keeps.
struct RouterCapacityKeep {
    const int32_t* perm;
    const int32_t* offsets;  // [N_r + 1]
    const float* weight;     // [n * k]
    uint8_t* kept;           // [n * k]
    int64_t capacity;
    bool by_probs;
    MOE_HD void operator()(int64_t e) const {
        route::capacity_keep(perm + offsets[e], int64_t(offsets[e + 1] - offsets[e]), weight, capacity, by_probs, kept);
    }
};

// One index per slot: a dropped slot's combine weight becomes 0.
struct RouterDropWeights {
    const uint8_t* kept;
    float* weight;
    MOE_HD void operator()(int64_t s) const {
        if (!kept[s]) weight[s] = 0.0f;
    }
};

// The router z-loss (one index): aux[4] = c_z * mean_t lse_t^2, summed in token order in double as the CPU engine,
// and added to the total aux[0].
struct RouterZLoss {
    const float* lse;  // [n]
    double* aux;       // [5]
    int64_t n;
    double coef;
    MOE_HD void operator()(int64_t) const {
        double total = 0.0;
        for (int64_t t = 0; t < n; ++t) total += static_cast<double>(lse[t]) * static_cast<double>(lse[t]);
        aux[4] = coef * total / static_cast<double>(n);
        aux[0] += aux[4];
    }
};

}  // namespace moe::gpu::kernels
