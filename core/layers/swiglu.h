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

// Single-threaded variants, for callers that already run inside a parallel chunk.
template <class T>
void swiglu_forward_serial(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, SwigluCache<T>& cache, MRef<T> y);
template <class T>
void swiglu_backward_serial(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, const SwigluCache<T>& cache, CRef<T> dy,
                            MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd);

// The single-threaded SwiGLU of the *_serial variants on views of the activations a, b, h [n,I] instead of a
// SwigluCache: the MoE fast path keeps all experts' activations in shared [N*k, I] buffers and runs each expert on
// its block of rows of them (an owning SwigluCache per expert would cost a copy per expert and step).
template <class T>
void swiglu_forward_rows(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, MRef<T> a, MRef<T> b, MRef<T> h, MRef<T> y);
// da, db [n,I] are scratch (left holding d loss / d a, d loss / d b); dx overwritten; dWg, dWu, dWd accumulated.
template <class T>
void swiglu_backward_rows(CRef<T> x, CRef<T> Wg, CRef<T> Wu, CRef<T> Wd, CRef<T> a, CRef<T> b, CRef<T> h, CRef<T> dy,
                          MRef<T> da, MRef<T> db, MRef<T> dx, MRef<T> dWg, MRef<T> dWu, MRef<T> dWd);

}  // namespace moe
