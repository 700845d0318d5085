// Finite-difference checks of every layer's backward pass, in double precision.
//
// Each check perturbs one input or weight element by +-eps, evaluates a scalar loss with the forward pass and
// compares the central difference with the analytic gradient. The loss is a random projection L = sum(out * R), so
// every output element contributes with its own weight and a gradient that ignored (or mixed up) some outputs fails.
//
// Tolerance: with eps = 1e-6 the central difference has a truncation error of order eps^2 |L'''| ~ 1e-12 and a
// rounding error of order 1e-16 |L| / eps ~ 1e-10 |L| (|L| is at most a few tens here), so the numerical gradient is
// good to ~1e-8. We accept |num - ana| <= 1e-6 max(1, |num|): a hundredfold margin over the noise, while a wrong term,
// sign or factor in a backward pass shows up as an error of order 1e-2 or more.
//
// Weight gradients are documented as accumulated: they start from random values G0 and the check is on (grad - G0).
// Input gradients are documented as overwritten: they start as garbage.
#include "core/layers/attention.h"
#include "core/layers/cross_entropy.h"
#include "core/layers/embedding.h"
#include "core/layers/rmsnorm.h"
#include "core/layers/swiglu.h"
#include "core/rng.h"
#include "tests/finite_difference.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace moe {
namespace {

constexpr double kEps = 1e-6;
constexpr double kTol = 1e-6;

MatD randn(int64_t rows, int64_t cols, Rng& rng, double stddev = 1.0) {
    MatD m(rows, cols);
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = rng.normal(0.0, stddev);
    return m;
}

double project(const MatD& out, const MatD& R) { return (out.array() * R.array()).sum(); }

// Compares d loss / d param (central differences) with `analytic`, element by element, within
// kTol * max(1, |numerical|). Unless the loss truly does not depend on param (zero_ok), an all-zero gradient is
// flagged: it would mean the case does not test anything.
void check_grad(const std::string& what, MatD& param, const MatD& analytic, const std::function<double()>& loss,
                bool zero_ok = false) {
    ASSERT_EQ(param.rows(), analytic.rows()) << what;
    ASSERT_EQ(param.cols(), analytic.cols()) << what;
    if (!zero_ok) {
        EXPECT_GT(analytic.cwiseAbs().maxCoeff(), 1e-4) << what << ": analytic gradient is (almost) all zero";
    }
    testing::FdWorst worst;
    EXPECT_TRUE(testing::gradient_matches(param, analytic, loss, kEps, {.rel = kTol, .floor = 1.0}, &worst)) << what;
    std::printf("  %-28s max rel err %.2e\n", what.c_str(), worst.share * kTol);
}

// ---------------------------------------------------------------------------------------------------------------
// RMSNorm

struct NormCase {
    int n, d;
};
void PrintTo(const NormCase& c, std::ostream* os) { *os << "N=" << c.n << " d=" << c.d; }

class LayersRmsNormGrad : public ::testing::TestWithParam<NormCase> {};

TEST_P(LayersRmsNormGrad, DxAndDw) {
    const auto [n, d] = GetParam();
    Rng rng(11 + n * 100 + d);
    MatD x = randn(n, d, rng);
    MatD w = randn(1, d, rng, 0.5).array() + 1.0;
    const MatD R = randn(n, d, rng);
    const double eps = 1e-5;

    auto loss = [&] {
        MatD y;
        VecT<double> rstd;
        rmsnorm_forward<double>(x, w, eps, y, rstd);
        return project(y, R);
    };

    MatD y;
    VecT<double> rstd;
    rmsnorm_forward<double>(x, w, eps, y, rstd);
    const MatD dw0 = randn(1, d, rng);
    MatD dw = dw0;
    MatD dx = MatD::Constant(3, 2, 123.0);  // wrong shape and garbage: must be overwritten
    rmsnorm_backward<double>(x, w, rstd, R, dx, dw);

    check_grad("rmsnorm dx", x, dx, loss);
    check_grad("rmsnorm dw", w, MatD(dw - dw0), loss);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayersRmsNormGrad,
                         ::testing::Values(NormCase{1, 4}, NormCase{6, 5}, NormCase{3, 16}));

// ---------------------------------------------------------------------------------------------------------------
// Cross-entropy

TEST(LayersCrossEntropyGrad, Dlogits) {
    for (const auto& [n, c] : {std::pair{1, 3}, std::pair{7, 5}, std::pair{4, 11}}) {
        Rng rng(23 + n * 31 + c);
        MatD logits = randn(n, c, rng, 2.0);
        std::vector<int32_t> targets(static_cast<size_t>(n));
        for (auto& t : targets) t = static_cast<int32_t>(rng.below(static_cast<uint64_t>(c)));
        const double scale = 0.7;  // the loss weight must scale the gradient

        auto loss = [&] {
            MatD probs;
            return scale * cross_entropy_forward<double>(logits, targets, probs);
        };

        MatD probs;
        cross_entropy_forward<double>(logits, targets, probs);
        MatD dlogits = MatD::Constant(1, 1, 5.0);
        cross_entropy_backward<double>(probs, targets, scale, dlogits);
        check_grad("cross_entropy dlogits n=" + std::to_string(n), logits, dlogits, loss);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// SwiGLU, parallel and serial (the serial variant runs the code of swiglu_*_rows, the MoE fast path's experts). The
// serial variant is driven on views of a block of rows of bigger buffers (one expert's rows of stacked weights), so
// the check also covers Ref views and that nothing outside the views is touched.

struct SwigluCase {
    int n, d, inter;
    bool serial;
};
void PrintTo(const SwigluCase& c, std::ostream* os) {
    *os << "N=" << c.n << " d=" << c.d << " I=" << c.inter << (c.serial ? " serial" : " parallel");
}

class LayersSwigluGrad : public ::testing::TestWithParam<SwigluCase> {};

TEST_P(LayersSwigluGrad, AllGradients) {
    // Plain copies, not a structured binding: the lambdas below capture them (clang 14 cannot capture bindings).
    const auto [n_, d_, I_, serial_] = GetParam();
    const int n = n_, d = d_, I = I_;
    const bool serial = serial_;
    Rng rng(37 + n * 1000 + d * 10 + I + (serial ? 7 : 0));
    // Two stacked "experts"; expert 1 is the one under test. x is rows [2, 2+n) of a bigger buffer.
    constexpr int kExpert = 1;
    MatD xbig = randn(n + 4, d, rng);
    MatD Wg = randn(2 * I, d, rng, 0.6);
    MatD Wu = randn(2 * I, d, rng, 0.6);
    MatD Wd = randn(2 * d, I, rng, 0.6);
    const MatD R = randn(n, d, rng);

    auto forward = [&](SwigluCache<double>& cache, MatD& y) {
        y.resize(n, d);
        CRef<double> x = xbig.middleRows(2, n);
        CRef<double> g = Wg.middleRows(kExpert * I, I);
        CRef<double> u = Wu.middleRows(kExpert * I, I);
        CRef<double> dn = Wd.middleRows(kExpert * d, d);
        if (serial)
            swiglu_forward_serial<double>(x, g, u, dn, cache, y);
        else
            swiglu_forward<double>(x, g, u, dn, cache, y);
    };
    auto loss = [&] {
        SwigluCache<double> cache;
        MatD y;
        forward(cache, y);
        return project(y, R);
    };

    SwigluCache<double> cache;
    MatD y;
    forward(cache, y);

    const MatD dWg0 = randn(2 * I, d, rng), dWu0 = randn(2 * I, d, rng), dWd0 = randn(2 * d, I, rng);
    MatD dWg = dWg0, dWu = dWu0, dWd = dWd0;
    MatD dxbig = MatD::Constant(n + 4, d, 42.0);
    {
        CRef<double> x = xbig.middleRows(2, n);
        CRef<double> g = Wg.middleRows(kExpert * I, I);
        CRef<double> u = Wu.middleRows(kExpert * I, I);
        CRef<double> dn = Wd.middleRows(kExpert * d, d);
        MRef<double> dx = dxbig.middleRows(2, n);
        MRef<double> gg = dWg.middleRows(kExpert * I, I);
        MRef<double> gu = dWu.middleRows(kExpert * I, I);
        MRef<double> gd = dWd.middleRows(kExpert * d, d);
        if (serial)
            swiglu_backward_serial<double>(x, g, u, dn, cache, R, dx, gg, gu, gd);
        else
            swiglu_backward<double>(x, g, u, dn, cache, R, dx, gg, gu, gd);
    }
    // Rows outside the views keep their values. (For the other expert's weight rows the finite differences are
    // zero and the accumulated gradient must be unchanged, which the checks below confirm.)
    EXPECT_TRUE((dxbig.topRows(2).array() == 42.0).all());
    EXPECT_TRUE((dxbig.bottomRows(2).array() == 42.0).all());

    const std::string tag = serial ? "swiglu_serial " : "swiglu ";
    // x is perturbed through the whole buffer; rows outside the view do not affect the loss, so their expected
    // gradient is zero (dxbig holds the 42s there, hence the separate matrix).
    MatD dxfull = MatD::Zero(n + 4, d);
    dxfull.middleRows(2, n) = dxbig.middleRows(2, n);
    check_grad(tag + "dx", xbig, dxfull, loss);
    check_grad(tag + "dWg", Wg, MatD(dWg - dWg0), loss);
    check_grad(tag + "dWu", Wu, MatD(dWu - dWu0), loss);
    check_grad(tag + "dWd", Wd, MatD(dWd - dWd0), loss);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayersSwigluGrad,
                         ::testing::Values(SwigluCase{1, 3, 4, false}, SwigluCase{7, 6, 10, false},
                                           SwigluCase{40, 4, 6, false},  // spans two row chunks
                                           SwigluCase{1, 3, 4, true}, SwigluCase{7, 6, 10, true},
                                           SwigluCase{40, 4, 6, true}));

// ---------------------------------------------------------------------------------------------------------------
// Attention

struct AttnCase {
    int batch, seq, heads, d;
    bool rope;
    double theta;
};
void PrintTo(const AttnCase& c, std::ostream* os) {
    *os << "B=" << c.batch << " T=" << c.seq << " H=" << c.heads << " d=" << c.d << " rope=" << c.rope
        << " theta=" << c.theta;
}

class LayersAttentionGrad : public ::testing::TestWithParam<AttnCase> {};

TEST_P(LayersAttentionGrad, AllGradients) {
    const AttnCase c = GetParam();
    AttentionShape shape;
    shape.batch = c.batch;
    shape.seq = c.seq;
    shape.heads = c.heads;
    shape.rope = c.rope;
    shape.rope_theta = c.theta;
    const int n = c.batch * c.seq, d = c.d;
    Rng rng(101 + n * 17 + d + (c.rope ? 5 : 0));
    MatD x = randn(n, d, rng);
    MatD Wq = randn(d, d, rng, 0.5), Wk = randn(d, d, rng, 0.5), Wv = randn(d, d, rng, 0.5);
    MatD Wo = randn(d, d, rng, 0.5);
    const MatD R = randn(n, d, rng);

    auto loss = [&] {
        AttentionCache<double> cache;
        MatD out;
        attention_forward<double>(x, Wq, Wk, Wv, Wo, shape, cache, out);
        return project(out, R);
    };

    AttentionCache<double> cache;
    MatD out;
    attention_forward<double>(x, Wq, Wk, Wv, Wo, shape, cache, out);
    const MatD g0q = randn(d, d, rng), g0k = randn(d, d, rng), g0v = randn(d, d, rng), g0o = randn(d, d, rng);
    MatD dWq = g0q, dWk = g0k, dWv = g0v, dWo = g0o;
    MatD dx = MatD::Constant(2, 2, -7.0);
    attention_backward<double>(x, Wq, Wk, Wv, Wo, shape, cache, R, dx, dWq, dWk, dWv, dWo);

    const std::string tag = std::string("attention") + (c.rope ? "_rope " : " ");
    check_grad(tag + "dx", x, dx, loss);
    // With T = 1 each softmax has a single entry, so q and k do not affect the output: their gradients are zero
    // (and the finite differences confirm it).
    const bool qk_free = c.seq == 1;
    check_grad(tag + "dWq", Wq, MatD(dWq - g0q), loss, qk_free);
    check_grad(tag + "dWk", Wk, MatD(dWk - g0k), loss, qk_free);
    check_grad(tag + "dWv", Wv, MatD(dWv - g0v), loss);
    check_grad(tag + "dWo", Wo, MatD(dWo - g0o), loss);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayersAttentionGrad,
                         ::testing::Values(AttnCase{2, 5, 2, 8, false, 10000.0}, AttnCase{2, 5, 2, 8, true, 10000.0},
                                           AttnCase{1, 6, 4, 16, true, 100.0}, AttnCase{3, 4, 1, 6, true, 10.0},
                                           AttnCase{2, 1, 2, 4, true, 10000.0}));

// ---------------------------------------------------------------------------------------------------------------
// Embedding (ids repeat, so the scatter-add must sum the rows of equal ids)

TEST(LayersEmbeddingGrad, Dtable) {
    Rng rng(7);
    const int V = 6, d = 4;
    MatD table = randn(V, d, rng);
    const std::vector<int32_t> ids = {3, 1, 3, 0, 5, 3, 1, 2, 0};
    const MatD R = randn(static_cast<int64_t>(ids.size()), d, rng);

    auto loss = [&] {
        MatD out;
        embedding_forward<double>(table, ids, out);
        return project(out, R);
    };
    const MatD g0 = randn(V, d, rng);
    MatD dtable = g0;
    embedding_backward<double>(ids, R, dtable);
    check_grad("embedding dtable", table, MatD(dtable - g0), loss);
}

}  // namespace
}  // namespace moe
