// The DeepSeekMoE layer on the device, the Fast path of core/moe/moe_layer.{h,cpp} and core/moe/moe_fast.cpp:
//
//   y_t = sum_{shared} FFN_s(u_t) + sum_{i in topk(t)} g_{i,t} FFN_i(u_t)       (the residual is added by the block)
//
//   1. router (gpu/ops/router.h): scores, top-k experts and combine weights per token
//   2. stable counting sort of the N*k token-slots by expert (gpu/ops/permute.h): offsets [N_r+1], perm, slot_row
//   3. xp = the slots' token rows in permuted order; each expert runs its SwiGLU as GEMMs on its contiguous rows
//   4. combine: routed[t] = sum_j g[t,j] yp[row of slot t*k+j]; y = routed + shared (one SwiGLU of width K_s * I)
//
// Host round trip: cuBLAS takes each GEMM's row count on the host, so after the sort the N_r+1 offsets are
// downloaded into ws.host_offsets (one small transfer per layer and forward pass; it waits for the device). The
// backward reuses them. A real GPU would rather use a grouped GEMM (one launch for all experts, sizes on the device)
// and skip the round trip; the per-expert loop keeps the code close to the CPU's and uses only dev.gemm.
//
// The routed experts' activations (a, b, h: [N*k, I], a row per permuted slot) live in ws.expert and are filled
// here expert by expert, as moe_fast.cpp does: swiglu_forward keeps the activations of ONE call only. The
// activation itself runs once over all N*k rows (every row belongs to exactly one expert).
#pragma once

#include "core/error.h"
#include "gpu/kernels/gemm_desc.h"
#include "gpu/ops/permute.h"
#include "gpu/ops/router.h"
#include "gpu/ops/router_dims.h"
#include "gpu/ops/swiglu.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace moe::gpu {

struct MoEDims {
    int hidden = 1;    // d
    int inter = 1;     // I, each routed expert's width
    int n_shared = 0;  // K_s
    RouterDims router;
};

// Layouts of core/moe/moe_layer.h MoEWeights: gate [N_r,d]; w_gate, w_up [N_r*I, d] (expert e: rows [e*I, (e+1)*I));
// w_down [N_r*d, I] (expert e: rows [e*d, (e+1)*d)); s_gate, s_up [K_s*I, d], s_down [d, K_s*I] (null when K_s = 0).
struct MoEWeightPtrs {
    const float *gate = nullptr, *w_gate = nullptr, *w_up = nullptr, *w_down = nullptr;
    const float *s_gate = nullptr, *s_up = nullptr, *s_down = nullptr;
    const float* gate_bias = nullptr;  // [N_r] the selection bias (noaux_tc only)
};

// Same shapes; accumulated into.
struct MoEGradPtrs {
    float *gate = nullptr, *w_gate = nullptr, *w_up = nullptr, *w_down = nullptr;
    float *s_gate = nullptr, *s_up = nullptr, *s_down = nullptr;
};

// What the backward needs from the forward, and the backward's scratch. Buffers grow to the largest n seen and are
// never shrunk (the first n*... elements are live), so a changing batch does not reallocate every step.
template <class Dev>
struct MoEWorkspace {
    template <class T>
    using Buffer = typename Dev::template Buffer<T>;

    RouterWorkspace<Dev> router;      // scores, topk_idx, topk_weight, expert_device, aux of this pass
    Buffer<int32_t> offsets;          // [N_r+1] expert e owns permuted rows [offsets[e], offsets[e+1])
    Buffer<int32_t> perm, slot_row;   // [N*k] perm[row] = slot t*k+j; slot_row its inverse
    Buffer<int32_t> sort_hist;        // the counting sort's per-chunk histograms
    Buffer<float> xp, yp;             // [N*k, d] permuted inputs and (unweighted) expert outputs
    Buffer<float> routed_out;         // [N, d] the routed part of y
    Buffer<float> shared_out;         // [N, d] the shared experts' part of y (unused when K_s = 0)
    SwigluWorkspace<Dev> expert;      // routed experts: a, b, h, dh, da, db [N*k, I], a row per permuted slot
    SwigluWorkspace<Dev> shared;      // shared experts (swiglu_forward / swiglu_backward on all N rows)
    Buffer<float> dtopk_weight;       // [N, k] backward: d loss / d g
    Buffer<float> dyp, dxp;           // [N*k, d] backward: gradients w.r.t. yp and xp
    Buffer<double> stats_partial;     // routing_stats_forward's per-chunk partial records
    std::vector<int32_t> host_offsets;  // offsets on the host (expert row counts for the GEMMs)
    int64_t rows = -1;                // N of the last forward (-1: none yet)
};

namespace detail {

template <class Buf>
void moe_grow(Buf& buf, int64_t count) {
    if (buf.size() < static_cast<size_t>(count)) buf.resize(static_cast<size_t>(count));
}

inline void check_moe_dims(const MoEDims& dims, const MoEWeightPtrs& w) {
    if (dims.hidden < 1 || dims.inter < 1 || dims.n_shared < 0)
        throw ConfigError("GPU MoE layer: hidden size and expert width must be positive, shared experts not negative");
    if (!w.gate || !w.w_gate || !w.w_up || !w.w_down)
        throw InternalError("GPU MoE layer: the router or routed expert weights are missing");
    if (dims.n_shared > 0 && (!w.s_gate || !w.s_up || !w.s_down))
        throw InternalError("GPU MoE layer: n_shared > 0 but the shared expert weights are missing");
}

}  // namespace detail

// x [n,d] -> y [n,d] (shared + routed, no residual). The balance loss is in ws.router.aux (device doubles).
template <class Dev>
void moe_forward(Dev& dev, const MoEDims& dims, const MoEWeightPtrs& w, const float* x, int64_t n,
                 MoEWorkspace<Dev>& ws, float* y) {
    detail::check_moe_dims(dims, w);
    const int d = dims.hidden, inter = dims.inter, nr = dims.router.n_routed, k = dims.router.top_k;
    const int64_t n_slots = n * k;

    router_forward(dev, dims.router, x, n, d, w.gate, ws.router, w.gate_bias);

    // 2. Counting sort of the slots by expert; the offsets come to the host for the GEMM sizes.
    detail::moe_grow(ws.offsets, nr + 1);
    detail::moe_grow(ws.perm, n_slots);
    detail::moe_grow(ws.slot_row, n_slots);
    detail::moe_grow(ws.sort_hist, static_cast<int64_t>(sort_scratch_size(n_slots, nr)));
    sort_slots_by_expert(dev, ws.router.topk_idx.data(), n_slots, nr, ws.sort_hist.data(), ws.offsets.data(),
                         ws.perm.data(), ws.slot_row.data());
    ws.host_offsets.resize(static_cast<size_t>(nr) + 1);
    dev.download(ws.host_offsets.data(), ws.offsets.data(), static_cast<size_t>(nr) + 1);
    ws.rows = n;
    // Expert capacity (GShard, Switch): each expert keeps at most C of its slots, in sorted order; the dropped
    // slots keep their rows (computed, then weighted 0), as the CPU engine does.
    if (dims.router.capacity_factor > 0.0) {
        if (ws.router.kept.size() != static_cast<size_t>(n_slots)) ws.router.kept.resize(static_cast<size_t>(n_slots));
        const int64_t capacity = route::capacity_of(dims.router.capacity_factor, n_slots, nr);
        dev.launch(nr, kernels::RouterCapacityKeep{ws.perm.data(), ws.offsets.data(), ws.router.topk_weight.data(),
                                                   ws.router.kept.data(), capacity, dims.router.drop_by_probs});
        dev.launch(n_slots, kernels::RouterDropWeights{ws.router.kept.data(), ws.router.topk_weight.data()});
    }

    // 3. Experts: a = xp Wg_e^T, b = xp Wu_e^T on each expert's rows; h = silu(a) b on all rows; yp = h Wd_e^T.
    detail::moe_grow(ws.xp, n_slots * d);
    detail::moe_grow(ws.yp, n_slots * d);
    for (auto* buf : {&ws.expert.a, &ws.expert.b, &ws.expert.h}) detail::moe_grow(*buf, n_slots * inter);
    gather_slot_rows(dev, x, ws.perm.data(), n_slots, d, k, ws.xp.data());
    const int64_t wsz = int64_t(inter) * d;  // elements of one expert's block of any of the three weights
    float *xp = ws.xp.data(), *yp = ws.yp.data(), *a = ws.expert.a.data(), *b = ws.expert.b.data();
    float* h = ws.expert.h.data();
    const std::vector<int32_t>& off = ws.host_offsets;
    for (int e = 0; e < nr; ++e) {
        const int64_t o = off[e];
        const int m = off[e + 1] - off[e];
        if (m == 0) continue;
        dev.gemm(gemm_nt(m, inter, d, xp + o * d, w.w_gate + e * wsz, a + o * inter));
        dev.gemm(gemm_nt(m, inter, d, xp + o * d, w.w_up + e * wsz, b + o * inter));
    }
    swiglu_act_forward(dev, a, b, n_slots * inter, h);
    for (int e = 0; e < nr; ++e) {
        const int64_t o = off[e];
        const int m = off[e + 1] - off[e];
        if (m == 0) continue;
        dev.gemm(gemm_nt(m, d, inter, h + o * inter, w.w_down + e * wsz, yp + o * d));
    }

    // 4. Shared experts first, so that the combine writes routed_out and y = routed + shared in one pass.
    detail::moe_grow(ws.routed_out, n * d);
    const float* shared = nullptr;
    if (dims.n_shared > 0) {
        detail::moe_grow(ws.shared_out, n * d);
        swiglu_forward(dev, x, n, d, dims.n_shared * inter, w.s_gate, w.s_up, w.s_down, ws.shared,
                       ws.shared_out.data());
        shared = ws.shared_out.data();
    }
    combine_slots(dev, yp, ws.router.topk_weight.data(), ws.slot_row.data(), shared, n, d, k, ws.routed_out.data(),
                  y);
}

// dx [n,d] overwritten; grads accumulated. Includes the router's part and the balance losses' gradient (weight 1).
// ws from moe_forward on the same x.
template <class Dev>
void moe_backward(Dev& dev, const MoEDims& dims, const MoEWeightPtrs& w, const float* x, int64_t n,
                  MoEWorkspace<Dev>& ws, const float* dy, float* dx, const MoEGradPtrs& g) {
    detail::check_moe_dims(dims, w);
    if (!g.gate || !g.w_gate || !g.w_up || !g.w_down || (dims.n_shared > 0 && (!g.s_gate || !g.s_up || !g.s_down)))
        throw InternalError("GPU MoE layer: a weight gradient is missing");
    if (ws.rows != n || ws.host_offsets.size() != static_cast<size_t>(dims.router.n_routed) + 1)
        throw InternalError("GPU MoE layer: backward called without a matching forward pass");
    const int d = dims.hidden, inter = dims.inter, nr = dims.router.n_routed, k = dims.router.top_k;
    const int64_t n_slots = n * k;

    // Combine backward: dg[t,j] = dy[t] . yp[row],  dyp[row] = g[t,j] dy[t].
    detail::moe_grow(ws.dtopk_weight, n_slots);
    detail::moe_grow(ws.dyp, n_slots * d);
    detail::moe_grow(ws.dxp, n_slots * d);
    for (auto* buf : {&ws.expert.dh, &ws.expert.da, &ws.expert.db}) detail::moe_grow(*buf, n_slots * inter);
    combine_slots_backward(dev, dy, ws.yp.data(), ws.router.topk_weight.data(), ws.perm.data(), ws.slot_row.data(), n,
                           d, k, ws.dtopk_weight.data(), ws.dyp.data());

    // Experts: dh = dyp Wd_e, dWd_e += dyp^T h; then (all rows) da, db from dh; then dWg_e += da^T xp,
    // dWu_e += db^T xp, dxp = da Wg_e + db Wu_e. Each expert writes only its rows and its own weight blocks.
    const int64_t wsz = int64_t(inter) * d;
    const float *xp = ws.xp.data(), *dyp = ws.dyp.data(), *h = ws.expert.h.data();
    float *dh = ws.expert.dh.data(), *da = ws.expert.da.data(), *db = ws.expert.db.data(), *dxp = ws.dxp.data();
    const std::vector<int32_t>& off = ws.host_offsets;
    for (int e = 0; e < nr; ++e) {
        const int64_t o = off[e];
        const int m = off[e + 1] - off[e];
        if (m == 0) continue;
        dev.gemm(gemm_nn(m, inter, d, dyp + o * d, w.w_down + e * wsz, dh + o * inter));
        dev.gemm(gemm_tn(d, inter, m, dyp + o * d, h + o * inter, g.w_down + e * wsz));
    }
    swiglu_act_backward(dev, ws.expert.a.data(), ws.expert.b.data(), dh, n_slots * inter, da, db);
    for (int e = 0; e < nr; ++e) {
        const int64_t o = off[e];
        const int m = off[e + 1] - off[e];
        if (m == 0) continue;
        dev.gemm(gemm_tn(inter, d, m, da + o * inter, xp + o * d, g.w_gate + e * wsz));
        dev.gemm(gemm_tn(inter, d, m, db + o * inter, xp + o * d, g.w_up + e * wsz));
        dev.gemm(gemm_nn(m, d, inter, da + o * inter, w.w_gate + e * wsz, dxp + o * d));
        dev.gemm(gemm_nn(m, d, inter, db + o * inter, w.w_up + e * wsz, dxp + o * d, 1.0f));
    }

    // dx = (shared experts' dx) + sum_j dxp[row of t,j] in slot order, as the CPU; then the router adds its part.
    const bool shared = dims.n_shared > 0;
    if (shared)
        swiglu_backward(dev, x, n, d, dims.n_shared * inter, w.s_gate, w.s_up, w.s_down, ws.shared, dy, dx, g.s_gate,
                        g.s_up, g.s_down);
    scatter_slot_grads(dev, dxp, ws.slot_row.data(), n, d, k, /*accumulate=*/shared, dx);
    router_backward(dev, dims.router, x, n, d, w.gate, ws.router, ws.dtopk_weight.data(), dx, g.gate);
}

}  // namespace moe::gpu
