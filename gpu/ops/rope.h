// Rotary position embedding (RoPE) on the GPU backend, rotate-half convention, as core/layers/attention.cpp:
//   cos/sin[t * half + i] = cos/sin(t * theta^(-2i/hd)),  t in [0,T), i in [0, hd/2)
//   forward   p'[i] = p[i] cos - p[i+half] sin,   p'[i+half] = p[i+half] cos + p[i] sin
//   backward  g[i]  = g'[i] cos + g'[i+half] sin,  g[i+half] = g'[i+half] cos - g'[i] sin  (inverse rotation)
// The table is computed on the host in double and rounded once to float, exactly as the CPU engine does, then
// uploaded; it depends only on (T, hd, theta), so it is rebuilt only when they change. (Computing it on the device
// would need double pow/cos/sin, slow on most GPUs and not bit-identical to the host's libm.)
#pragma once

#include "gpu/kernels/portable.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace moe::gpu {

// Element j of the rotated head vector p (hd = 2 * half elements); c and s are the table rows of p's position.
MOE_HD float rope_rotate(const float* p, int j, int half, const float* c, const float* s) {
    if (j < half) return p[j] * c[j] - p[j + half] * s[j];
    const int i = j - half;
    return p[j] * c[i] + p[i] * s[i];
}

// Element j of the gradient g back through the rotation (the transposed rotation of rope_rotate).
MOE_HD float rope_rotate_back(const float* g, int j, int half, const float* c, const float* s) {
    if (j < half) return g[j] * c[j] + g[j + half] * s[j];
    const int i = j - half;
    return g[j] * c[i] - g[i] * s[i];
}

// The cos/sin tables [T, hd/2] on the device, for one (T, hd, theta).
template <class Dev>
struct RopeTable {
    int seq = 0, head_dim = 0;
    double theta = 0.0;
    typename Dev::template Buffer<float> cos, sin;
    // Host copies: kept alive as the source of the (possibly asynchronous) uploads.
    std::vector<float> host_cos, host_sin;

    int half() const { return head_dim / 2; }

    void ensure(Dev& dev, int seq_len, int hd, double rope_theta) {
        if (seq_len == seq && hd == head_dim && rope_theta == theta && cos.size() > 0) return;
        const int h = hd / 2;
        const size_t n = static_cast<size_t>(seq_len) * static_cast<size_t>(h);
        host_cos.assign(n, 0.0f);
        host_sin.assign(n, 0.0f);
        for (int i = 0; i < h; ++i) {
            const double inv_freq = std::pow(rope_theta, -2.0 * i / hd);  // same expression as the CPU engine
            for (int t = 0; t < seq_len; ++t) {
                const double angle = t * inv_freq;
                host_cos[static_cast<size_t>(t) * h + i] = static_cast<float>(std::cos(angle));
                host_sin[static_cast<size_t>(t) * h + i] = static_cast<float>(std::sin(angle));
            }
        }
        cos.resize(n);
        sin.resize(n);
        dev.upload(cos.data(), host_cos.data(), n);
        dev.upload(sin.data(), host_sin.data(), n);
        seq = seq_len, head_dim = hd, theta = rope_theta;
    }
};

}  // namespace moe::gpu
