// Causal softmax over square [T, T] score blocks stacked as rows [R*T, T] (R = B*H (sequence, head) pairs), as in
// core/layers/attention.cpp: row r is position t = r % T of its block and may attend to s <= t only.
//   forward   P[t,s] = exp(scale S[t,s] - m) / sum_{s'<=t} exp(scale S[t,s'] - m),  m = max_{s'<=t} scale S[t,s']
//             P[t,s] = 0 exactly for s > t (the future)
//   backward  dS[t,s] = scale P[t,s] (dP[t,s] - sum_{s'<=t} P[t,s'] dP[t,s']),  0 for s > t
// One index per row, looping over its t+1 entries in order (the CPU engine's order), so the sums are
// deterministic. A real GPU would rather give a row to a warp (shuffle reductions) for long sequences.
#pragma once

#include "gpu/kernels/portable.h"

#include <cstdint>

namespace moe::gpu {
namespace kernels {

// In place: scores in, probabilities out.
struct CausalSoftmaxRows {
    float* p;  // [rows, T]
    int T;
    float scale;

    MOE_HD void operator()(int64_t r) const {
        const int t = static_cast<int>(r % T);
        float* row = p + r * T;
        float mx = row[0] * scale;  // s = 0 is always visible
        for (int s = 1; s <= t; ++s) mx = fmaxf2(mx, row[s] * scale);
        float sum = 0.0f;
        for (int s = 0; s <= t; ++s) {
            const float e = fexp(row[s] * scale - mx);
            row[s] = e;
            sum += e;
        }
        const float inv = 1.0f / sum;
        for (int s = 0; s <= t; ++s) row[s] *= inv;
        for (int s = t + 1; s < T; ++s) row[s] = 0.0f;
    }
};

// In place: dP (gradient w.r.t. the probabilities) in, dS (w.r.t. the unscaled scores) out.
struct CausalSoftmaxBackwardRows {
    const float* probs;  // [rows, T]
    float* grad;         // [rows, T]
    int T;
    float scale;

    MOE_HD void operator()(int64_t r) const {
        const int t = static_cast<int>(r % T);
        const float* P = probs + r * T;
        float* g = grad + r * T;
        float dot = 0.0f;
        for (int s = 0; s <= t; ++s) dot += P[s] * g[s];
        for (int s = 0; s <= t; ++s) g[s] = scale * P[s] * (g[s] - dot);
        for (int s = t + 1; s < T; ++s) g[s] = 0.0f;  // masked entries get no gradient
    }
};

}  // namespace kernels

// scores [rows, T] -> probabilities, in place; rows = B*H*T.
template <class Dev>
void causal_softmax_forward(Dev& dev, int64_t rows, int T, float scale, float* scores) {
    dev.launch(rows, kernels::CausalSoftmaxRows{scores, T, scale});
}

// grad [rows, T]: dP in, dS out (scale folded in).
template <class Dev>
void causal_softmax_backward(Dev& dev, int64_t rows, int T, float scale, const float* probs, float* grad) {
    dev.launch(rows, kernels::CausalSoftmaxBackwardRows{probs, grad, T, scale});
}

}  // namespace moe::gpu
