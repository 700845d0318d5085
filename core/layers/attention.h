// Causal multi-head self-attention with optional rotary position embedding (RoPE), no biases.
// Weights in the Hugging Face layout: q_proj, k_proj, v_proj, o_proj, each [d,d].
#pragma once

#include "core/tensor.h"

namespace moe {

struct AttentionShape {
    int batch = 1;       // B sequences
    int seq = 1;         // T tokens each; rows of x are ordered sequence-major: row = b*T + t
    int heads = 1;       // H
    bool rope = true;    // rotate q and k (rotate-half convention, as in the HF DeepSeek/LLaMA code)
    double rope_theta = 10000.0;
};

template <class T>
struct AttentionCache {
    MatT<T> q, k, v;  // [B*T, d], q and k after RoPE
    MatT<T> probs;    // [B*H*T, T] causal softmax rows (upper triangle zero)
    MatT<T> ctx;      // [B*T, d] attention output before o_proj
};

// x [B*T, d] (already normalised). Writes out [B*T, d].
template <class T>
void attention_forward(const MatT<T>& x, const MatT<T>& Wq, const MatT<T>& Wk, const MatT<T>& Wv,
                       const MatT<T>& Wo, const AttentionShape& shape, AttentionCache<T>& cache, MatT<T>& out);

// dx overwritten; weight gradients accumulated.
template <class T>
void attention_backward(const MatT<T>& x, const MatT<T>& Wq, const MatT<T>& Wk, const MatT<T>& Wv,
                        const MatT<T>& Wo, const AttentionShape& shape, const AttentionCache<T>& cache,
                        const MatT<T>& dout, MatT<T>& dx, MatT<T>& dWq, MatT<T>& dWk, MatT<T>& dWv,
                        MatT<T>& dWo);

}  // namespace moe
