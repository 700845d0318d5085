// Elementwise vector ops on flat float buffers (residual adds, gradient scaling). One index per element.
#pragma once

#include "gpu/kernels/portable.h"

#include <cstdint>

namespace moe::gpu {

namespace kernels {

// y[i] += x[i]
struct AddInto {
    float* y;
    const float* x;
    MOE_HD void operator()(int64_t i) const { y[i] += x[i]; }
};

// out[i] = a[i] + b[i]  (out may alias a or b: each index reads then writes only element i)
struct Add {
    const float* a;
    const float* b;
    float* out;
    MOE_HD void operator()(int64_t i) const { out[i] = a[i] + b[i]; }
};

// y[i] *= s
struct Scale {
    float* y;
    float s;
    MOE_HD void operator()(int64_t i) const { y[i] *= s; }
};

}  // namespace kernels

// y += x, n elements.
template <class Dev>
void add_into(Dev& dev, float* y, const float* x, int64_t n) {
    dev.launch(n, kernels::AddInto{y, x});
}

// out = a + b, n elements.
template <class Dev>
void add(Dev& dev, const float* a, const float* b, float* out, int64_t n) {
    dev.launch(n, kernels::Add{a, b, out});
}

// y *= s, n elements.
template <class Dev>
void scale(Dev& dev, float* y, float s, int64_t n) {
    dev.launch(n, kernels::Scale{y, s});
}

}  // namespace moe::gpu
