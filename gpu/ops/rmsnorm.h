// RMSNorm on the device, as core/layers/rmsnorm.{h,cpp}: y = x / sqrt(mean(x^2) + eps) * w.
// x, y, dy, dx [n,d] row-major; w, dw [d]; rstd [n] (1/sqrt(mean(x^2) + eps), kept for the backward pass).
// Same formulas and the same order of float operations as the CPU engine (sums left to right in float), so the
// emulated device matches it to rounding (bit for bit unless the compiler contracts differently).
#pragma once

#include "gpu/kernels/portable.h"

#include <cstdint>

namespace moe::gpu {

namespace kernels {

// One index per row: rstd[i] = 1 / sqrt(sum_j x_ij^2 / d + eps); y_ij = x_ij * rstd[i] * w_j.
// A real GPU would want one warp per row (a shuffle reduction) for wide rows; d is a few hundred here.
struct RmsNormForwardRows {
    const float* x;
    const float* w;
    float eps;
    int d;
    float* y;
    float* rstd;
    MOE_HD void operator()(int64_t i) const {
        const float* xr = x + i * d;
        float* yr = y + i * d;
        float ss = 0.0f;
        for (int j = 0; j < d; ++j) ss += xr[j] * xr[j];
        const float r = 1.0f / fsqrt(ss / static_cast<float>(d) + eps);
        rstd[i] = r;
        for (int j = 0; j < d; ++j) yr[j] = xr[j] * r * w[j];
    }
};

// One index per row: with r = rstd[i] and c = r^2 (sum_j dy_j w_j x_j) / d,
//   dx_k = r (dy_k w_k - x_k c)      (overwritten).
struct RmsNormBackwardRows {
    const float* x;
    const float* w;
    const float* rstd;
    const float* dy;
    int d;
    float* dx;
    MOE_HD void operator()(int64_t i) const {
        const float* xr = x + i * d;
        const float* gr = dy + i * d;
        float* dxr = dx + i * d;
        const float r = rstd[i];
        float dot = 0.0f;
        for (int j = 0; j < d; ++j) dot += gr[j] * w[j] * xr[j];
        const float c = dot * r * r / static_cast<float>(d);
        for (int j = 0; j < d; ++j) dxr[j] = r * (gr[j] * w[j] - xr[j] * c);
    }
};

// One index per column j: dw_j += sum_i dy_ij x_ij r_i, summed over the rows in order from zero and then added to
// dw once (as the CPU does). Only d threads, each reading a strided column: a real GPU would want row-block partials
// and a second pass, but the norm weights are tiny next to the GEMMs.
struct RmsNormBackwardWeight {
    const float* x;
    const float* rstd;
    const float* dy;
    int64_t n;
    int d;
    float* dw;
    MOE_HD void operator()(int64_t j) const {
        float acc = 0.0f;
        for (int64_t i = 0; i < n; ++i) acc += dy[i * d + j] * x[i * d + j] * rstd[i];
        dw[j] += acc;
    }
};

}  // namespace kernels

// y [n,d] and rstd [n] from x [n,d] and w [d].
template <class Dev>
void rmsnorm_forward(Dev& dev, const float* x, const float* w, float eps, int64_t n, int d, float* y, float* rstd) {
    dev.launch(n, kernels::RmsNormForwardRows{x, w, eps, d, y, rstd});
}

// dx [n,d] overwritten; dw [d] accumulated into. rstd from rmsnorm_forward on the same x.
template <class Dev>
void rmsnorm_backward(Dev& dev, const float* x, const float* w, const float* rstd, const float* dy, int64_t n, int d,
                      float* dx, float* dw) {
    if (n <= 0) return;
    dev.launch(n, kernels::RmsNormBackwardRows{x, w, rstd, dy, d, dx});
    dev.launch(d, kernels::RmsNormBackwardWeight{x, rstd, dy, n, d, dw});
}

}  // namespace moe::gpu
