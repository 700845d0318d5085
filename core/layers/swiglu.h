// SwiGLU feed-forward, the DeepSeek expert and dense FFN: y = down(silu(gate(x)) * up(x)), no biases.
// Weights in the Hugging Face layout: Wg, Wu [I,d] (gate_proj, up_proj), Wd [d,I] (down_proj).
#pragma once

#include "core/tensor.h"

namespace moe {

// What the backward pass needs: pre-activations a = x Wg^T, b = x Wu^T, and h = silu(a) * b. All [N,I].
template <class T>
struct SwigluCache {
    MatT<T> a, b, h;
};

// Row-parallel (use for a dense FFN or a shared expert on all tokens).
template <class T>
void swiglu_forward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& cache, MRef<T> y);

// dx overwritten; dWg, dWu, dWd accumulated.
template <class T>
void swiglu_backward(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& cache, CRef<T> dy,
                     MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd);

// Single-threaded variants, for one expert inside a parallel chunk (the MoE fast path runs experts in parallel).
template <class T>
void swiglu_forward_serial(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& cache, MRef<T> y);
template <class T>
void swiglu_backward_serial(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& cache, CRef<T> dy,
                            MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd);

}  // namespace moe
