// The Fast path of the MoE layer. The same function as the Reference path, organised for GEMMs:
//
//   1. counting sort of the N*k token-slots by expert (stable, so slots keep their order inside an expert):
//      offsets[e] .. offsets[e+1] are expert e's rows of the permuted buffers, perm[row] = slot = token*k + j
//   2. experts in parallel (one chunk each): gather its rows, xp[row] = x[perm[row] / k], and run its SwiGLU as
//      GEMMs over them (swiglu_forward_rows on the expert's block of rows of the shared [N*k, I] activations)
//   3. combine: y[t] = sum_j g[t,j] yp[row of slot t*k+j], in slot order, parallel over tokens
//
// Determinism: each parallel chunk (an expert, or a block of tokens / rows) writes only outputs it owns (its rows
// of the permuted buffers, its own block of the stacked weight gradients, its tokens), and every sum runs in a
// fixed order, so results are bit-identical for any number of threads.

#include "core/layers/swiglu.h"
#include "core/moe/moe_layer.h"
#include "core/parallel.h"

namespace moe::detail {
namespace {

constexpr int64_t kTokenGrain = 64;  // tokens per chunk (combine, dx gather)

// Scratch for the backward pass, reused from step to step (resized only when a shape changes). One per thread and
// scalar type, since the cache is const in the backward pass and may serve several layers.
template <class T>
struct Workspace {
    std::vector<int32_t> slot_row;  // inverse of perm: the permuted row of slot t*k + j
    MatT<T> dyp, dxp;               // [N*k, d] gradients w.r.t. yp and xp
    MatT<T> da, db;                 // [N*k, I] gradients w.r.t. the pre-activations a and b
    MatT<T> dx_shared;              // [N, d]
};

template <class T>
Workspace<T>& workspace() {
    thread_local Workspace<T> ws;
    return ws;
}

void invert(const std::vector<int32_t>& perm, std::vector<int32_t>& inv) {
    inv.resize(perm.size());
    for (size_t r = 0; r < perm.size(); ++r) inv[perm[r]] = int32_t(r);
}

// One expert's weights: rows [e*I, (e+1)*I) of w_gate / w_up and [e*d, (e+1)*d) of w_down.
template <class T>
struct ExpertWeights {
    CRef<T> wg, wu, wd;
};

template <class T>
ExpertWeights<T> expert_weights(const MoEWeights<T>& w, int e, int64_t d, int64_t inter) {
    return {w.w_gate->middleRows(e * inter, inter), w.w_up->middleRows(e * inter, inter),
            w.w_down->middleRows(e * d, d)};
}

}  // namespace

// Fills cache.offsets / perm / xp / yp / expert_cache, cache.routed_out and cache.shared_out. cache.router must
// already hold this pass's routing.
template <class T>
void moe_fast_forward(const MoESpec& spec, const MoEWeights<T>& w, const MatT<T>& x, MoECache<T>& cache,
                      PhaseClock& clock) {
    const int64_t n = x.rows(), d = spec.hidden, inter = spec.inter;
    const int nr = spec.router.n_routed, k = spec.router.top_k;
    const int64_t slots = n * k;
    const std::vector<int32_t>& idx = cache.router.topk_idx;

    // 1. Stable counting sort of the slots by expert.
    cache.offsets.assign(nr + 1, 0);
    for (int64_t s = 0; s < slots; ++s) ++cache.offsets[idx[s] + 1];
    for (int e = 0; e < nr; ++e) cache.offsets[e + 1] += cache.offsets[e];
    std::vector<int32_t>& slot_row = workspace<T>().slot_row;
    slot_row.resize(slots);
    cache.perm.resize(slots);
    {
        std::vector<int32_t> next(cache.offsets.begin(), cache.offsets.end() - 1);
        for (int64_t s = 0; s < slots; ++s) {
            const int32_t r = next[idx[s]]++;
            cache.perm[r] = int32_t(s);
            slot_row[s] = r;
        }
    }

    // 2. Experts in parallel, one chunk each. The gather is done inside the chunk: the rows are then still in cache
    // for the GEMMs, and one parallel region is saved.
    cache.xp.resize(slots, d);
    cache.yp.resize(slots, d);
    SwigluCache<T>& ec = cache.expert_cache;
    ec.a.resize(slots, inter);
    ec.b.resize(slots, inter);
    ec.h.resize(slots, inter);
    parallel_for(nr, 1, [&](int64_t e0, int64_t e1) {
        for (int64_t e = e0; e < e1; ++e) {
            const int64_t o = cache.offsets[e], m = cache.offsets[e + 1] - o;
            if (m == 0) continue;
            for (int64_t r = o; r < o + m; ++r) cache.xp.row(r) = x.row(cache.perm[r] / k);
            const ExpertWeights<T> ew = expert_weights(w, int(e), d, inter);
            swiglu_forward_rows<T>(cache.xp.middleRows(o, m), ew.wg, ew.wu, ew.wd, ec.a.middleRows(o, m),
                                   ec.b.middleRows(o, m), ec.h.middleRows(o, m), cache.yp.middleRows(o, m));
        }
    });

    // 3. Combine, per token over its slots in order.
    clock.next(Phase::Combine);
    cache.routed_out.resize(n, d);
    parallel_for(n, kTokenGrain, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
            auto out = cache.routed_out.row(t);
            out = cache.router.topk_weight(t, 0) * cache.yp.row(slot_row[t * k]);
            for (int j = 1; j < k; ++j) out += cache.router.topk_weight(t, j) * cache.yp.row(slot_row[t * k + j]);
        }
    });

    clock.next(Phase::Experts);
    if (spec.n_shared > 0) {
        cache.shared_out.resize(n, d);
        swiglu_forward<T>(x, *w.s_gate, *w.s_up, *w.s_down, cache.shared_cache, cache.shared_out);
    } else {
        cache.shared_out.resize(0, 0);
    }
}

// dx overwritten with the experts' part of the input gradient (the router's is added by the caller); dtopk_weight
// [N,k] receives d loss / d topk_weight; expert gradients accumulated.
template <class T>
void moe_fast_backward(const MoESpec& spec, const MoEWeights<T>& w, const MatT<T>& x, const MoECache<T>& cache,
                       const MatT<T>& dy, MatT<T>& dx, MatT<T>& dtopk_weight, MoEGrads<T>& grads, PhaseClock& clock) {
    const int64_t n = x.rows(), d = spec.hidden, inter = spec.inter;
    const int nr = spec.router.n_routed, k = spec.router.top_k;
    const int64_t slots = n * k;
    Workspace<T>& ws = workspace<T>();
    invert(cache.perm, ws.slot_row);
    const std::vector<int32_t>& slot_row = ws.slot_row;

    // Experts in parallel: each writes its own rows of dyp / dxp / da / db, its own blocks of the weight gradients,
    // and the entries of dtopk_weight of its own slots.
    ws.dyp.resize(slots, d);
    dtopk_weight.resize(n, k);
    const SwigluCache<T>& ec = cache.expert_cache;
    ws.dxp.resize(slots, d);
    ws.da.resize(slots, inter);
    ws.db.resize(slots, inter);
    parallel_for(nr, 1, [&](int64_t e0, int64_t e1) {
        for (int64_t e = e0; e < e1; ++e) {
            const int64_t o = cache.offsets[e], m = cache.offsets[e + 1] - o;
            if (m == 0) continue;
            // Combine backward for the expert's slots: dg[t,j] = dy[t] . yp[row],  dyp[row] = g[t,j] dy[t].
            for (int64_t r = o; r < o + m; ++r) {
                const int32_t s = cache.perm[r];
                const int64_t t = s / k, j = s % k;
                dtopk_weight(t, j) = dy.row(t).dot(cache.yp.row(r));
                ws.dyp.row(r) = cache.router.topk_weight(t, j) * dy.row(t);
            }
            const ExpertWeights<T> ew = expert_weights(w, int(e), d, inter);
            swiglu_backward_rows<T>(cache.xp.middleRows(o, m), ew.wg, ew.wu, ew.wd, ec.a.middleRows(o, m),
                                    ec.b.middleRows(o, m), ec.h.middleRows(o, m), ws.dyp.middleRows(o, m),
                                    ws.da.middleRows(o, m), ws.db.middleRows(o, m), ws.dxp.middleRows(o, m),
                                    grads.w_gate->middleRows(e * inter, inter),
                                    grads.w_up->middleRows(e * inter, inter), grads.w_down->middleRows(e * d, d));
        }
    });

    const bool shared = spec.n_shared > 0;
    if (shared) {
        ws.dx_shared.resize(n, d);
        swiglu_backward<T>(x, *w.s_gate, *w.s_up, *w.s_down, cache.shared_cache, dy, ws.dx_shared, *grads.s_gate,
                           *grads.s_up, *grads.s_down);
    }

    // Gather the input gradient back per token, its slots in order.
    clock.next(Phase::Combine);
    dx.resize(n, d);
    parallel_for(n, kTokenGrain, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
            auto out = dx.row(t);
            if (shared)
                out = ws.dx_shared.row(t);
            else
                out.setZero();
            for (int j = 0; j < k; ++j) out += ws.dxp.row(slot_row[t * k + j]);
        }
    });
    clock.next(Phase::Experts);
}

#define MOE_INSTANTIATE(T)                                                                                      \
    template void moe_fast_forward<T>(const MoESpec&, const MoEWeights<T>&, const MatT<T>&, MoECache<T>&,       \
                                      PhaseClock&);                                                               \
    template void moe_fast_backward<T>(const MoESpec&, const MoEWeights<T>&, const MatT<T>&, const MoECache<T>&, \
                                       const MatT<T>&, MatT<T>&, MatT<T>&, MoEGrads<T>&, PhaseClock&);
MOE_INSTANTIATE(float)
MOE_INSTANTIATE(double)
#undef MOE_INSTANTIATE

}  // namespace moe::detail
