// The DeepSeekMoE layer (DeepseekMoE in the reference code): a router over N_r routed SwiGLU experts plus K_s
// shared experts that every token passes through, added with weight 1:
//
//   y_t = sum_{shared} FFN_s(u_t) + sum_{i in topk(t)} g_{i,t} FFN_i(u_t)       (the residual is added by the block)
//
// Two implementations of the same function:
//   MoEPath::Reference  the seeds' training path, plain: for every expert, a boolean mask over all token-slots,
//                       gather the matching rows, run the expert with plain loops, scatter back. Slow, obvious; the
//                       thing the fast path is tested against.
//   MoEPath::Fast       token-slots grouped by expert with a counting sort (offsets per expert), each expert runs
//                       one GEMM over its contiguous rows, experts in parallel, results combined with their weights.
//
// Shared experts are stored as one SwiGLU of width K_s * I (the reference concatenates them the same way), which is
// exactly the sum of the K_s experts.
//
// Probes (RoutingProbe in spec.router.probe, router.h): the router applies mask_top_r and active_k; shared_off is
// applied here: y = routed part only (cache.shared_out is still computed, so y_ordinary - shared_out can be
// compared). Forward only: moe_backward throws while a probe is set.
#pragma once

#include "core/layers/swiglu.h"
#include "core/moe/router.h"
#include "core/phase_times.h"
#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace moe {

enum class MoEPath { Reference, Fast };

struct MoESpec {
    int hidden = 1;  // d
    int inter = 1;   // I = moe_intermediate_size, each routed expert's width
    int n_shared = 0;
    RouterSpec router;
};

// Routed experts are stacked: expert e owns rows [e*I, (e+1)*I) of w_gate / w_up and rows [e*d, (e+1)*d) of
// w_down. Shared experts (null when K_s = 0) are [K_s*I, d], [K_s*I, d], [d, K_s*I].
template <class T>
struct MoEWeights {
    const MatT<T>* gate = nullptr;    // [N_r, d]
    const MatT<T>* w_gate = nullptr;  // [N_r*I, d]
    const MatT<T>* w_up = nullptr;    // [N_r*I, d]
    const MatT<T>* w_down = nullptr;  // [N_r*d, I]
    const MatT<T>* s_gate = nullptr;
    const MatT<T>* s_up = nullptr;
    const MatT<T>* s_down = nullptr;
    const MatT<T>* gate_bias = nullptr;  // [1, N_r] the selection bias (spec.router.selection_bias only)
};

// Same shapes; accumulated into.
template <class T>
struct MoEGrads {
    MatT<T>* gate = nullptr;
    MatT<T>* w_gate = nullptr;
    MatT<T>* w_up = nullptr;
    MatT<T>* w_down = nullptr;
    MatT<T>* s_gate = nullptr;
    MatT<T>* s_up = nullptr;
    MatT<T>* s_down = nullptr;
};

template <class T>
struct MoECache {
    RouterCache<T> router;
    std::vector<int64_t> expert_load;  // [N_r] token-slots routed to each expert this pass
    MatT<T> routed_out;                // [N,d] the routed part of y (sum of g * FFN_i)
    MatT<T> shared_out;                // [N,d] the shared experts' part of y (empty when K_s = 0)
    SwigluCache<T> shared_cache;

    // Fast path: the token-slots sorted by expert. Row r of the permuted buffers is slot perm[r] = token*k + j;
    // expert e owns rows [offsets[e], offsets[e+1]).
    std::vector<int32_t> offsets;
    std::vector<int32_t> perm;
    MatT<T> xp, yp;               // [N*k, d] permuted inputs and (unweighted) expert outputs
    SwigluCache<T> expert_cache;  // [N*k, I] per permuted row

    // Reference path: per expert, the gathered inputs and its cache (kept simple on purpose).
    std::vector<std::vector<int32_t>> ref_slots;
    std::vector<MatT<T>> ref_x, ref_y;
    std::vector<SwigluCache<T>> ref_cache;
};

// Whether `probe` can run on a layer of this spec (the router's checks, and shared_off needs K_s > 0), with the
// reason in words either way.
ProbeCheck check_routing_probe(const MoESpec& spec, const RoutingProbe& probe);

// x [N,d] -> y [N,d] (shared + routed, no residual). cache.router.aux_loss holds the balance loss. `times`, when
// given, receives the time of the router, expert and combine phases (phase_times.h).
template <class T>
void moe_forward(const MoESpec& spec, const MoEWeights<T>& w, const MatT<T>& x, MoEPath path, MoECache<T>& cache,
                 MatT<T>& y, PhaseTimes* times = nullptr);

// dx overwritten; grads accumulated. Includes the balance loss's gradient (weight 1).
template <class T>
void moe_backward(const MoESpec& spec, const MoEWeights<T>& w, const MatT<T>& x, MoEPath path,
                  const MoECache<T>& cache, const MatT<T>& dy, MatT<T>& dx, MoEGrads<T>& grads,
                  PhaseTimes* times = nullptr);

}  // namespace moe
