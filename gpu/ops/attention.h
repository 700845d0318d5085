// Causal multi-head self-attention on the GPU backend, the same math and layouts as core/layers/attention.{h,cpp}:
// x and out [B*T, d] with rows ordered b*T + t, weights q_proj/k_proj/v_proj/o_proj each [d,d] stored [out, in],
// no biases, optional RoPE (rotate-half, positions t inside each sequence), scores scaled by 1/sqrt(head_dim).
//
// Layout: the heads are interleaved in the [B*T, d] rows (head h owns columns [h*hd, (h+1)*hd)), and the batch offset
// of a (sequence, head) pair, b*T*d + h*hd, is no single stride, so one strided-batched GEMM cannot walk them in
// place. The projections are therefore split into head-major [B, H, T, hd] buffers by a small kernel (which also
// applies RoPE to q and k), every per-pair product is one strided-batched GEMM over the B*H contiguous [T, hd]
// blocks, and the per-head context (and, in the backward, the per-head gradients, rotated back) is merged into
// rows again. The probabilities are stored [B*H*T, T], pair p = b*H + h at rows p*T.., as the CPU cache.
//   forward   q,k,v = x Wq^T, x Wk^T, x Wv^T;  q,k = rope(q,k);  P = causal_softmax(q k^T / sqrt(hd));
//             ctx = P v;  out = ctx Wo^T
//   backward  dctx = dout Wo;  dWo += dout^T ctx;  dP = dctx v^T;  dv = P^T dctx;  dS = softmax_backward(dP);
//             dq = dS k;  dk = dS^T q;  dq,dk = rope^-1(dq,dk);  dx = dq Wq + dk Wk + dv Wv;  dW. += d.^T x
#pragma once

#include "gpu/kernels/gemm_desc.h"
#include "gpu/kernels/portable.h"
#include "gpu/ops/causal_softmax.h"
#include "gpu/ops/rope.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>

namespace moe::gpu {

struct AttentionDims {
    int batch = 1, seq = 1, heads = 1, d = 1;
    bool rope = true;
    double rope_theta = 10000.0;
};

// What the forward leaves for the backward, plus scratch. The forward (re)sizes its buffers when the shape changes;
// the backward-only ones (dscores, dq, dk, dv) are sized by the first backward of a shape, so an inference-only
// workspace does not hold them. Neither allocates again while the shape stays the same.
template <class Dev>
struct AttentionWorkspace {
    using Buf = typename Dev::template Buffer<float>;
    AttentionDims dims;  // the shape of the last forward
    bool ready = false;  // a forward has run
    Buf q, k, v;         // [B, H, T, hd] head-major; q and k after RoPE
    Buf probs;           // [B*H*T, T] causal softmax rows (upper triangle exactly zero)
    Buf ctx;             // [B*T, d] attention output before o_proj
    Buf rows;            // [B*T, d] scratch: a projection's output; in the backward, dctx, then dq/dk/dv as rows
    Buf heads;           // [B, H, T, hd] scratch: per-head context; in the backward, dctx per head
    Buf dscores;         // [B*H*T, T] backward: dP, then dS in place
    Buf dq, dk, dv;      // [B, H, T, hd] backward
    RopeTable<Dev> rope;
};

namespace kernels {

// [B*T, d] rows -> [B, H, T, hd] head-major, optionally rotating by RoPE (cos == nullptr: plain copy).
// One index per output element.
struct SplitHeads {
    const float* src;
    float* dst;
    int T, H, hd, d;
    const float* cos;  // [T, hd/2] or nullptr
    const float* sin;

    MOE_HD void operator()(int64_t i) const {
        const int j = static_cast<int>(i % hd);
        const int64_t r = i / hd;  // (b*H + h)*T + t
        const int t = static_cast<int>(r % T);
        const int64_t pair = r / T;
        const int64_t b = pair / H, h = pair % H;
        const float* p = src + (b * T + t) * d + h * hd;
        if (cos) {
            const int half = hd / 2;
            const int64_t at = static_cast<int64_t>(t) * half;  // position t's row of the tables
            dst[i] = rope_rotate(p, j, half, cos + at, sin + at);
        } else {
            dst[i] = p[j];
        }
    }
};

// [B, H, T, hd] head-major -> [B*T, d] rows, optionally through the inverse RoPE rotation (the gradient of
// SplitHeads). One index per output element.
struct MergeHeads {
    const float* src;
    float* dst;
    int T, H, hd, d;
    const float* cos;  // [T, hd/2] or nullptr
    const float* sin;

    MOE_HD void operator()(int64_t i) const {
        const int col = static_cast<int>(i % d);
        const int64_t row = i / d;  // b*T + t
        const int t = static_cast<int>(row % T);
        const int64_t b = row / T;
        const int h = col / hd, j = col % hd;
        const float* g = src + ((b * H + h) * T + t) * hd;
        if (cos) {
            const int half = hd / 2;
            const int64_t at = static_cast<int64_t>(t) * half;
            dst[i] = rope_rotate_back(g, j, half, cos + at, sin + at);
        } else {
            dst[i] = g[j];
        }
    }
};

}  // namespace kernels

namespace attention_detail {

// The same product for each of `batch` (sequence, head) pairs, X_p = X + p * stride_x.
inline Gemm per_pair(Gemm g, int batch, int64_t stride_a, int64_t stride_b, int64_t stride_c) {
    g.batch = batch;
    g.stride_a = stride_a, g.stride_b = stride_b, g.stride_c = stride_c;
    return g;
}

template <class Buf>
void ensure_size(Buf& b, size_t n) {
    if (b.size() != n) b.resize(n);
}

// Returns head_dim after the checks the CPU engine makes (the device pointers themselves cannot be checked).
inline int attention_head_dim(const AttentionDims& s) {
    if (s.batch < 1 || s.seq < 1 || s.heads < 1 || s.d < 1)
        throw std::invalid_argument("attention (GPU): batch, seq, heads and d must be positive");
    if (s.d % s.heads != 0) throw std::invalid_argument("attention (GPU): d must be a multiple of heads");
    const int hd = s.d / s.heads;
    if (s.rope && hd % 2 != 0) throw std::invalid_argument("attention (GPU): RoPE needs an even head_dim");
    return hd;
}

inline bool same_dims(const AttentionDims& a, const AttentionDims& b) {
    return a.batch == b.batch && a.seq == b.seq && a.heads == b.heads && a.d == b.d && a.rope == b.rope &&
           (!a.rope || a.rope_theta == b.rope_theta);
}

// 1/sqrt(hd) computed in double and rounded once, as the CPU engine does.
inline float attention_scale(int hd) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd))); }

}  // namespace attention_detail

// x [B*T, d] (already normalised) -> out [B*T, d]; fills ws for attention_backward.
template <class Dev>
void attention_forward(Dev& dev, const AttentionDims& s, const float* x, const float* Wq, const float* Wk,
                       const float* Wv, const float* Wo, AttentionWorkspace<Dev>& ws, float* out) {
    using attention_detail::per_pair;
    const int hd = attention_detail::attention_head_dim(s);
    const float scale = attention_detail::attention_scale(hd);
    const int T = s.seq, H = s.heads, d = s.d, pairs = s.batch * s.heads;
    const int n = s.batch * s.seq;
    const size_t nd = static_cast<size_t>(n) * d;
    const size_t pt2 = static_cast<size_t>(pairs) * T * T;
    const int64_t blk = static_cast<int64_t>(T) * hd, blk2 = static_cast<int64_t>(T) * T;

    for (auto* b : {&ws.q, &ws.k, &ws.v, &ws.ctx, &ws.rows, &ws.heads}) attention_detail::ensure_size(*b, nd);
    attention_detail::ensure_size(ws.probs, pt2);
    const float* cos = nullptr;
    const float* sin = nullptr;
    if (s.rope) {
        ws.rope.ensure(dev, T, hd, s.rope_theta);
        cos = ws.rope.cos.data(), sin = ws.rope.sin.data();
    }

    // Projections, each split into heads (q and k rotated by their position inside the sequence).
    dev.gemm(gemm_nt(n, d, d, x, Wq, ws.rows.data()));
    dev.launch(static_cast<int64_t>(nd), kernels::SplitHeads{ws.rows.data(), ws.q.data(), T, H, hd, d, cos, sin});
    dev.gemm(gemm_nt(n, d, d, x, Wk, ws.rows.data()));
    dev.launch(static_cast<int64_t>(nd), kernels::SplitHeads{ws.rows.data(), ws.k.data(), T, H, hd, d, cos, sin});
    dev.gemm(gemm_nt(n, d, d, x, Wv, ws.rows.data()));
    dev.launch(static_cast<int64_t>(nd),
               kernels::SplitHeads{ws.rows.data(), ws.v.data(), T, H, hd, d, nullptr, nullptr});

    // Scores S_p = q_p k_p^T [T, T] for every pair (the full square; the softmax uses only s <= t), then the
    // causal softmax in place. A real GPU would fuse these (flash attention) instead of storing T x T per pair.
    dev.gemm(per_pair(gemm_nt(T, T, hd, ws.q.data(), ws.k.data(), ws.probs.data()), pairs, blk, blk, blk2));
    causal_softmax_forward(dev, static_cast<int64_t>(pairs) * T, T, scale, ws.probs.data());

    // ctx_p = P_p v_p (the zero upper triangle of P removes the future), merged back into rows; out = ctx Wo^T.
    dev.gemm(per_pair(gemm_nn(T, hd, T, ws.probs.data(), ws.v.data(), ws.heads.data()), pairs, blk2, blk, blk));
    dev.launch(static_cast<int64_t>(nd),
               kernels::MergeHeads{ws.heads.data(), ws.ctx.data(), T, H, hd, d, nullptr, nullptr});
    dev.gemm(gemm_nt(n, d, d, ws.ctx.data(), Wo, out));

    ws.dims = s;
    ws.ready = true;
}

// dx [B*T, d] overwritten; dWq, dWk, dWv, dWo [d,d] accumulated. ws must hold the forward of the same shape.
template <class Dev>
void attention_backward(Dev& dev, const AttentionDims& s, const float* x, const float* Wq, const float* Wk,
                        const float* Wv, const float* Wo, AttentionWorkspace<Dev>& ws, const float* dout, float* dx,
                        float* dWq, float* dWk, float* dWv, float* dWo) {
    using attention_detail::per_pair;
    const int hd = attention_detail::attention_head_dim(s);
    const float scale = attention_detail::attention_scale(hd);
    if (!ws.ready || !attention_detail::same_dims(ws.dims, s))
        throw std::invalid_argument("attention_backward (GPU): workspace does not match (run attention_forward first)");
    const int T = s.seq, H = s.heads, d = s.d, pairs = s.batch * s.heads;
    const int n = s.batch * s.seq;
    const size_t nd = static_cast<size_t>(n) * d;
    const int64_t blk = static_cast<int64_t>(T) * hd, blk2 = static_cast<int64_t>(T) * T;
    for (auto* b : {&ws.dq, &ws.dk, &ws.dv}) attention_detail::ensure_size(*b, nd);
    attention_detail::ensure_size(ws.dscores, static_cast<size_t>(pairs) * T * T);
    const float* cos = s.rope ? ws.rope.cos.data() : nullptr;
    const float* sin = s.rope ? ws.rope.sin.data() : nullptr;

    // Through o_proj (out = ctx Wo^T): dctx = dout Wo, dWo += dout^T ctx; dctx split into heads.
    dev.gemm(gemm_nn(n, d, d, dout, Wo, ws.rows.data()));
    dev.gemm(gemm_tn(d, d, n, dout, ws.ctx.data(), dWo, 1.0f));
    dev.launch(static_cast<int64_t>(nd),
               kernels::SplitHeads{ws.rows.data(), ws.heads.data(), T, H, hd, d, nullptr, nullptr});

    // ctx = P v: dP = dctx v^T, dv = P^T dctx (per pair).
    dev.gemm(per_pair(gemm_nt(T, T, hd, ws.heads.data(), ws.v.data(), ws.dscores.data()), pairs, blk, blk, blk2));
    dev.gemm(per_pair(gemm_tn(T, hd, T, ws.probs.data(), ws.heads.data(), ws.dv.data(), 0.0f), pairs, blk2, blk, blk));

    // Softmax backward, dS overwriting dP (scale folded in, masked entries zero).
    causal_softmax_backward(dev, static_cast<int64_t>(pairs) * T, T, scale, ws.probs.data(), ws.dscores.data());

    // S = scale q k^T: dq = dS k, dk = dS^T q (q and k as rotated).
    dev.gemm(per_pair(gemm_nn(T, hd, T, ws.dscores.data(), ws.k.data(), ws.dq.data()), pairs, blk2, blk, blk));
    dev.gemm(per_pair(gemm_tn(T, hd, T, ws.dscores.data(), ws.q.data(), ws.dk.data(), 0.0f), pairs, blk2, blk, blk));

    // Each gradient back into rows (dq, dk through the inverse rotation), then through its projection
    // (q = x Wq^T: dx += dq Wq, dWq += dq^T x), in the CPU engine's order: dx = dq Wq + dk Wk + dv Wv.
    dev.launch(static_cast<int64_t>(nd), kernels::MergeHeads{ws.dq.data(), ws.rows.data(), T, H, hd, d, cos, sin});
    dev.gemm(gemm_nn(n, d, d, ws.rows.data(), Wq, dx));
    dev.gemm(gemm_tn(d, d, n, ws.rows.data(), x, dWq, 1.0f));
    dev.launch(static_cast<int64_t>(nd), kernels::MergeHeads{ws.dk.data(), ws.rows.data(), T, H, hd, d, cos, sin});
    dev.gemm(gemm_nn(n, d, d, ws.rows.data(), Wk, dx, 1.0f));
    dev.gemm(gemm_tn(d, d, n, ws.rows.data(), x, dWk, 1.0f));
    dev.launch(static_cast<int64_t>(nd),
               kernels::MergeHeads{ws.dv.data(), ws.rows.data(), T, H, hd, d, nullptr, nullptr});
    dev.gemm(gemm_nn(n, d, d, ws.rows.data(), Wv, dx, 1.0f));
    dev.gemm(gemm_tn(d, d, n, ws.rows.data(), x, dWv, 1.0f));
}

}  // namespace moe::gpu
