#include "core/layers/swiglu.h"

#include "core/gemm.h"
#include "core/parallel.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace moe {
namespace {

// Rows per chunk of the elementwise part (fixed, see parallel.h).
constexpr int64_t kRowGrain = 32;

// The elementwise parts, over the flat element range [i0, i1) of [N,I] buffers: the parallel path calls them on
// chunks of rows, the serial and row-block paths row by row. They run in blocks of kLanes elements through one
// fixed-size Eigen expression (vectorised exp: a scalar loop over std::exp cost the MoE layer 10-20% of its step),
// the last partial block zero-padded: every element is computed in a SIMD lane by the same instructions, wherever
// its range starts or ends and however its memory is aligned, so all paths give the same bits. noinline: one
// compiled copy serves every caller, so the compiler cannot contract (FMA) the same source differently at different
// call sites. sigmoid(a) = 1 / (1 + exp(-a)): for very negative a, exp(-a) overflows to inf and the result is a
// clean 0, no NaN.

constexpr int64_t kLanes = 16;  // a multiple of every SIMD width (16 floats: one AVX-512 register)
template <class T>
using Lanes = Eigen::Array<T, kLanes, 1>;

// n <= kLanes elements from p, the rest of the block 0.
template <class T>
Lanes<T> load(const T* p, int64_t n) {
    if (n == kLanes) return Eigen::Map<const Lanes<T>>(p);
    Lanes<T> v = Lanes<T>::Zero();
    std::copy_n(p, n, v.data());
    return v;
}

template <class T>
void store(const Lanes<T>& v, T* p, int64_t n) {
    if (n == kLanes)
        Eigen::Map<Lanes<T>>{p} = v;
    else
        std::copy_n(v.data(), n, p);
}

// h = silu(a) * b, silu(a) = a * sigmoid(a).
template <class T>
[[gnu::noinline]] void swiglu_act(const T* a, const T* b, T* h, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i += kLanes) {
        const int64_t n = std::min(kLanes, i1 - i);
        const Lanes<T> va = load(a + i, n), vb = load(b + i, n);
        const Lanes<T> s = T(1) / (T(1) + (-va).exp());
        store<T>(va * s * vb, h + i, n);
    }
}

// From dh: da = dh * b * silu'(a), db = dh * silu(a), with silu'(a) = s (1 + a (1 - s)), s = sigmoid(a).
// da is written over dh (the caller no longer needs dh).
template <class T>
[[gnu::noinline]] void swiglu_act_backward(const T* a, const T* b, T* dh_da, T* db, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i += kLanes) {
        const int64_t n = std::min(kLanes, i1 - i);
        const Lanes<T> va = load(a + i, n), vb = load(b + i, n), g = load(dh_da + i, n);
        const Lanes<T> s = T(1) / (T(1) + (-va).exp());
        store<T>(g * (va * s), db + i, n);
        store<T>(g * vb * (s * (T(1) + va * (T(1) - s))), dh_da + i, n);
    }
}

template <class T>
void check_weights(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd) {
    const int64_t d = x.cols(), I = Wg.rows();
    if (Wg.cols() != d || Wu.rows() != I || Wu.cols() != d || Wd.rows() != d || Wd.cols() != I)
        throw std::invalid_argument("swiglu: weights must be Wg, Wu [I,d] and Wd [d,I]");
}

template <class T>
void check_forward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, CRef<T> y) {
    check_weights<T>(x, Wg, Wu, Wd);
    if (y.rows() != x.rows() || y.cols() != x.cols()) throw std::invalid_argument("swiglu_forward: y must be [N,d]");
}

// Checks a forward call that fills `cache`, and sizes it.
template <class T>
void start_forward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& cache, CRef<T> y) {
    check_forward<T>(x, Wg, Wu, Wd, y);
    cache.a.resize(x.rows(), Wg.rows());
    cache.b.resize(x.rows(), Wg.rows());
    cache.h.resize(x.rows(), Wg.rows());
}

template <class T>
bool is_n_by_i(CRef<T> m, int64_t n, int64_t I) {
    return m.rows() == n && m.cols() == I;
}

template <class T>
void check_backward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, CRef<T> a, CRef<T> b, CRef<T> h, CRef<T> dy,
                    CRef<T> dx, CRef<T> dWg, CRef<T> dWu, CRef<T> dWd) {
    check_weights<T>(x, Wg, Wu, Wd);
    const int64_t n = x.rows(), d = x.cols(), I = Wg.rows();
    if (dy.rows() != n || dy.cols() != d || dx.rows() != n || dx.cols() != d)
        throw std::invalid_argument("swiglu_backward: dy and dx must be [N,d]");
    if (!is_n_by_i<T>(a, n, I) || !is_n_by_i<T>(b, n, I) || !is_n_by_i<T>(h, n, I))
        throw std::invalid_argument("swiglu_backward: cache does not match x (run swiglu_forward first)");
    if (dWg.rows() != I || dWg.cols() != d || dWu.rows() != I || dWu.cols() != d || dWd.rows() != d ||
        dWd.cols() != I)
        throw std::invalid_argument("swiglu_backward: weight gradients must have the weights' shapes");
}

// The serial passes, unchecked, on views. The elementwise kernels take flat ranges and a view's rows need not be
// adjacent, so they run row by row (each element's value does not depend on the range it is computed in).
template <class T>
void forward_rows(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, MRef<T> a, MRef<T> b, MRef<T> h, MRef<T> y) {
    matmul_nt_serial<T>(x, Wg, a);
    matmul_nt_serial<T>(x, Wu, b);
    for (int64_t r = 0; r < a.rows(); ++r) swiglu_act(a.row(r).data(), b.row(r).data(), h.row(r).data(), 0, a.cols());
    matmul_nt_serial<T>(h, Wd, y);
}

template <class T>
void backward_rows(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, CRef<T> a, CRef<T> b, CRef<T> h, CRef<T> dy,
                   MRef<T> da, MRef<T> db, MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd) {
    matmul_nn_serial<T>(dy, Wd, da);  // dh, in da until the elementwise backward turns it into da
    matmul_tn_serial<T>(dy, h, dWd, true);
    for (int64_t r = 0; r < a.rows(); ++r)
        swiglu_act_backward(a.row(r).data(), b.row(r).data(), da.row(r).data(), db.row(r).data(), 0, a.cols());
    matmul_nn_serial<T>(da, Wg, dx);
    matmul_nn_serial<T>(db, Wu, dx, true);
    matmul_tn_serial<T>(da, x, dWg, true);
    matmul_tn_serial<T>(db, x, dWu, true);
}

}  // namespace

template <class T>
void swiglu_forward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& cache, MRef<T> y) {
    start_forward<T>(x, Wg, Wu, Wd, cache, y);
    const int64_t n = x.rows(), I = Wg.rows();
    matmul_nt<T>(x, Wg, cache.a);
    matmul_nt<T>(x, Wu, cache.b);
    const T* a = cache.a.data();
    const T* b = cache.b.data();
    T* h = cache.h.data();
    parallel_for(n, kRowGrain, [&](int64_t r0, int64_t r1) { swiglu_act(a, b, h, r0 * I, r1 * I); });
    matmul_nt<T>(cache.h, Wd, y);
}

template <class T>
void swiglu_backward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& cache, CRef<T> dy,
                     MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd) {
    check_backward<T>(x, Wg, Wu, Wd, cache.a, cache.b, cache.h, dy, dx, dWg, dWu, dWd);
    const int64_t n = x.rows(), I = Wg.rows();
    MatT<T> da(n, I), db(n, I);  // da holds dh until the elementwise backward turns it into da
    const T* a = cache.a.data();
    const T* b = cache.b.data();
    matmul_nn<T>(dy, Wd, da);              // dh = dy Wd
    matmul_tn<T>(dy, cache.h, dWd, true);  // dWd += dy^T h
    parallel_for(n, kRowGrain, [&](int64_t r0, int64_t r1) {
        swiglu_act_backward(a, b, da.data(), db.data(), r0 * I, r1 * I);
    });
    matmul_nn<T>(da, Wg, dx);  // dx = da Wg + db Wu
    matmul_nn<T>(db, Wu, dx, true);
    matmul_tn<T>(da, x, dWg, true);  // dWg += da^T x
    matmul_tn<T>(db, x, dWu, true);  // dWu += db^T x
}

template <class T>
void swiglu_forward_serial(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& cache, MRef<T> y) {
    start_forward<T>(x, Wg, Wu, Wd, cache, y);
    forward_rows<T>(x, Wg, Wu, Wd, cache.a, cache.b, cache.h, y);
}

template <class T>
void swiglu_backward_serial(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& cache, CRef<T> dy,
                            MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd) {
    check_backward<T>(x, Wg, Wu, Wd, cache.a, cache.b, cache.h, dy, dx, dWg, dWu, dWd);
    MatT<T> da(x.rows(), Wg.rows()), db(x.rows(), Wg.rows());
    backward_rows<T>(x, Wg, Wu, Wd, cache.a, cache.b, cache.h, dy, da, db, dx, dWg, dWu, dWd);
}

template <class T>
void swiglu_forward_rows(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, MRef<T> a, MRef<T> b, MRef<T> h, MRef<T> y) {
    check_forward<T>(x, Wg, Wu, Wd, y);
    const int64_t n = x.rows(), I = Wg.rows();
    if (!is_n_by_i<T>(a, n, I) || !is_n_by_i<T>(b, n, I) || !is_n_by_i<T>(h, n, I))
        throw std::invalid_argument("swiglu_forward_rows: a, b and h must be [N,I]");
    forward_rows<T>(x, Wg, Wu, Wd, a, b, h, y);
}

template <class T>
void swiglu_backward_rows(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, CRef<T> a, CRef<T> b, CRef<T> h, CRef<T> dy,
                          MRef<T> da, MRef<T> db, MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd) {
    check_backward<T>(x, Wg, Wu, Wd, a, b, h, dy, dx, dWg, dWu, dWd);
    if (!is_n_by_i<T>(da, x.rows(), Wg.rows()) || !is_n_by_i<T>(db, x.rows(), Wg.rows()))
        throw std::invalid_argument("swiglu_backward_rows: da and db must be [N,I]");
    backward_rows<T>(x, Wg, Wu, Wd, a, b, h, dy, da, db, dx, dWg, dWu, dWd);
}

#define MOE_INSTANTIATE(T)                                                                                         \
    template void swiglu_forward<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, SwigluCache<T>&, MRef<T>);                 \
    template void swiglu_backward<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, const SwigluCache<T>&, CRef<T>, MRef<T>,  \
                                     MRef<T>, MRef<T>, MRef<T>);                                                   \
    template void swiglu_forward_serial<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, SwigluCache<T>&, MRef<T>);          \
    template void swiglu_backward_serial<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, const SwigluCache<T>&, CRef<T>,    \
                                            MRef<T>, MRef<T>, MRef<T>, MRef<T>);                                   \
    template void swiglu_forward_rows<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, MRef<T>, MRef<T>, MRef<T>, MRef<T>);  \
    template void swiglu_backward_rows<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, CRef<T>, CRef<T>, CRef<T>, CRef<T>,  \
                                          MRef<T>, MRef<T>, MRef<T>, MRef<T>, MRef<T>, MRef<T>);
MOE_INSTANTIATE(float)
MOE_INSTANTIATE(double)
#undef MOE_INSTANTIATE

}  // namespace moe
