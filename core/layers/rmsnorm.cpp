#include "core/layers/rmsnorm.h"

#include "core/parallel.h"

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace moe {
namespace {

// Rows (forward, dx) and columns (dw) per chunk. Fixed, so every sum is done in the same order for any thread count.
constexpr int64_t kRowGrain = 64;
constexpr int64_t kColGrain = 64;

}  // namespace

template <class T>
void rmsnorm_forward(const MatT<T>& x, const MatT<T>& w, T eps, MatT<T>& y, VecT<T>& rstd) {
    const int64_t n = x.rows(), d = x.cols();
    if (w.size() != d) throw std::invalid_argument("rmsnorm_forward: w must have d elements");
    y.resize(n, d);
    rstd.resize(n);
    const T* wp = w.data();
    parallel_for(n, kRowGrain, [&](int64_t r0, int64_t r1) {
        for (int64_t i = r0; i < r1; ++i) {
            const T* xr = x.data() + i * d;
            T* yr = y.data() + i * d;
            // Mean of squares in T, summed left to right: simple and the same on every run.
            T ss = 0;
            for (int64_t j = 0; j < d; ++j) ss += xr[j] * xr[j];
            const T r = T(1) / std::sqrt(ss / static_cast<T>(d) + eps);
            rstd[i] = r;
            for (int64_t j = 0; j < d; ++j) yr[j] = xr[j] * r * wp[j];
        }
    });
}

template <class T>
void rmsnorm_backward(const MatT<T>& x, const MatT<T>& w, const VecT<T>& rstd, const MatT<T>& dy, MatT<T>& dx,
                      MatT<T>& dw) {
    const int64_t n = x.rows(), d = x.cols();
    if (w.size() != d || dw.size() != d) throw std::invalid_argument("rmsnorm_backward: w and dw must have d elements");
    if (rstd.size() != n || dy.rows() != n || dy.cols() != d)
        throw std::invalid_argument("rmsnorm_backward: rstd [N] and dy [N,d] must match x");
    dx.resize(n, d);
    const T* wp = w.data();

    // y_j = x_j r w_j with r = (mean(x^2) + eps)^(-1/2), so dr/dx_k = -r^3 x_k / d and
    //   dx_k = r (dy_k w_k - x_k r^2 (sum_j dy_j w_j x_j) / d).
    parallel_for(n, kRowGrain, [&](int64_t r0, int64_t r1) {
        for (int64_t i = r0; i < r1; ++i) {
            const T* xr = x.data() + i * d;
            const T* gr = dy.data() + i * d;
            T* dxr = dx.data() + i * d;
            const T r = rstd[i];
            T dot = 0;
            for (int64_t j = 0; j < d; ++j) dot += gr[j] * wp[j] * xr[j];
            const T c = dot * r * r / static_cast<T>(d);
            for (int64_t j = 0; j < d; ++j) dxr[j] = r * (gr[j] * wp[j] - xr[j] * c);
        }
    });

    // dw_j += sum_i dy_ij x_ij r_i. Chunked over columns so each column is summed over the rows in index order by
    // one thread; the per-chunk partial sums start at zero and are added to dw once.
    T* dwp = dw.data();
    parallel_for(d, kColGrain, [&](int64_t c0, int64_t c1) {
        std::vector<T> acc(static_cast<size_t>(c1 - c0), T(0));
        for (int64_t i = 0; i < n; ++i) {
            const T* xr = x.data() + i * d;
            const T* gr = dy.data() + i * d;
            const T r = rstd[i];
            for (int64_t j = c0; j < c1; ++j) acc[j - c0] += gr[j] * xr[j] * r;
        }
        for (int64_t j = c0; j < c1; ++j) dwp[j] += acc[j - c0];
    });
}

template void rmsnorm_forward<float>(const Mat&, const Mat&, float, Mat&, Vec&);
template void rmsnorm_forward<double>(const MatD&, const MatD&, double, MatD&, VecT<double>&);
template void rmsnorm_backward<float>(const Mat&, const Mat&, const Vec&, const Mat&, Mat&, Mat&);
template void rmsnorm_backward<double>(const MatD&, const MatD&, const VecT<double>&, const MatD&, MatD&, MatD&);

}  // namespace moe
