// AdamW on the device, as core/train/optimizer.cpp (AdamW::step): global-norm clipping, then per element
//   g' = g * clip;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2;
//   w -= lr (m / bc1 / (sqrt(v / bc2) + eps) + wd w),  bc_k = 1 - beta_k^t.
// The float operations are the CPU's, in the same order, so the emulated device reproduces it to the last bit
// (unless a compiler contracts differently); the clip factor stays on the device (no host round trip per step).
#pragma once

#include "gpu/kernels/portable.h"

#include <cmath>
#include <cstdint>

namespace moe::gpu {

// One step's constants, as the CPU computes them: floats of the config's doubles; bias_c1/2 = float(1 - beta^t).
// weight_decay is 0 for parameters without decay (norms).
struct AdamWStep {
    float lr, beta1, beta2, eps, weight_decay, bias_c1, bias_c2;
};

// The AdamWStep for step t (1-based, i.e. AdamW::steps_taken() after the step) with the CPU's casts.
inline AdamWStep adamw_step_constants(double lr, double beta1, double beta2, double eps, double weight_decay, int t) {
    return AdamWStep{static_cast<float>(lr),
                     static_cast<float>(beta1),
                     static_cast<float>(beta2),
                     static_cast<float>(eps),
                     static_cast<float>(weight_decay),
                     static_cast<float>(1.0 - std::pow(beta1, t)),
                     static_cast<float>(1.0 - std::pow(beta2, t))};
}

namespace kernels {

// One index: norm = sqrt(sum of squares); clip = grad_clip / (norm + 1e-6) if grad_clip > 0 and norm > grad_clip,
// else 1 (in double, as the CPU).
struct ClipScaleFromSumSquares {
    const double* sum_squares;
    double grad_clip;
    double* norm_out;
    double* clip_out;
    MOE_HD void operator()(int64_t) const {
        const double norm = dsqrt(*sum_squares);
        *norm_out = norm;
        *clip_out = (grad_clip > 0 && norm > grad_clip) ? grad_clip / (norm + 1e-6) : 1.0;
    }
};

// One index per parameter element; clip_scale null means no clipping (factor 1).
struct AdamWUpdate {
    float* w;
    const float* g;
    float* m;
    float* v;
    AdamWStep s;
    const double* clip_scale;
    MOE_HD void operator()(int64_t i) const {
        const float fclip = clip_scale ? static_cast<float>(*clip_scale) : 1.0f;
        const float gi = g[i] * fclip;
        m[i] = s.beta1 * m[i] + (1.0f - s.beta1) * gi;
        v[i] = s.beta2 * v[i] + (1.0f - s.beta2) * gi * gi;
        const float mhat = m[i] / s.bias_c1, vhat = v[i] / s.bias_c2;
        w[i] -= s.lr * (mhat / (fsqrt(vhat) + s.eps) + s.weight_decay * w[i]);
    }
};

}  // namespace kernels

// One AdamW step on n elements of one parameter (w, m, v updated; g read). clip_scale: device scalar from
// clip_scale_from_sum_squares (or null for none).
template <class Dev>
void adamw_update(Dev& dev, float* w, const float* g, float* m, float* v, int64_t n, const AdamWStep& s,
                  const double* clip_scale) {
    dev.launch(n, kernels::AdamWUpdate{w, g, m, v, s, clip_scale});
}

// From the global sum of squared gradients (device scalar, e.g. DeviceSum over every parameter): *norm_out = its
// sqrt (the global gradient norm) and *clip_out = the factor the gradients are scaled by. grad_clip <= 0: no clip.
template <class Dev>
void clip_scale_from_sum_squares(Dev& dev, const double* sum_squares, double grad_clip, double* norm_out,
                                 double* clip_out) {
    dev.launch(1, kernels::ClipScaleFromSumSquares{sum_squares, grad_clip, norm_out, clip_out});
}

}  // namespace moe::gpu
