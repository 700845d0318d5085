#include "core/layers/swiglu.h"

#include "core/gemm.h"
#include "core/parallel.h"

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace moe {
namespace {

// Rows per chunk of the elementwise part (fixed, see parallel.h).
constexpr int64_t kRowGrain = 32;

template <class T>
T sigmoid(T a) {
    // For very negative a, exp(-a) overflows to inf and the result is a clean 0: no NaN either way.
    return T(1) / (T(1) + std::exp(-a));
}

// The elementwise parts, over the flat element range [i0, i1) of [N,I] buffers. The parallel and the serial paths
// both call exactly these, so each element is computed with the same formula and the results are bit-identical.
// noinline: one compiled copy serves both paths, so the compiler cannot contract (FMA) or vectorise the same source
// differently in the two call sites.

// h = silu(a) * b, silu(a) = a * sigmoid(a).
template <class T>
[[gnu::noinline]] void swiglu_act(const T* a, const T* b, T* h, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) h[i] = a[i] * sigmoid(a[i]) * b[i];
}

// From dh: da = dh * b * silu'(a), db = dh * silu(a), with silu'(a) = s (1 + a (1 - s)), s = sigmoid(a).
// da is written over dh (the caller no longer needs dh).
template <class T>
[[gnu::noinline]] void swiglu_act_backward(const T* a, const T* b, T* dh_da, T* db, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
        const T s = sigmoid(a[i]);
        const T g = dh_da[i];
        db[i] = g * (a[i] * s);
        dh_da[i] = g * b[i] * (s * (T(1) + a[i] * (T(1) - s)));
    }
}

template <class T>
void check_weights(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd) {
    const int64_t d = x.cols(), I = Wg.rows();
    if (Wg.cols() != d || Wu.rows() != I || Wu.cols() != d || Wd.rows() != d || Wd.cols() != I)
        throw std::invalid_argument("swiglu: weights must be Wg, Wu [I,d] and Wd [d,I]");
}

template <class T>
void check_forward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, MRef<T> y) {
    check_weights<T>(x, Wg, Wu, Wd);
    if (y.rows() != x.rows() || y.cols() != x.cols()) throw std::invalid_argument("swiglu_forward: y must be [N,d]");
}

template <class T>
void check_backward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& cache, CRef<T> dy,
                    MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd) {
    check_weights<T>(x, Wg, Wu, Wd);
    const int64_t n = x.rows(), d = x.cols(), I = Wg.rows();
    if (dy.rows() != n || dy.cols() != d || dx.rows() != n || dx.cols() != d)
        throw std::invalid_argument("swiglu_backward: dy and dx must be [N,d]");
    if (cache.a.rows() != n || cache.a.cols() != I || cache.b.rows() != n || cache.b.cols() != I ||
        cache.h.rows() != n || cache.h.cols() != I)
        throw std::invalid_argument("swiglu_backward: cache does not match x (run swiglu_forward first)");
    if (dWg.rows() != I || dWg.cols() != d || dWu.rows() != I || dWu.cols() != d || dWd.rows() != d ||
        dWd.cols() != I)
        throw std::invalid_argument("swiglu_backward: weight gradients must have the weights' shapes");
}

template <class T>
void forward_impl(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& cache, MRef<T> y, bool parallel) {
    check_forward<T>(x, Wg, Wu, Wd, y);
    const int64_t n = x.rows(), I = Wg.rows();
    cache.a.resize(n, I);
    cache.b.resize(n, I);
    cache.h.resize(n, I);
    const T* a = cache.a.data();
    const T* b = cache.b.data();
    T* h = cache.h.data();
    if (parallel) {
        matmul_nt<T>(x, Wg, cache.a);
        matmul_nt<T>(x, Wu, cache.b);
        parallel_for(n, kRowGrain, [&](int64_t r0, int64_t r1) { swiglu_act(a, b, h, r0 * I, r1 * I); });
        matmul_nt<T>(cache.h, Wd, y);
    } else {
        matmul_nt_serial<T>(x, Wg, cache.a);
        matmul_nt_serial<T>(x, Wu, cache.b);
        swiglu_act(a, b, h, 0, n * I);
        matmul_nt_serial<T>(cache.h, Wd, y);
    }
}

template <class T>
void backward_impl(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& cache, CRef<T> dy,
                   MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd, bool parallel) {
    check_backward<T>(x, Wg, Wu, Wd, cache, dy, dx, dWg, dWu, dWd);
    const int64_t n = x.rows(), I = Wg.rows();
    MatT<T> da(n, I), db(n, I);  // da holds dh until the elementwise backward turns it into da
    const T* a = cache.a.data();
    const T* b = cache.b.data();
    if (parallel) {
        matmul_nn<T>(dy, Wd, da);                   // dh = dy Wd
        matmul_tn<T>(dy, cache.h, dWd, true);       // dWd += dy^T h
        parallel_for(n, kRowGrain, [&](int64_t r0, int64_t r1) {
            swiglu_act_backward(a, b, da.data(), db.data(), r0 * I, r1 * I);
        });
        matmul_nn<T>(da, Wg, dx);                   // dx = da Wg + db Wu
        matmul_nn<T>(db, Wu, dx, true);
        matmul_tn<T>(da, x, dWg, true);             // dWg += da^T x
        matmul_tn<T>(db, x, dWu, true);             // dWu += db^T x
    } else {
        matmul_nn_serial<T>(dy, Wd, da);
        matmul_tn_serial<T>(dy, cache.h, dWd, true);
        swiglu_act_backward(a, b, da.data(), db.data(), 0, n * I);
        matmul_nn_serial<T>(da, Wg, dx);
        matmul_nn_serial<T>(db, Wu, dx, true);
        matmul_tn_serial<T>(da, x, dWg, true);
        matmul_tn_serial<T>(db, x, dWu, true);
    }
}

}  // namespace

template <class T>
void swiglu_forward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& cache, MRef<T> y) {
    forward_impl<T>(x, Wg, Wu, Wd, cache, y, /*parallel=*/true);
}

template <class T>
void swiglu_backward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& cache, CRef<T> dy,
                     MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd) {
    backward_impl<T>(x, Wg, Wu, Wd, cache, dy, dx, dWg, dWu, dWd, /*parallel=*/true);
}

template <class T>
void swiglu_forward_serial(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& cache, MRef<T> y) {
    forward_impl<T>(x, Wg, Wu, Wd, cache, y, /*parallel=*/false);
}

template <class T>
void swiglu_backward_serial(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& cache, CRef<T> dy,
                            MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd) {
    backward_impl<T>(x, Wg, Wu, Wd, cache, dy, dx, dWg, dWu, dWd, /*parallel=*/false);
}

#define MOE_INSTANTIATE(T)                                                                                         \
    template void swiglu_forward<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, SwigluCache<T>&, MRef<T>);                 \
    template void swiglu_backward<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, const SwigluCache<T>&, CRef<T>, MRef<T>,  \
                                     MRef<T>, MRef<T>, MRef<T>);                                                   \
    template void swiglu_forward_serial<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, SwigluCache<T>&, MRef<T>);          \
    template void swiglu_backward_serial<T>(CRef<T>, CRef<T>, CRef<T>, CRef<T>, const SwigluCache<T>&, CRef<T>,    \
                                            MRef<T>, MRef<T>, MRef<T>, MRef<T>);
MOE_INSTANTIATE(float)
MOE_INSTANTIATE(double)
#undef MOE_INSTANTIATE

}  // namespace moe
