// Bias vectors of the 2-D classifier's input projection and head: added to every row, and their gradient as the
// column sums of the output gradient.
#pragma once

#include "gpu/kernels/portable.h"

namespace moe::gpu {

namespace kernels {

// y[r, j] += bias[j]; one index per element.
struct AddBiasRows {
    float* y;
    const float* bias;
    int d;
    MOE_HD void operator()(int64_t i) const { y[i] += bias[i % d]; }
};

// dbias[j] += sum_r dy[r, j]; one index per column, rows summed in order (deterministic, no atomics).
struct BiasGradColumns {
    const float* dy;
    float* dbias;
    int64_t n;
    int d;
    MOE_HD void operator()(int64_t j) const {
        float s = 0.0f;
        for (int64_t r = 0; r < n; ++r) s += dy[r * d + j];
        dbias[j] += s;
    }
};

}  // namespace kernels

template <class Dev>
void add_bias_rows(Dev& dev, float* y, const float* bias, int64_t n, int d) {
    dev.launch(n * d, kernels::AddBiasRows{y, bias, d});
}

template <class Dev>
void bias_grad(Dev& dev, const float* dy, int64_t n, int d, float* dbias) {
    dev.launch(d, kernels::BiasGradColumns{dy, dbias, n, d});
}

}  // namespace moe::gpu
