#include "core/layers/attention.h"

#include "core/gemm.h"
#include "core/parallel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace moe {
namespace {

// RoPE tables for one call: cos/sin[t * half + i] = cos/sin(t * theta^(-2i/hd)), t in [0,T), i in [0, hd/2).
// Angles are computed in double and rounded once to T.
template <class T>
struct RopeTable {
    int half = 0;
    std::vector<T> cos, sin;

    RopeTable(int seq, int hd, double theta) : half(hd / 2) {
        cos.resize(static_cast<size_t>(seq) * half);
        sin.resize(cos.size());
        for (int i = 0; i < half; ++i) {
            const double inv_freq = std::pow(theta, -2.0 * i / hd);
            for (int t = 0; t < seq; ++t) {
                const double angle = t * inv_freq;
                cos[static_cast<size_t>(t) * half + i] = static_cast<T>(std::cos(angle));
                sin[static_cast<size_t>(t) * half + i] = static_cast<T>(std::sin(angle));
            }
        }
    }

    // Rotate-half: pairs (i, i + hd/2) are rotated by the angle of position t.
    //   p'[i] = p[i] cos - p[i+half] sin,  p'[i+half] = p[i+half] cos + p[i] sin
    void rotate(T* p, int t) const {
        const T* c = cos.data() + static_cast<size_t>(t) * half;
        const T* s = sin.data() + static_cast<size_t>(t) * half;
        for (int i = 0; i < half; ++i) {
            const T x0 = p[i], x1 = p[i + half];
            p[i] = x0 * c[i] - x1 * s[i];
            p[i + half] = x1 * c[i] + x0 * s[i];
        }
    }

    // The gradient through a rotation is the inverse (transposed) rotation:
    //   g[i] = g'[i] cos + g'[i+half] sin,  g[i+half] = g'[i+half] cos - g'[i] sin
    void rotate_back(T* g, int t) const {
        const T* c = cos.data() + static_cast<size_t>(t) * half;
        const T* s = sin.data() + static_cast<size_t>(t) * half;
        for (int i = 0; i < half; ++i) {
            const T g0 = g[i], g1 = g[i + half];
            g[i] = g0 * c[i] + g1 * s[i];
            g[i + half] = g1 * c[i] - g0 * s[i];
        }
    }
};

template <class T>
void check_square(const MatT<T>& W, int64_t d, const char* what) {
    if (W.rows() != d || W.cols() != d)
        throw std::invalid_argument(std::string("attention: ") + what + " must be [d,d]");
}

// Returns head_dim after checking every shape that would otherwise lead to out-of-bounds access.
template <class T>
int check_shapes(const MatT<T>& x, const MatT<T>& Wq, const MatT<T>& Wk, const MatT<T>& Wv, const MatT<T>& Wo,
                 const AttentionShape& shape) {
    const int64_t d = x.cols();
    if (shape.batch < 1 || shape.seq < 1 || shape.heads < 1)
        throw std::invalid_argument("attention: batch, seq and heads must be positive");
    if (x.rows() != static_cast<int64_t>(shape.batch) * shape.seq)
        throw std::invalid_argument("attention: x must have batch * seq rows");
    if (d % shape.heads != 0) throw std::invalid_argument("attention: d must be a multiple of heads");
    const int hd = static_cast<int>(d / shape.heads);
    if (shape.rope && hd % 2 != 0) throw std::invalid_argument("attention: RoPE needs an even head_dim");
    check_square(Wq, d, "Wq");
    check_square(Wk, d, "Wk");
    check_square(Wv, d, "Wv");
    check_square(Wo, d, "Wo");
    return hd;
}

}  // namespace

template <class T>
void attention_forward(const MatT<T>& x, const MatT<T>& Wq, const MatT<T>& Wk, const MatT<T>& Wv,
                       const MatT<T>& Wo, const AttentionShape& shape, AttentionCache<T>& cache, MatT<T>& out) {
    const int hd = check_shapes(x, Wq, Wk, Wv, Wo, shape);
    const int64_t n = x.rows(), d = x.cols();
    const int B = shape.batch, Tn = shape.seq, H = shape.heads;
    const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(hd)));

    cache.q.resize(n, d);
    cache.k.resize(n, d);
    cache.v.resize(n, d);
    cache.ctx.resize(n, d);
    cache.probs.resize(static_cast<int64_t>(B) * H * Tn, Tn);
    out.resize(n, d);

    // q, k and v in one product with the three weights stacked [3d, d]: one pass over x and one parallel region
    // instead of three.
    {
        MatT<T> w_qkv(3 * d, d), qkv(n, 3 * d);
        w_qkv << Wq, Wk, Wv;
        matmul_nt<T>(x, w_qkv, qkv);
        cache.q = qkv.leftCols(d);
        cache.k = qkv.middleCols(d, d);
        cache.v = qkv.rightCols(d);
    }

    const RopeTable<T> rope(shape.rope ? Tn : 0, shape.rope ? hd : 0, shape.rope_theta);

    // One chunk per (sequence, head) pair: it owns that pair's columns of q, k, ctx over the sequence's rows and its
    // T rows of probs, so chunks never write the same memory.
    parallel_for(static_cast<int64_t>(B) * H, 1, [&](int64_t p0, int64_t p1) {
        MatT<T> scores(Tn, Tn);
        for (int64_t p = p0; p < p1; ++p) {
            const int64_t b = p / H, h = p % H;
            const int64_t row0 = b * Tn, col0 = h * hd;
            if (shape.rope) {
                for (int t = 0; t < Tn; ++t) {
                    rope.rotate(&cache.q(row0 + t, col0), t);  // position inside its own sequence
                    rope.rotate(&cache.k(row0 + t, col0), t);
                }
            }
            const auto Q = cache.q.block(row0, col0, Tn, hd);
            const auto K = cache.k.block(row0, col0, Tn, hd);
            const auto V = cache.v.block(row0, col0, Tn, hd);
            auto P = cache.probs.middleRows(p * Tn, Tn);

            // All T x T dot products in one small GEMM; only the lower triangle (s <= t) is used below.
            scores.noalias() = Q * K.transpose();
            for (int t = 0; t < Tn; ++t) {
                // Causal softmax over s <= t, max subtracted for stability; the future (s > t) gets probability 0.
                // Array expressions, so exp and the sums are vectorised (a scalar std::exp loop cost ~10% of a
                // lesson's step).
                auto past = P.row(t).head(t + 1).array();
                past = scores.row(t).head(t + 1).array() * scale;
                past = (past - past.maxCoeff()).exp();
                past *= T(1) / past.sum();
                P.row(t).tail(Tn - t - 1).setZero();
            }
            // ctx = P V (the zero upper triangle of P removes the future).
            cache.ctx.block(row0, col0, Tn, hd).noalias() = P * V;
        }
    });

    matmul_nt<T>(cache.ctx, Wo, out);
}

template <class T>
void attention_backward(const MatT<T>& x, const MatT<T>& Wq, const MatT<T>& Wk, const MatT<T>& Wv,
                        const MatT<T>& Wo, const AttentionShape& shape, const AttentionCache<T>& cache,
                        const MatT<T>& dout, MatT<T>& dx, MatT<T>& dWq, MatT<T>& dWk, MatT<T>& dWv,
                        MatT<T>& dWo) {
    const int hd = check_shapes(x, Wq, Wk, Wv, Wo, shape);
    const int64_t n = x.rows(), d = x.cols();
    const int B = shape.batch, Tn = shape.seq, H = shape.heads;
    const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(hd)));
    if (dout.rows() != n || dout.cols() != d) throw std::invalid_argument("attention_backward: dout must be [B*T,d]");
    check_square(dWq, d, "dWq");
    check_square(dWk, d, "dWk");
    check_square(dWv, d, "dWv");
    check_square(dWo, d, "dWo");
    for (const MatT<T>* m : {&cache.q, &cache.k, &cache.v, &cache.ctx})
        if (m->rows() != n || m->cols() != d)
            throw std::invalid_argument("attention_backward: cache does not match x (run attention_forward first)");
    if (cache.probs.rows() != static_cast<int64_t>(B) * H * Tn || cache.probs.cols() != Tn)
        throw std::invalid_argument("attention_backward: cache.probs does not match the shape");

    // Through o_proj: out = ctx Wo^T.
    MatT<T> dctx(n, d);
    matmul_nn<T>(dout, Wo, dctx);
    matmul_tn<T>(dout, cache.ctx, dWo, true);

    // dq, dk, dv side by side [n, 3d], so that the input gradient and the three weight gradients are each one
    // product with the stacked weights (as in the forward pass).
    MatT<T> dqkv(n, 3 * d);
    auto dq = dqkv.leftCols(d);
    auto dk = dqkv.middleCols(d, d);
    auto dv = dqkv.rightCols(d);
    const RopeTable<T> rope(shape.rope ? Tn : 0, shape.rope ? hd : 0, shape.rope_theta);

    parallel_for(static_cast<int64_t>(B) * H, 1, [&](int64_t p0, int64_t p1) {
        MatT<T> dP(Tn, Tn);
        for (int64_t p = p0; p < p1; ++p) {
            const int64_t b = p / H, h = p % H;
            const int64_t row0 = b * Tn, col0 = h * hd;
            const auto Q = cache.q.block(row0, col0, Tn, hd);
            const auto K = cache.k.block(row0, col0, Tn, hd);
            const auto V = cache.v.block(row0, col0, Tn, hd);
            const auto P = cache.probs.middleRows(p * Tn, Tn);
            const auto dC = dctx.block(row0, col0, Tn, hd);

            // ctx = P V:  dP = dC V^T,  dV = P^T dC.
            dP.noalias() = dC * V.transpose();
            dv.block(row0, col0, Tn, hd).noalias() = P.transpose() * dC;

            // Softmax backward, row by row: dS = P * (dP - sum_s P dP), with the 1/sqrt(hd) scale folded in. Masked
            // entries have P = 0, so they get no gradient, as the mask requires. dS overwrites dP.
            for (int t = 0; t < Tn; ++t) {
                const auto p = P.row(t).head(t + 1).array();
                auto g = dP.row(t).head(t + 1).array();
                const T dot = (p * g).sum();
                g = scale * p * (g - dot);
                dP.row(t).tail(Tn - t - 1).setZero();
            }

            // S = scale Q K^T:  dQ = dS K,  dK = dS^T Q (q and k as rotated, the scale already in dS).
            dq.block(row0, col0, Tn, hd).noalias() = dP * K;
            dk.block(row0, col0, Tn, hd).noalias() = dP.transpose() * Q;

            // Back through RoPE to the projections' outputs.
            if (shape.rope) {
                for (int t = 0; t < Tn; ++t) {
                    rope.rotate_back(&dq(row0 + t, col0), t);
                    rope.rotate_back(&dk(row0 + t, col0), t);
                }
            }
        }
    });

    // Through the projections: [q k v] = x [Wq; Wk; Wv]^T, so dx = [dq dk dv] [Wq; Wk; Wv] and
    // d[Wq; Wk; Wv] = [dq dk dv]^T x.
    MatT<T> w_qkv(3 * d, d), dw_qkv(3 * d, d);
    w_qkv << Wq, Wk, Wv;
    dx.resize(n, d);
    matmul_nn<T>(dqkv, w_qkv, dx);
    matmul_tn<T>(dqkv, x, dw_qkv);
    dWq += dw_qkv.topRows(d);
    dWk += dw_qkv.middleRows(d, d);
    dWv += dw_qkv.bottomRows(d);
}

template void attention_forward<float>(const Mat&, const Mat&, const Mat&, const Mat&, const Mat&,
                                       const AttentionShape&, AttentionCache<float>&, Mat&);
template void attention_forward<double>(const MatD&, const MatD&, const MatD&, const MatD&, const MatD&,
                                        const AttentionShape&, AttentionCache<double>&, MatD&);
template void attention_backward<float>(const Mat&, const Mat&, const Mat&, const Mat&, const Mat&,
                                        const AttentionShape&, const AttentionCache<float>&, const Mat&, Mat&, Mat&,
                                        Mat&, Mat&, Mat&);
template void attention_backward<double>(const MatD&, const MatD&, const MatD&, const MatD&, const MatD&,
                                         const AttentionShape&, const AttentionCache<double>&, const MatD&, MatD&,
                                         MatD&, MatD&, MatD&, MatD&);

}  // namespace moe
