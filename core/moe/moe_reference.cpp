// The Reference path of the MoE layer: the seeds' training path (DeepseekMoE.forward with self.training), written
// out plainly, single-threaded, with its own naive matrix products so that it shares no arithmetic with the Fast
// path it checks (only the router, which both paths call from moe_layer.cpp):
//
//   xr = x.repeat_interleave(k)                        slot t*k + j holds token t's j-th choice
//   for every expert e:  mask = (topk_idx == e) over ALL N*k slots
//                        yr[mask] = FFN_e(xr[mask])
//   routed = (yr.view(N, k, d) * topk_weight[..., None]).sum(1)
//   shared = FFN_shared(x)                             one SwiGLU of width K_s*I
//
// The backward pass mirrors it step by step. Slow on purpose: obviously correct is the point.
#include "core/moe/moe_layer.h"

#include <cmath>

namespace moe::detail {
namespace {

// ---- Naive matrix products (triple loops, one sum per output element in index order). ----

// C = A B^T: A [m,p], B [n,p] -> [m,n]  (a linear layer y = x W^T)
template <class T>
MatT<T> naive_nt(CRef<T> A, CRef<T> B) {
    MatT<T> C(A.rows(), B.rows());
    for (int64_t i = 0; i < A.rows(); ++i)
        for (int64_t j = 0; j < B.rows(); ++j) {
            T acc = 0;
            for (int64_t p = 0; p < A.cols(); ++p) acc += A(i, p) * B(j, p);
            C(i, j) = acc;
        }
    return C;
}

// C = A B: A [m,p], B [p,n] -> [m,n]  (an input gradient dx = dy W)
template <class T>
MatT<T> naive_nn(CRef<T> A, CRef<T> B) {
    MatT<T> C(A.rows(), B.cols());
    for (int64_t i = 0; i < A.rows(); ++i)
        for (int64_t j = 0; j < B.cols(); ++j) {
            T acc = 0;
            for (int64_t p = 0; p < A.cols(); ++p) acc += A(i, p) * B(p, j);
            C(i, j) = acc;
        }
    return C;
}

// C += A^T B: A [p,m], B [p,n], C [m,n]  (a weight gradient dW += dy^T x)
template <class T>
void naive_tn_acc(CRef<T> A, CRef<T> B, MRef<T> C) {
    for (int64_t i = 0; i < A.cols(); ++i)
        for (int64_t j = 0; j < B.cols(); ++j) {
            T acc = 0;
            for (int64_t p = 0; p < A.rows(); ++p) acc += A(p, i) * B(p, j);
            C(i, j) += acc;
        }
}

template <class T>
T sigmoid(T v) {
    return T(1) / (T(1) + std::exp(-v));
}

// ---- One SwiGLU expert, y = down(silu(gate(x)) * up(x)), with plain loops. ----

template <class T>
void naive_swiglu_forward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& c, MatT<T>& y) {
    c.a = naive_nt<T>(x, Wg);
    c.b = naive_nt<T>(x, Wu);
    c.h.resize(c.a.rows(), c.a.cols());
    for (int64_t i = 0; i < c.a.rows(); ++i)
        for (int64_t j = 0; j < c.a.cols(); ++j) {
            const T a = c.a(i, j);
            c.h(i, j) = a * sigmoid(a) * c.b(i, j);
        }
    y = naive_nt<T>(c.h, Wd);
}

// dx overwritten, dWg / dWu / dWd accumulated.
template <class T>
void naive_swiglu_backward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& c, CRef<T> dy,
                           MatT<T>& dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd) {
    const MatT<T> dh = naive_nn<T>(dy, Wd);  // y = h Wd^T
    naive_tn_acc<T>(dy, c.h, dWd);
    MatT<T> da(dh.rows(), dh.cols()), db(dh.rows(), dh.cols());
    for (int64_t i = 0; i < dh.rows(); ++i)
        for (int64_t j = 0; j < dh.cols(); ++j) {
            // h = silu(a) b, silu(a) = a sig(a), silu'(a) = sig(a) (1 + a (1 - sig(a)))
            const T a = c.a(i, j), sig = sigmoid(a);
            db(i, j) = dh(i, j) * a * sig;
            da(i, j) = dh(i, j) * c.b(i, j) * sig * (T(1) + a * (T(1) - sig));
        }
    naive_tn_acc<T>(da, x, dWg);
    naive_tn_acc<T>(db, x, dWu);
    dx = naive_nn<T>(da, Wg) + naive_nn<T>(db, Wu);
}

}  // namespace

// Fills cache.routed_out, cache.shared_out and the ref_* fields. cache.router must already hold this pass's routing.
template <class T>
void moe_reference_forward(const MoESpec& spec, const MoEWeights<T>& w, const MatT<T>& x, MoECache<T>& cache) {
    const int64_t n = x.rows(), d = spec.hidden, inter = spec.inter;
    const int nr = spec.router.n_routed, k = spec.router.top_k;
    const std::vector<int32_t>& flat_idx = cache.router.topk_idx;

    // hidden_states.repeat_interleave(k): slot t*k + j is a copy of token t.
    MatT<T> xr(n * k, d);
    for (int64_t t = 0; t < n; ++t)
        for (int j = 0; j < k; ++j) xr.row(t * k + j) = x.row(t);

    MatT<T> yr(n * k, d);
    cache.ref_slots.assign(nr, {});
    cache.ref_x.resize(nr);
    cache.ref_y.resize(nr);
    cache.ref_cache.resize(nr);
    for (int e = 0; e < nr; ++e) {
        // mask = (flat_topk_idx == e), over every slot.
        std::vector<int32_t>& slots = cache.ref_slots[e];
        for (int64_t s = 0; s < n * k; ++s)
            if (flat_idx[s] == e) slots.push_back(int32_t(s));
        MatT<T>& xe = cache.ref_x[e];
        xe.resize(int64_t(slots.size()), d);
        for (size_t r = 0; r < slots.size(); ++r) xe.row(r) = xr.row(slots[r]);
        naive_swiglu_forward<T>(xe, w.w_gate->middleRows(e * inter, inter), w.w_up->middleRows(e * inter, inter),
                                w.w_down->middleRows(e * d, d), cache.ref_cache[e], cache.ref_y[e]);
        for (size_t r = 0; r < slots.size(); ++r) yr.row(slots[r]) = cache.ref_y[e].row(r);
    }

    // (y.view(N, k, d) * topk_weight.unsqueeze(-1)).sum(dim=1)
    cache.routed_out.setZero(n, d);
    for (int64_t t = 0; t < n; ++t)
        for (int j = 0; j < k; ++j) cache.routed_out.row(t) += cache.router.topk_weight(t, j) * yr.row(t * k + j);

    if (spec.n_shared > 0)
        naive_swiglu_forward<T>(x, *w.s_gate, *w.s_up, *w.s_down, cache.shared_cache, cache.shared_out);
    else
        cache.shared_out.resize(0, 0);
}

// dx overwritten with the experts' part of the input gradient (the router's is added by the caller); dtopk_weight
// [N,k] receives d loss / d topk_weight; expert gradients accumulated.
template <class T>
void moe_reference_backward(const MoESpec& spec, const MoEWeights<T>& w, const MatT<T>& x, const MoECache<T>& cache,
                            const MatT<T>& dy, MatT<T>& dx, MatT<T>& dtopk_weight, MoEGrads<T>& grads) {
    const int64_t n = x.rows(), d = spec.hidden, inter = spec.inter;
    const int nr = spec.router.n_routed, k = spec.router.top_k;

    // Put the expert outputs back in slot order (yr of the forward pass).
    MatT<T> yr(n * k, d);
    for (int e = 0; e < nr; ++e)
        for (size_t r = 0; r < cache.ref_slots[e].size(); ++r) yr.row(cache.ref_slots[e][r]) = cache.ref_y[e].row(r);

    // routed[t] = sum_j g[t,j] yr[t*k+j]:  dg[t,j] = dy[t] . yr[t*k+j],  dyr[t*k+j] = g[t,j] dy[t]
    MatT<T> dyr(n * k, d);
    dtopk_weight.resize(n, k);
    for (int64_t t = 0; t < n; ++t)
        for (int j = 0; j < k; ++j) {
            T dot = 0;
            for (int64_t c = 0; c < d; ++c) dot += dy(t, c) * yr(t * k + j, c);
            dtopk_weight(t, j) = dot;
            dyr.row(t * k + j) = cache.router.topk_weight(t, j) * dy.row(t);
        }

    // Each expert: gather its slots' gradients, run its backward, scatter the input gradients back.
    MatT<T> dxr = MatT<T>::Zero(n * k, d);
    for (int e = 0; e < nr; ++e) {
        const std::vector<int32_t>& slots = cache.ref_slots[e];
        MatT<T> dye(int64_t(slots.size()), d), dxe;
        for (size_t r = 0; r < slots.size(); ++r) dye.row(r) = dyr.row(slots[r]);
        naive_swiglu_backward<T>(cache.ref_x[e], w.w_gate->middleRows(e * inter, inter),
                                 w.w_up->middleRows(e * inter, inter), w.w_down->middleRows(e * d, d),
                                 cache.ref_cache[e], dye, dxe, grads.w_gate->middleRows(e * inter, inter),
                                 grads.w_up->middleRows(e * inter, inter), grads.w_down->middleRows(e * d, d));
        for (size_t r = 0; r < slots.size(); ++r) dxr.row(slots[r]) = dxe.row(r);
    }

    // repeat_interleave backward: each token sums its k slots.
    dx.setZero(n, d);
    for (int64_t t = 0; t < n; ++t)
        for (int j = 0; j < k; ++j) dx.row(t) += dxr.row(t * k + j);

    if (spec.n_shared > 0) {
        MatT<T> dxs;
        naive_swiglu_backward<T>(x, *w.s_gate, *w.s_up, *w.s_down, cache.shared_cache, dy, dxs, *grads.s_gate,
                                 *grads.s_up, *grads.s_down);
        dx += dxs;
    }
}

#define MOE_INSTANTIATE(T)                                                                                        \
    template void moe_reference_forward<T>(const MoESpec&, const MoEWeights<T>&, const MatT<T>&, MoECache<T>&);  \
    template void moe_reference_backward<T>(const MoESpec&, const MoEWeights<T>&, const MatT<T>&,                 \
                                            const MoECache<T>&, const MatT<T>&, MatT<T>&, MatT<T>&, MoEGrads<T>&);
MOE_INSTANTIATE(float)
MOE_INSTANTIATE(double)
#undef MOE_INSTANTIATE

}  // namespace moe::detail
