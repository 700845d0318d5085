// Forward passes against independent, naive implementations (plain loops, written here from the formulas), the
// properties the layers must have (causality, RoPE geometry, numerical stability), float vs double, and
// bit-identical results for 1 and 2 threads.
#include "core/layers/attention.h"
#include "core/layers/cross_entropy.h"
#include "core/layers/embedding.h"
#include "core/layers/rmsnorm.h"
#include "core/layers/swiglu.h"
#include "core/parallel.h"
#include "core/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace moe {
namespace {

MatD randn(int64_t rows, int64_t cols, Rng& rng, double stddev = 1.0) {
    MatD m(rows, cols);
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = rng.normal(0.0, stddev);
    return m;
}

double max_abs_diff(const MatD& a, const MatD& b) {
    EXPECT_EQ(a.rows(), b.rows());
    EXPECT_EQ(a.cols(), b.cols());
    if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
    return (a - b).cwiseAbs().maxCoeff();
}

// Largest |a - b| / max(1, |b|) between a float result and the double one.
double max_rel_diff(const Mat& a, const MatD& b) {
    EXPECT_EQ(a.rows(), b.rows());
    EXPECT_EQ(a.cols(), b.cols());
    if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
    const MatD ad = a.cast<double>();
    return ((ad - b).array().abs() / b.array().abs().max(1.0)).maxCoeff();
}

// ---------------------------------------------------------------------------------------------------------------
// Naive references

MatD naive_linear(const MatD& x, const MatD& W) {  // y = x W^T, W [out,in]
    MatD y(x.rows(), W.rows());
    for (int64_t i = 0; i < x.rows(); ++i)
        for (int64_t o = 0; o < W.rows(); ++o) {
            double s = 0.0;
            for (int64_t j = 0; j < x.cols(); ++j) s += x(i, j) * W(o, j);
            y(i, o) = s;
        }
    return y;
}

MatD naive_rmsnorm(const MatD& x, const MatD& w, double eps) {
    MatD y(x.rows(), x.cols());
    for (int64_t i = 0; i < x.rows(); ++i) {
        double ms = 0.0;
        for (int64_t j = 0; j < x.cols(); ++j) ms += x(i, j) * x(i, j);
        ms /= static_cast<double>(x.cols());
        for (int64_t j = 0; j < x.cols(); ++j) y(i, j) = x(i, j) / std::sqrt(ms + eps) * w(0, j);
    }
    return y;
}

MatD naive_swiglu(const MatD& x, const MatD& Wg, const MatD& Wu, const MatD& Wd) {
    const MatD a = naive_linear(x, Wg), b = naive_linear(x, Wu);
    MatD h(a.rows(), a.cols());
    for (int64_t i = 0; i < a.rows(); ++i)
        for (int64_t j = 0; j < a.cols(); ++j) h(i, j) = a(i, j) / (1.0 + std::exp(-a(i, j))) * b(i, j);
    return naive_linear(h, Wd);
}

// Rotate-half RoPE on one head's slice v[0..hd) at position pos, straight from the formula.
void naive_rope(double* v, int hd, int pos, double theta) {
    for (int i = 0; i < hd / 2; ++i) {
        const double angle = pos * std::pow(theta, -2.0 * i / hd);
        const double a = v[i], b = v[i + hd / 2];
        v[i] = a * std::cos(angle) - b * std::sin(angle);
        v[i + hd / 2] = b * std::cos(angle) + a * std::sin(angle);
    }
}

// Causal attention computed one query token at a time.
MatD naive_attention(const MatD& x, const MatD& Wq, const MatD& Wk, const MatD& Wv, const MatD& Wo,
                     const AttentionShape& s) {
    const int d = static_cast<int>(x.cols()), hd = d / s.heads;
    MatD q = naive_linear(x, Wq), k = naive_linear(x, Wk);
    const MatD v = naive_linear(x, Wv);
    if (s.rope)
        for (int b = 0; b < s.batch; ++b)
            for (int t = 0; t < s.seq; ++t)
                for (int h = 0; h < s.heads; ++h) {
                    naive_rope(&q(b * s.seq + t, h * hd), hd, t, s.rope_theta);
                    naive_rope(&k(b * s.seq + t, h * hd), hd, t, s.rope_theta);
                }
    MatD ctx = MatD::Zero(x.rows(), d);
    for (int b = 0; b < s.batch; ++b)
        for (int h = 0; h < s.heads; ++h)
            for (int t = 0; t < s.seq; ++t) {
                const int qi = b * s.seq + t;
                std::vector<double> w(static_cast<size_t>(t) + 1);
                double mx = -INFINITY;
                for (int u = 0; u <= t; ++u) {
                    double dot = 0.0;
                    for (int c = 0; c < hd; ++c) dot += q(qi, h * hd + c) * k(b * s.seq + u, h * hd + c);
                    w[u] = dot / std::sqrt(static_cast<double>(hd));
                    mx = std::max(mx, w[u]);
                }
                double z = 0.0;
                for (int u = 0; u <= t; ++u) z += (w[u] = std::exp(w[u] - mx));
                for (int u = 0; u <= t; ++u)
                    for (int c = 0; c < hd; ++c) ctx(qi, h * hd + c) += w[u] / z * v(b * s.seq + u, h * hd + c);
            }
    return naive_linear(ctx, Wo);
}

AttentionShape attn_shape(int batch, int seq, int heads, bool rope, double theta = 10000.0) {
    AttentionShape s;
    s.batch = batch;
    s.seq = seq;
    s.heads = heads;
    s.rope = rope;
    s.rope_theta = theta;
    return s;
}

// ---------------------------------------------------------------------------------------------------------------
// RMSNorm

TEST(LayersRmsNormForward, MatchesNaive) {
    Rng rng(1);
    const MatD x = randn(9, 13, rng, 3.0);
    const MatD w = randn(1, 13, rng);
    MatD y;
    VecT<double> rstd;
    rmsnorm_forward<double>(x, w, 1e-5, y, rstd);
    EXPECT_LT(max_abs_diff(y, naive_rmsnorm(x, w, 1e-5)), 1e-12);
    ASSERT_EQ(rstd.size(), 9);
    for (int i = 0; i < 9; ++i)
        EXPECT_NEAR(rstd[i], 1.0 / std::sqrt(x.row(i).squaredNorm() / 13.0 + 1e-5), 1e-12);
    // eps matters for a zero row: y = 0, rstd = 1/sqrt(eps), no NaN.
    MatD z = MatD::Zero(1, 13);
    rmsnorm_forward<double>(z, w, 1e-5, y, rstd);
    EXPECT_TRUE((y.array() == 0.0).all());
    EXPECT_NEAR(rstd[0], 1.0 / std::sqrt(1e-5), 1e-6);
}

TEST(LayersRmsNormForward, WrongWeightSizeThrows) {
    MatD x = MatD::Ones(2, 4), w = MatD::Ones(1, 3), y;
    VecT<double> rstd;
    EXPECT_THROW(rmsnorm_forward<double>(x, w, 1e-5, y, rstd), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------------------
// Cross-entropy

TEST(LayersCrossEntropyForward, MatchesNaive) {
    Rng rng(2);
    const MatD logits = randn(6, 9, rng, 2.0);
    std::vector<int32_t> targets = {0, 8, 3, 3, 5, 1};
    MatD probs;
    std::vector<double> rows;
    const double loss = cross_entropy_forward<double>(logits, targets, probs, &rows);
    double mean = 0.0;
    ASSERT_EQ(rows.size(), 6u);
    for (int i = 0; i < 6; ++i) {
        double z = 0.0;
        for (int j = 0; j < 9; ++j) z += std::exp(logits(i, j));
        for (int j = 0; j < 9; ++j) EXPECT_NEAR(probs(i, j), std::exp(logits(i, j)) / z, 1e-14);
        const double li = -std::log(std::exp(logits(i, targets[i])) / z);
        EXPECT_NEAR(rows[i], li, 1e-12);
        mean += li / 6.0;
    }
    EXPECT_NEAR(loss, mean, 1e-12);
}

TEST(LayersCrossEntropyForward, StableForHugeLogits) {
    // exp(1000) overflows even a double; without subtracting the row max the result would be inf or NaN.
    Rng rng(3);
    const MatD base = randn(4, 7, rng);
    const std::vector<int32_t> targets = {1, 0, 6, 2};
    MatD probs;
    const double ref = cross_entropy_forward<double>(base, targets, probs);
    const MatD pref = probs;

    const Mat shifted = (base.array() + 1000.0).cast<float>();
    Mat fprobs;
    const double l = cross_entropy_forward<float>(shifted, targets, fprobs);
    ASSERT_TRUE(std::isfinite(l));
    EXPECT_NEAR(l, ref, 1e-3);  // float rounding of logits near 1000 is ~6e-5 each
    EXPECT_LT(max_rel_diff(fprobs, pref), 1e-3);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(fprobs.row(i).sum(), 1.0f, 1e-5f);
}

TEST(LayersCrossEntropyForward, TargetOutOfRangeThrows) {
    MatD logits = MatD::Zero(2, 3), probs;
    EXPECT_THROW(cross_entropy_forward<double>(logits, {0, 3}, probs), std::invalid_argument);
    EXPECT_THROW(cross_entropy_forward<double>(logits, {0, -1}, probs), std::invalid_argument);
    EXPECT_THROW(cross_entropy_forward<double>(logits, {0}, probs), std::invalid_argument);
}

TEST(LayersCrossEntropyBackward, Formula) {
    MatD probs(2, 3);
    probs << 0.2, 0.3, 0.5, 0.6, 0.1, 0.3;
    MatD g;
    cross_entropy_backward<double>(probs, {2, 0}, 0.5, g);
    MatD expect(2, 3);
    expect << 0.05, 0.075, -0.125, -0.1, 0.025, 0.075;
    EXPECT_LT(max_abs_diff(g, expect), 1e-15);
}

// ---------------------------------------------------------------------------------------------------------------
// SwiGLU

TEST(LayersSwigluForward, MatchesNaiveParallelAndSerial) {
    Rng rng(4);
    const int n = 70, d = 12, I = 20;  // 70 rows: several row chunks
    const MatD x = randn(n, d, rng), Wg = randn(I, d, rng, 0.4), Wu = randn(I, d, rng, 0.4);
    const MatD Wd = randn(d, I, rng, 0.4);
    const MatD ref = naive_swiglu(x, Wg, Wu, Wd);

    SwigluCache<double> cp, cs;
    MatD yp(n, d), ys(n, d);
    swiglu_forward<double>(x, Wg, Wu, Wd, cp, yp);
    swiglu_forward_serial<double>(x, Wg, Wu, Wd, cs, ys);
    EXPECT_LT(max_abs_diff(yp, ref), 1e-12);
    EXPECT_LT(max_abs_diff(ys, ref), 1e-12);
    EXPECT_LT(max_abs_diff(cp.a, naive_linear(x, Wg)), 1e-12);
    EXPECT_LT(max_abs_diff(cp.b, naive_linear(x, Wu)), 1e-12);
    EXPECT_LT(max_abs_diff(cp.h, cs.h), 1e-12);
}

TEST(LayersSwigluForward, SerialAndParallelElementwiseBitIdentical) {
    // The two variants use different GEMM entry points, whose rounding may legitimately differ, so the inputs are
    // built to make every GEMM here exact: all weights are multiples of 1/16, and x and dy have exactly one nonzero
    // power of two per column. Then a, b, dh = dy Wd are exact sums, dWd = dy^T h holds h[r,i] times a power of two,
    // and dWg = da^T x, dWu = db^T x hold da and db the same way. Any difference left comes from the elementwise
    // forward (h) or backward (da, db), which must be computed with the same formula in both variants.
    // 40 rows: two chunks of the parallel elementwise pass. I = 24: the serial pass, row by row, ends every row with
    // a partial block of the elementwise kernels, where the parallel one, over whole chunks, has none.
    const int n = 40, d = 48, I = 24;
    Rng rng(14);
    const float pow2[] = {1.0f, -1.0f, 0.5f, -0.5f, 2.0f, -2.0f};
    auto sparse = [&](int rows, int cols) {
        Mat m = Mat::Zero(rows, cols);
        for (int j = 0; j < cols; ++j) m(j % rows, j) = pow2[rng.below(6)];
        return m;
    };
    auto dyadic = [&](int rows, int cols) {
        Mat m(rows, cols);
        for (int64_t i = 0; i < m.size(); ++i)
            m.data()[i] = static_cast<float>(static_cast<int>(rng.below(17)) - 8) / 16.0f;
        return m;
    };
    const Mat x = sparse(n, d), dy = sparse(n, d);
    const Mat Wg = dyadic(I, d), Wu = dyadic(I, d), Wd = dyadic(d, I);

    struct Result {
        SwigluCache<float> cache;
        Mat y, dx, dWg, dWu, dWd;
    };
    auto run = [&](bool serial) {
        Result r;
        r.y.resize(n, d);
        r.dx.resize(n, d);
        r.dWg = r.dWu = Mat::Zero(I, d);
        r.dWd = Mat::Zero(d, I);
        if (serial) {
            swiglu_forward_serial<float>(x, Wg, Wu, Wd, r.cache, r.y);
            swiglu_backward_serial<float>(x, Wg, Wu, Wd, r.cache, dy, r.dx, r.dWg, r.dWu, r.dWd);
        } else {
            swiglu_forward<float>(x, Wg, Wu, Wd, r.cache, r.y);
            swiglu_backward<float>(x, Wg, Wu, Wd, r.cache, dy, r.dx, r.dWg, r.dWu, r.dWd);
        }
        return r;
    };
    const Result p = run(false), s = run(true);
    ASSERT_TRUE(p.cache.a == s.cache.a);  // exact by construction
    ASSERT_TRUE(p.cache.b == s.cache.b);
    // The inputs exercise silu well away from 0 and 1 (so a wrong formula cannot hide behind rounding).
    ASSERT_GT(p.cache.a.cwiseAbs().maxCoeff(), 1.0f);
    EXPECT_TRUE(p.cache.h == s.cache.h);
    EXPECT_TRUE(p.dWd == s.dWd);
    EXPECT_TRUE(p.dWg == s.dWg);
    EXPECT_TRUE(p.dWu == s.dWu);
    EXPECT_GT(p.dWg.cwiseAbs().maxCoeff(), 0.0f);
    // The rest goes through inexact GEMMs: equal to rounding.
    EXPECT_LT((p.y - s.y).cwiseAbs().maxCoeff(), 1e-4f);
    EXPECT_LT((p.dx - s.dx).cwiseAbs().maxCoeff(), 1e-4f);
}

TEST(LayersSwigluForward, ExtremePreactivationsStayFinite) {
    // silu(-1000) must be 0 (exp overflow handled), silu(1000) = 1000.
    Mat x(1, 1);
    x << 1.0f;
    Mat Wg(2, 1), Wu = Mat::Ones(2, 1), Wd = Mat::Ones(1, 2), y(1, 1);
    Wg << -1000.0f, 1000.0f;
    SwigluCache<float> cache;
    swiglu_forward<float>(x, Wg, Wu, Wd, cache, y);
    EXPECT_EQ(cache.h(0, 0), 0.0f);
    EXPECT_EQ(cache.h(0, 1), 1000.0f);
    EXPECT_EQ(y(0, 0), 1000.0f);
}

TEST(LayersSwigluForward, WrongShapesThrow) {
    MatD x = MatD::Ones(3, 4), Wg = MatD::Ones(5, 4), Wu = MatD::Ones(5, 4), Wd = MatD::Ones(4, 5);
    SwigluCache<double> cache;
    MatD ybad(3, 5);
    EXPECT_THROW(swiglu_forward<double>(x, Wg, Wu, Wd, cache, ybad), std::invalid_argument);
    MatD y(3, 4), Wdbad = MatD::Ones(4, 6);
    EXPECT_THROW(swiglu_forward_serial<double>(x, Wg, Wu, Wdbad, cache, y), std::invalid_argument);
    MatD a(3, 5), b(3, 5), h(3, 6);  // h [N,I+1]
    EXPECT_THROW(swiglu_forward_rows<double>(x, Wg, Wu, Wd, a, b, h, y), std::invalid_argument);
}

TEST(LayersSwigluForward, RowBlocksMatchSerialBitForBit) {
    // The MoE fast path runs each expert through swiglu_*_rows on its block of rows of shared [N*k, I] buffers. On
    // rows [3, 3+n) of bigger buffers they must give exactly the serial variant's results and leave every other row
    // alone.
    Rng rng(15);
    const int n = 9, d = 6, I = 20, rows = n + 5;
    const Mat x = randn(n, d, rng).cast<float>(), dy = randn(n, d, rng).cast<float>();
    const Mat Wg = randn(I, d, rng, 0.4).cast<float>(), Wu = randn(I, d, rng, 0.4).cast<float>();
    const Mat Wd = randn(d, I, rng, 0.4).cast<float>();
    SwigluCache<float> cache;
    Mat y(n, d), dx(n, d), dWg = Mat::Zero(I, d), dWu = Mat::Zero(I, d), dWd = Mat::Zero(d, I);
    swiglu_forward_serial<float>(x, Wg, Wu, Wd, cache, y);
    swiglu_backward_serial<float>(x, Wg, Wu, Wd, cache, dy, dx, dWg, dWu, dWd);

    Mat a = Mat::Constant(rows, I, 7.0f), b = a, h = a, da = a, db = a;
    Mat yr(n, d), dxr(n, d), gWg = Mat::Zero(I, d), gWu = Mat::Zero(I, d), gWd = Mat::Zero(d, I);
    swiglu_forward_rows<float>(x, Wg, Wu, Wd, a.middleRows(3, n), b.middleRows(3, n), h.middleRows(3, n), yr);
    swiglu_backward_rows<float>(x, Wg, Wu, Wd, a.middleRows(3, n), b.middleRows(3, n), h.middleRows(3, n), dy,
                                da.middleRows(3, n), db.middleRows(3, n), dxr, gWg, gWu, gWd);
    EXPECT_TRUE(a.middleRows(3, n) == cache.a);
    EXPECT_TRUE(b.middleRows(3, n) == cache.b);
    EXPECT_TRUE(h.middleRows(3, n) == cache.h);
    EXPECT_TRUE(yr == y);
    EXPECT_TRUE(dxr == dx);
    EXPECT_TRUE(gWg == dWg);
    EXPECT_TRUE(gWu == dWu);
    EXPECT_TRUE(gWd == dWd);
    for (const Mat* m : {&a, &b, &h, &da, &db}) {
        EXPECT_TRUE((m->topRows(3).array() == 7.0f).all());
        EXPECT_TRUE((m->bottomRows(rows - 3 - n).array() == 7.0f).all());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Attention

struct AttnWeights {
    MatD Wq, Wk, Wv, Wo;
    AttnWeights(int d, Rng& rng)
        : Wq(randn(d, d, rng, 0.5)), Wk(randn(d, d, rng, 0.5)), Wv(randn(d, d, rng, 0.5)), Wo(randn(d, d, rng, 0.5)) {}
};

TEST(LayersAttentionForward, MatchesNaive) {
    struct Case {
        int batch, seq, heads, d;
        bool rope;
        double theta;
    };
    for (const Case c : {Case{2, 5, 2, 8, false, 10000.0}, Case{2, 5, 2, 8, true, 10000.0},
                         Case{3, 7, 4, 16, true, 100.0}, Case{1, 9, 1, 6, true, 10.0}, Case{2, 1, 2, 8, true, 1e4}}) {
        SCOPED_TRACE(testing::Message() << "B=" << c.batch << " T=" << c.seq << " H=" << c.heads << " d=" << c.d
                                        << " rope=" << c.rope);
        Rng rng(5 + c.seq);
        const MatD x = randn(c.batch * c.seq, c.d, rng);
        const AttnWeights w(c.d, rng);
        const AttentionShape s = attn_shape(c.batch, c.seq, c.heads, c.rope, c.theta);
        AttentionCache<double> cache;
        MatD out;
        attention_forward<double>(x, w.Wq, w.Wk, w.Wv, w.Wo, s, cache, out);
        EXPECT_LT(max_abs_diff(out, naive_attention(x, w.Wq, w.Wk, w.Wv, w.Wo, s)), 1e-12);

        // probs: [B*H*T, T], rows sum to one, exactly zero above the diagonal.
        ASSERT_EQ(cache.probs.rows(), c.batch * c.heads * c.seq);
        ASSERT_EQ(cache.probs.cols(), c.seq);
        for (int r = 0; r < cache.probs.rows(); ++r) {
            const int t = r % c.seq;
            EXPECT_NEAR(cache.probs.row(r).sum(), 1.0, 1e-12);
            for (int u = t + 1; u < c.seq; ++u) EXPECT_EQ(cache.probs(r, u), 0.0);
        }
        EXPECT_LT(max_abs_diff(cache.v, naive_linear(x, w.Wv)), 1e-12);
    }
}

TEST(LayersAttentionForward, Causal) {
    Rng rng(6);
    const int B = 2, T = 6, d = 8;
    const AttentionShape s = attn_shape(B, T, 2, true);
    const AttnWeights w(d, rng);
    const MatD x = randn(B * T, d, rng);
    AttentionCache<double> cache;
    MatD out0, out1;
    attention_forward<double>(x, w.Wq, w.Wk, w.Wv, w.Wo, s, cache, out0);

    // Change token t = 3 of sequence 1: earlier tokens of that sequence and all of sequence 0 are unaffected.
    MatD x2 = x;
    x2.row(1 * T + 3) = randn(1, d, rng);
    attention_forward<double>(x2, w.Wq, w.Wk, w.Wv, w.Wo, s, cache, out1);
    for (int r = 0; r < T + 3; ++r) EXPECT_TRUE(out0.row(r) == out1.row(r)) << "row " << r;
    for (int r = T + 3; r < 2 * T; ++r) EXPECT_FALSE(out0.row(r) == out1.row(r)) << "row " << r;
}

TEST(LayersAttentionForward, RopeKeepsNormsAndRotates) {
    Rng rng(7);
    const int B = 2, T = 6, H = 2, d = 12, hd = d / H;
    const AttnWeights w(d, rng);
    const MatD x = randn(B * T, d, rng);
    AttentionCache<double> cache;
    MatD out;
    attention_forward<double>(x, w.Wq, w.Wk, w.Wv, w.Wo, attn_shape(B, T, H, true, 50.0), cache, out);
    const MatD q = naive_linear(x, w.Wq), k = naive_linear(x, w.Wk);
    for (int b = 0; b < B; ++b)
        for (int t = 0; t < T; ++t)
            for (int h = 0; h < H; ++h) {
                const int r = b * T + t;
                const VecT<double> qr = cache.q.row(r).segment(h * hd, hd).transpose();
                const VecT<double> q0 = q.row(r).segment(h * hd, hd).transpose();
                const VecT<double> kr = cache.k.row(r).segment(h * hd, hd).transpose();
                const VecT<double> k0 = k.row(r).segment(h * hd, hd).transpose();
                EXPECT_NEAR(qr.norm(), q0.norm(), 1e-12);
                EXPECT_NEAR(kr.norm(), k0.norm(), 1e-12);
                if (t == 0) {  // position 0 is not rotated; later positions are (position restarts per sequence)
                    EXPECT_LT((qr - q0).norm(), 1e-15);
                } else {
                    EXPECT_GT((qr - q0).norm(), 1e-3);
                }
            }

    // Without RoPE q and k are the plain projections.
    attention_forward<double>(x, w.Wq, w.Wk, w.Wv, w.Wo, attn_shape(B, T, H, false), cache, out);
    EXPECT_LT(max_abs_diff(cache.q, q), 1e-12);
    EXPECT_LT(max_abs_diff(cache.k, k), 1e-12);
}

TEST(LayersAttentionForward, RopeScoresDependOnRelativeOffsetOnly) {
    // The same token at every position: before RoPE every q (and every k) is the same vector, so after RoPE
    // q_t . k_s must depend on t - s only, and must change with t - s.
    Rng rng(8);
    const int T = 8, H = 2, d = 8, hd = d / H;
    const AttnWeights w(d, rng);
    MatD x(T, d);
    const MatD tok = randn(1, d, rng);
    for (int t = 0; t < T; ++t) x.row(t) = tok;
    AttentionCache<double> cache;
    MatD out;
    attention_forward<double>(x, w.Wq, w.Wk, w.Wv, w.Wo, attn_shape(1, T, H, true, 20.0), cache, out);
    auto score = [&](int h, int t, int s) {
        return cache.q.row(t).segment(h * hd, hd).dot(cache.k.row(s).segment(h * hd, hd));
    };
    for (int h = 0; h < H; ++h) {
        for (int t = 0; t + 1 < T; ++t)
            for (int s = 0; s + 1 < T; ++s) EXPECT_NEAR(score(h, t, s), score(h, t + 1, s + 1), 1e-12);
        EXPECT_GT(std::abs(score(h, 3, 3) - score(h, 3, 1)), 1e-3);
    }
}

TEST(LayersAttentionForward, WrongShapesThrow) {
    Rng rng(9);
    const AttnWeights w(8, rng);
    const MatD x = randn(10, 8, rng);
    AttentionCache<double> cache;
    MatD out;
    // rows != B*T
    EXPECT_THROW(attention_forward<double>(x, w.Wq, w.Wk, w.Wv, w.Wo, attn_shape(2, 4, 2, true), cache, out),
                 std::invalid_argument);
    // d not a multiple of heads
    EXPECT_THROW(attention_forward<double>(x, w.Wq, w.Wk, w.Wv, w.Wo, attn_shape(2, 5, 3, false), cache, out),
                 std::invalid_argument);
    // odd head_dim with RoPE
    EXPECT_THROW(attention_forward<double>(x, w.Wq, w.Wk, w.Wv, w.Wo, attn_shape(2, 5, 8, true), cache, out),
                 std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------------------
// float vs double: the same code in both precisions agrees to float accuracy.

TEST(LayersFloatVsDouble, AllLayersAgree) {
    Rng rng(10);
    const int B = 2, T = 5, d = 8, I = 12, V = 11;
    const MatD x = randn(B * T, d, rng);
    const Mat xf = x.cast<float>();

    {
        const MatD w = randn(1, d, rng);
        MatD y;
        VecT<double> r;
        Mat yf;
        Vec rf;
        rmsnorm_forward<double>(x, w, 1e-5, y, r);
        rmsnorm_forward<float>(xf, w.cast<float>(), 1e-5f, yf, rf);
        EXPECT_LT(max_rel_diff(yf, y), 1e-5);
    }
    {
        const MatD logits = randn(B * T, V, rng, 2.0);
        std::vector<int32_t> tg(B * T);
        for (auto& t : tg) t = static_cast<int32_t>(rng.below(V));
        MatD p;
        Mat pf;
        const double l = cross_entropy_forward<double>(logits, tg, p);
        const double lf = cross_entropy_forward<float>(logits.cast<float>(), tg, pf);
        EXPECT_NEAR(lf, l, 1e-5 * std::max(1.0, l));
        EXPECT_LT(max_rel_diff(pf, p), 1e-5);
    }
    {
        const MatD Wg = randn(I, d, rng, 0.4), Wu = randn(I, d, rng, 0.4), Wd = randn(d, I, rng, 0.4);
        SwigluCache<double> c;
        SwigluCache<float> cf;
        MatD y(B * T, d);
        Mat yf(B * T, d);
        swiglu_forward<double>(x, Wg, Wu, Wd, c, y);
        swiglu_forward<float>(xf, Wg.cast<float>(), Wu.cast<float>(), Wd.cast<float>(), cf, yf);
        EXPECT_LT(max_rel_diff(yf, y), 1e-5);
    }
    for (bool rope : {false, true}) {
        const AttnWeights w(d, rng);
        const AttentionShape s = attn_shape(B, T, 2, rope);
        AttentionCache<double> c;
        AttentionCache<float> cf;
        MatD out;
        Mat outf;
        attention_forward<double>(x, w.Wq, w.Wk, w.Wv, w.Wo, s, c, out);
        attention_forward<float>(xf, w.Wq.cast<float>(), w.Wk.cast<float>(), w.Wv.cast<float>(), w.Wo.cast<float>(),
                                 s, cf, outf);
        EXPECT_LT(max_rel_diff(outf, out), 1e-5) << "rope=" << rope;
        EXPECT_LT(max_rel_diff(cf.probs, c.probs), 1e-5) << "rope=" << rope;
    }
    {
        const MatD table = randn(V, d, rng);
        const std::vector<int32_t> ids = {3, 0, 10, 3};
        MatD out;
        Mat outf;
        embedding_forward<double>(table, ids, out);
        embedding_forward<float>(table.cast<float>(), ids, outf);
        EXPECT_LT(max_rel_diff(outf, out), 1e-7);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 1 thread vs 2 threads: bit-identical (==) outputs, caches and gradients, on inputs spanning several chunks.

template <class F>
auto run_with_threads(int threads, F&& f) {
    const ParallelScope scope(threads);
    EXPECT_EQ(num_threads(), threads);
    return f();
}

TEST(LayersThreads, AttentionBitIdentical) {
    Rng rng(11);
    const int B = 4, T = 50, H = 4, d = 32;  // 200 rows: 7 GEMM row chunks, 16 (sequence, head) chunks
    const Mat x = randn(B * T, d, rng).cast<float>();
    const Mat Wq = randn(d, d, rng, 0.3).cast<float>(), Wk = randn(d, d, rng, 0.3).cast<float>();
    const Mat Wv = randn(d, d, rng, 0.3).cast<float>(), Wo = randn(d, d, rng, 0.3).cast<float>();
    const Mat dout = randn(B * T, d, rng).cast<float>();
    const AttentionShape s = attn_shape(B, T, H, true);

    struct Result {
        AttentionCache<float> cache;
        Mat out, dx, dWq, dWk, dWv, dWo;
    };
    auto run = [&] {
        Result r;
        attention_forward<float>(x, Wq, Wk, Wv, Wo, s, r.cache, r.out);
        r.dWq = r.dWk = r.dWv = r.dWo = Mat::Zero(d, d);
        attention_backward<float>(x, Wq, Wk, Wv, Wo, s, r.cache, dout, r.dx, r.dWq, r.dWk, r.dWv, r.dWo);
        return r;
    };
    const Result a = run_with_threads(1, run);
    const Result b = run_with_threads(2, run);
    EXPECT_TRUE(a.out == b.out);
    EXPECT_TRUE(a.cache.q == b.cache.q);
    EXPECT_TRUE(a.cache.k == b.cache.k);
    EXPECT_TRUE(a.cache.v == b.cache.v);
    EXPECT_TRUE(a.cache.probs == b.cache.probs);
    EXPECT_TRUE(a.cache.ctx == b.cache.ctx);
    EXPECT_TRUE(a.dx == b.dx);
    EXPECT_TRUE(a.dWq == b.dWq);
    EXPECT_TRUE(a.dWk == b.dWk);
    EXPECT_TRUE(a.dWv == b.dWv);
    EXPECT_TRUE(a.dWo == b.dWo);
    EXPECT_GT(a.dWq.cwiseAbs().maxCoeff(), 0.0f);
}

TEST(LayersThreads, SwigluBitIdentical) {
    Rng rng(12);
    const int n = 200, d = 32, I = 48;
    const Mat x = randn(n, d, rng).cast<float>();
    const Mat Wg = randn(I, d, rng, 0.3).cast<float>(), Wu = randn(I, d, rng, 0.3).cast<float>();
    const Mat Wd = randn(d, I, rng, 0.3).cast<float>();
    const Mat dy = randn(n, d, rng).cast<float>();

    struct Result {
        SwigluCache<float> cache;
        Mat y, dx, dWg, dWu, dWd;
    };
    auto run = [&] {
        Result r;
        r.y.resize(n, d);
        r.dx.resize(n, d);
        r.dWg = r.dWu = Mat::Zero(I, d);
        r.dWd = Mat::Zero(d, I);
        swiglu_forward<float>(x, Wg, Wu, Wd, r.cache, r.y);
        swiglu_backward<float>(x, Wg, Wu, Wd, r.cache, dy, r.dx, r.dWg, r.dWu, r.dWd);
        return r;
    };
    const Result a = run_with_threads(1, run);
    const Result b = run_with_threads(2, run);
    EXPECT_TRUE(a.y == b.y);
    EXPECT_TRUE(a.cache.a == b.cache.a);
    EXPECT_TRUE(a.cache.b == b.cache.b);
    EXPECT_TRUE(a.cache.h == b.cache.h);
    EXPECT_TRUE(a.dx == b.dx);
    EXPECT_TRUE(a.dWg == b.dWg);
    EXPECT_TRUE(a.dWu == b.dWu);
    EXPECT_TRUE(a.dWd == b.dWd);
    EXPECT_GT(a.dWg.cwiseAbs().maxCoeff(), 0.0f);
}

TEST(LayersThreads, RmsNormAndCrossEntropyBitIdentical) {
    Rng rng(13);
    const int n = 200, d = 100, V = 37;  // d = 100 spans two column chunks of the dw sum
    const Mat x = randn(n, d, rng).cast<float>(), w = randn(1, d, rng).cast<float>();
    const Mat dy = randn(n, d, rng).cast<float>();
    const Mat logits = randn(n, V, rng, 3.0).cast<float>();
    std::vector<int32_t> tg(n);
    for (auto& t : tg) t = static_cast<int32_t>(rng.below(V));

    struct Result {
        Mat y, dx, dw, probs, dlogits;
        Vec rstd;
        double loss = 0.0;
    };
    auto run = [&] {
        Result r;
        rmsnorm_forward<float>(x, w, 1e-6f, r.y, r.rstd);
        r.dw = Mat::Zero(1, d);
        rmsnorm_backward<float>(x, w, r.rstd, dy, r.dx, r.dw);
        r.loss = cross_entropy_forward<float>(logits, tg, r.probs);
        cross_entropy_backward<float>(r.probs, tg, 1.0f, r.dlogits);
        return r;
    };
    const Result a = run_with_threads(1, run);
    const Result b = run_with_threads(2, run);
    EXPECT_TRUE(a.y == b.y);
    EXPECT_TRUE(a.rstd == b.rstd);
    EXPECT_TRUE(a.dx == b.dx);
    EXPECT_TRUE(a.dw == b.dw);
    EXPECT_TRUE(a.probs == b.probs);
    EXPECT_EQ(a.loss, b.loss);
    EXPECT_TRUE(a.dlogits == b.dlogits);
}

}  // namespace
}  // namespace moe
