// Softmax cross-entropy on the device, as core/layers/cross_entropy.{h,cpp}, plus the per-row "correct" flag the
// models count (argmax == target, first maximum on ties like Eigen's maxCoeff).
// logits, probs, dlogits [n,V] row-major; targets [n] in [0,V). The CPU engine throws on a target out of range and
// has no ignore index; the caller checks targets on the host. A device kernel cannot throw, so an out-of-range
// target gives a NaN row loss (it cannot pass unnoticed) and no one-hot term in the gradient, never a stray read.
// The mean loss is DeviceSum::sum(row_loss) / n, taken by the caller.
#pragma once

#include "gpu/kernels/portable.h"

#include <cstdint>

namespace moe::gpu {

namespace kernels {

// One index per row:
//   m = max_j l_j;  p_j = exp(l_j - m) / S with S = sum_j exp(l_j - m) (summed in double, as the CPU does);
//   loss = log S - (l_t - m)  (= -log p_t, in double, stored as float);  correct = (first argmax == t).
// Subtracting the max keeps every exp() <= 1. One thread per row loops over V three times; a real GPU would want a
// block per row (V = 256 here) with shared-memory reductions.
struct CrossEntropyForwardRows {
    const float* logits;
    const int32_t* targets;
    int V;
    float* probs;
    float* row_loss;
    int32_t* row_correct;
    MOE_HD void operator()(int64_t i) const {
        const float* lr = logits + i * V;
        float* pr = probs + i * V;
        float mx = lr[0];
        int arg = 0;
        for (int j = 1; j < V; ++j)
            if (lr[j] > mx) mx = lr[j], arg = j;  // strict >: the first maximum wins ties
        double sum = 0.0;
        for (int j = 0; j < V; ++j) {
            pr[j] = fexp(lr[j] - mx);
            sum += static_cast<double>(pr[j]);
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (int j = 0; j < V; ++j) pr[j] *= inv;
        const int32_t t = targets[i];
        if (t < 0 || t >= V) {
            row_loss[i] = NAN;
            row_correct[i] = 0;
            return;
        }
        // The log is taken in double as on the CPU.
        row_loss[i] = static_cast<float>(dlog(sum) - static_cast<double>(lr[t] - mx));
        row_correct[i] = arg == t ? 1 : 0;
    }
};

// One index per element (i = r * V + j): dlogits = s * (probs - onehot(t)), s = scale / n (overwritten).
struct CrossEntropyBackward {
    const float* probs;
    const int32_t* targets;
    int V;
    float s;
    float* dlogits;
    MOE_HD void operator()(int64_t i) const {
        const int64_t r = i / V;
        const int j = static_cast<int>(i % V);
        dlogits[i] = j == targets[r] ? s * (probs[i] - 1.0f) : s * probs[i];
    }
};

}  // namespace kernels

// probs [n,V] = softmax rows; row_loss [n] = -log probs[target]; row_correct [n] = (argmax == target).
template <class Dev>
void cross_entropy_forward(Dev& dev, const float* logits, const int32_t* targets, int64_t n, int V, float* probs,
                           float* row_loss, int32_t* row_correct) {
    dev.launch(n, kernels::CrossEntropyForwardRows{logits, targets, V, probs, row_loss, row_correct});
}

// dlogits [n,V] = scale * (probs - onehot(targets)) / n (overwritten); scale is the loss weight (1 for the main loss).
template <class Dev>
void cross_entropy_backward(Dev& dev, const float* probs, const int32_t* targets, int64_t n, int V, float scale,
                            float* dlogits) {
    if (n <= 0) return;
    const float s = scale / static_cast<float>(n);
    dev.launch(n * V, kernels::CrossEntropyBackward{probs, targets, V, s, dlogits});
}

}  // namespace moe::gpu
