// DeepSeekMoE's evaluation probes at the router and layer level (core/moe/router.h, moe_layer.h): masking the
// top-r experts re-picks the next ones, the top-k' of the top-k keep the full weight mass, the shared experts can be
// switched off, and every probe at its neutral setting is the ordinary layer bit for bit.
#include "core/error.h"
#include "core/moe/moe_layer.h"
#include "core/rng.h"
#include "tests/config_error_expect.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace moe {
namespace {

using testing::expect_config_error;

template <class T>
void fill_normal(MatT<T>& m, Rng& rng, double std) {
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = T(rng.normal(0.0, std));
}

// A layer's weights, random, with K_s shared experts when n_shared > 0.
template <class T>
struct Layer {
    MoESpec spec;
    MatT<T> gate, w_gate, w_up, w_down, s_gate, s_up, s_down;
    MatT<T> x;

    Layer(int n_routed, int top_k, int n_shared, bool norm, int tokens = 24, uint64_t seed = 7) {
        spec.hidden = 8;
        spec.inter = 6;
        spec.n_shared = n_shared;
        spec.router.n_routed = n_routed;
        spec.router.top_k = top_k;
        spec.router.norm_topk_prob = norm;
        spec.router.aux_alpha = 0.01;
        spec.router.seq_aux = false;
        spec.router.batch = 1;
        spec.router.seq = tokens;
        const int64_t d = spec.hidden, I = spec.inter, si = int64_t(n_shared) * I;
        Rng rng(seed);
        gate.resize(n_routed, d);
        w_gate.resize(n_routed * I, d);
        w_up.resize(n_routed * I, d);
        w_down.resize(n_routed * d, I);
        fill_normal(gate, rng, 1.0);  // a spread of scores, so the ranks are clear
        fill_normal(w_gate, rng, 0.3);
        fill_normal(w_up, rng, 0.3);
        fill_normal(w_down, rng, 0.3);
        if (si > 0) {
            s_gate.resize(si, d);
            s_up.resize(si, d);
            s_down.resize(d, si);
            fill_normal(s_gate, rng, 0.3);
            fill_normal(s_up, rng, 0.3);
            fill_normal(s_down, rng, 0.3);
        }
        x.resize(tokens, d);
        fill_normal(x, rng, 1.0);
    }
    MoEWeights<T> weights() const {
        const bool sh = spec.n_shared > 0;
        return {&gate, &w_gate, &w_up, &w_down, sh ? &s_gate : nullptr, sh ? &s_up : nullptr, sh ? &s_down : nullptr};
    }
    // Forward with `probe` on `path`.
    MatT<T> forward(const RoutingProbe& probe, MoEPath path, MoECache<T>& cache) const {
        MoESpec s = spec;
        s.router.probe = probe;
        MatT<T> y;
        moe_forward(s, weights(), x, path, cache, y);
        return y;
    }
};

RoutingProbe mask(int r) {
    RoutingProbe p;
    p.mask_top_r = r;
    return p;
}
RoutingProbe keep(int k_prime) {
    RoutingProbe p;
    p.active_k = k_prime;
    return p;
}

bool same_bits(const Mat& a, const Mat& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::equal(a.data(), a.data() + a.size(), b.data());  // exact, NaN-free data
}

TEST(MoEProbe, NeutralProbeIsTheOrdinaryForwardExactly) {
    // r = 0 and k' = k (stated explicitly) change nothing, on both paths, with norm_topk_prob on and off.
    for (bool norm : {true, false})
        for (MoEPath path : {MoEPath::Fast, MoEPath::Reference}) {
            const Layer<float> L(16, 3, 1, norm);
            MoECache<float> c0, c1;
            const Mat y0 = L.forward(RoutingProbe{}, path, c0);
            RoutingProbe neutral;
            neutral.mask_top_r = 0;
            neutral.active_k = 3;
            const Mat y1 = L.forward(neutral, path, c1);
            EXPECT_TRUE(same_bits(y0, y1)) << "norm " << norm;
            EXPECT_EQ(c0.router.topk_idx, c1.router.topk_idx);
            EXPECT_TRUE(same_bits(c0.router.topk_weight, c1.router.topk_weight));
            EXPECT_EQ(c0.router.aux_loss, c1.router.aux_loss);
            EXPECT_EQ(c1.router.probe_shortfall, 0);
        }
}

TEST(MoEProbe, MaskTop1OnAHandCasePicksTheNextExperts) {
    // 4 experts, gate = identity on the first 4 features: the logits are the token's features, so the ranks are
    // known. Token 0: logits 3, 2, 1, 0 -> order 0 1 2 3. Token 1: 0, 1, 3, 2 -> order 2 3 1 0.
    RouterSpec spec;
    spec.n_routed = 4;
    spec.top_k = 2;
    spec.norm_topk_prob = true;
    MatD gate = MatD::Identity(4, 4);
    MatD x(2, 4);
    x << 3, 2, 1, 0, 0, 1, 3, 2;
    RouterCache<double> plain, masked1, masked2;
    router_forward(spec, x, gate, plain);
    ASSERT_EQ(plain.topk_idx, (std::vector<int32_t>{0, 1, 2, 3}));

    spec.probe = mask(1);
    router_forward(spec, x, gate, masked1);
    EXPECT_EQ(masked1.topk_idx, (std::vector<int32_t>{1, 2, 3, 1}));
    spec.probe = mask(2);
    router_forward(spec, x, gate, masked2);
    EXPECT_EQ(masked2.topk_idx, (std::vector<int32_t>{2, 3, 1, 0}));

    // The scores stay the softmax over all 4; the weights are the re-picked scores renormalised over them.
    for (int t = 0; t < 2; ++t) {
        for (int i = 0; i < 4; ++i) EXPECT_EQ(masked1.scores(t, i), plain.scores(t, i));
        const double a = plain.scores(t, masked1.topk_idx[t * 2]), b = plain.scores(t, masked1.topk_idx[t * 2 + 1]);
        EXPECT_NEAR(masked1.topk_weight(t, 0), a / (a + b), 1e-15);
        EXPECT_NEAR(masked1.topk_weight(t, 1), b / (a + b), 1e-15);
    }
    // Without renormalisation the weights are the raw scores.
    spec.norm_topk_prob = false;
    spec.probe = mask(1);
    RouterCache<double> raw;
    router_forward(spec, x, gate, raw);
    EXPECT_EQ(raw.topk_weight(0, 0), plain.scores(0, 1));
    EXPECT_EQ(raw.topk_weight(0, 1), plain.scores(0, 2));
}

TEST(MoEProbe, MaskTopRIsTheOrdinaryRanksRToRPlusK) {
    // Independent check on random tokens: the masked top-k is slots r..r+k-1 of an unmasked top-(r+k).
    const int nr = 16, k = 2;
    const Layer<double> L(nr, k, 0, true, 64);
    for (int r = 1; r <= 4; ++r) {
        RouterSpec wide = L.spec.router;
        wide.top_k = r + k;
        RouterCache<double> ref, got;
        router_forward(wide, L.x, L.gate, ref);
        RouterSpec masked = L.spec.router;
        masked.probe = mask(r);
        router_forward(masked, L.x, L.gate, got);
        for (int64_t t = 0; t < L.x.rows(); ++t)
            for (int j = 0; j < k; ++j)
                EXPECT_EQ(got.topk_idx[t * k + j], ref.topk_idx[t * (r + k) + r + j]) << "r " << r << " token " << t;
    }
}

TEST(MoEProbe, MaskRoutesTheSameOnReferenceAndFast) {
    for (int r : {1, 3}) {
        const Layer<double> L(16, 3, 1, true);
        MoECache<double> cf, cr, c0;
        const MatD yf = L.forward(mask(r), MoEPath::Fast, cf);
        const MatD yr = L.forward(mask(r), MoEPath::Reference, cr);
        const MatD y0 = L.forward(RoutingProbe{}, MoEPath::Fast, c0);
        EXPECT_EQ(cf.router.topk_idx, cr.router.topk_idx);
        EXPECT_EQ(cf.router.topk_weight, cr.router.topk_weight);
        EXPECT_LT((yf - yr).cwiseAbs().maxCoeff(), 1e-12) << "r " << r;
        EXPECT_GT((yf - y0).cwiseAbs().maxCoeff(), 1e-3) << "masking must change the output";
        EXPECT_NE(cf.router.topk_idx, c0.router.topk_idx);
    }
}

TEST(MoEProbe, ActiveKPrimeKeepsTheFullWeightMass) {
    for (bool norm : {true, false}) {
        const int k = 3;
        const Layer<double> L(16, k, 0, norm);
        MoECache<double> full, k1, k2;
        const MatD y_full = L.forward(RoutingProbe{}, MoEPath::Fast, full);
        const MatD y_kk = L.forward(keep(k), MoEPath::Fast, k2);
        EXPECT_EQ(y_full, y_kk) << "k' = k is the ordinary layer";
        const MatD y1 = L.forward(keep(1), MoEPath::Fast, k1);
        EXPECT_GT((y1 - y_full).cwiseAbs().maxCoeff(), 1e-3);
        EXPECT_EQ(k1.router.topk_idx, full.router.topk_idx) << "the slots stay, the extra ones get weight 0";
        for (int64_t t = 0; t < L.x.rows(); ++t) {
            const double mass = full.router.topk_weight.row(t).sum();
            EXPECT_NEAR(k1.router.topk_weight(t, 0), mass, 1e-14) << "norm " << norm;
            for (int j = 1; j < k; ++j) EXPECT_EQ(k1.router.topk_weight(t, j), 0.0);
            if (!norm) {
                EXPECT_LT(mass, 1.0 - 1e-6) << "unnormalised: the mass is the raw scores' sum";
            }
        }
        // k' = 2: the first two in the same proportion as before, scaled to the full mass.
        MoECache<double> c2;
        L.forward(keep(2), MoEPath::Reference, c2);
        for (int64_t t = 0; t < L.x.rows(); ++t) {
            const auto g = full.router.topk_weight.row(t);
            const double scale = g.sum() / (g(0) + g(1));
            EXPECT_NEAR(c2.router.topk_weight(t, 0), g(0) * scale, 1e-14);
            EXPECT_NEAR(c2.router.topk_weight(t, 1), g(1) * scale, 1e-14);
            EXPECT_EQ(c2.router.topk_weight(t, 2), 0.0);
        }
    }
}

TEST(MoEProbe, SharedOffIsTheRoutedPartOnly) {
    const Layer<float> L(16, 3, 1, true);
    RoutingProbe off;
    off.shared_off = true;
    for (MoEPath path : {MoEPath::Fast, MoEPath::Reference}) {
        MoECache<float> c0, c1;
        const Mat y = L.forward(RoutingProbe{}, path, c0);
        const Mat y_off = L.forward(off, path, c1);
        ASSERT_GT(c0.shared_out.cwiseAbs().maxCoeff(), 1e-3f);
        EXPECT_TRUE(same_bits(y_off, c0.routed_out));
        EXPECT_LT((y_off - (y - c0.shared_out)).cwiseAbs().maxCoeff(), 1e-5f);
        EXPECT_EQ(c1.router.topk_idx, c0.router.topk_idx) << "switching the shared expert off leaves the routing";
    }
}

TEST(MoEProbe, SharedOffWithoutASharedExpertIsRejected) {
    const Layer<float> L(16, 2, 0, true);
    RoutingProbe off;
    off.shared_off = true;
    const ProbeCheck c = check_routing_probe(L.spec, off);
    EXPECT_FALSE(c.ok);
    EXPECT_EQ(c.reason, "model has no shared expert (n_shared_experts = 0): nothing to switch off");
    expect_config_error(
        [&] {
            MoECache<float> cache;
            L.forward(off, MoEPath::Fast, cache);
        },
        {"model has no shared expert (n_shared_experts = 0): nothing to switch off"});
}

TEST(MoEProbe, MaskingTooManyExpertsIsUnavailableWithTheReason) {
    const ProbeCheck fine = check_mask_top_r(4, 16, 2);
    EXPECT_TRUE(fine.ok);
    EXPECT_EQ(fine.reason, "masking 4 of 16 experts leaves 12 >= k = 2: fine");
    EXPECT_TRUE(check_mask_top_r(14, 16, 2).ok) << "N_r - k is the largest r";
    const ProbeCheck bad = check_mask_top_r(15, 16, 2);
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.reason, "cannot mask r = 15 of 16 experts: only 1 left for top-2");
    EXPECT_FALSE(check_active_k(4, 3).ok);
    EXPECT_FALSE(check_active_k(-1, 3).ok);
    // The router refuses to run it.
    const Layer<float> L(16, 2, 0, true);
    expect_config_error(
        [&] {
            MoECache<float> cache;
            L.forward(mask(15), MoEPath::Fast, cache);
        },
        {"cannot mask r = 15 of 16 experts: only 1 left for top-2"});
}

TEST(MoEProbe, BackwardRefusesWhileAProbeIsSet) {
    const Layer<float> L(16, 2, 1, true);
    RoutingProbe off;
    off.shared_off = true;
    for (const RoutingProbe& p : {mask(1), keep(1), off}) {
        MoESpec s = L.spec;
        s.router.probe = p;
        MoECache<float> cache;
        Mat y, dx;
        moe_forward(s, L.weights(), L.x, MoEPath::Fast, cache, y);
        Mat gg = Mat::Zero(L.gate.rows(), L.gate.cols()), wg = Mat::Zero(L.w_gate.rows(), L.w_gate.cols()),
             wu = wg, wd = Mat::Zero(L.w_down.rows(), L.w_down.cols()),
             sg = Mat::Zero(L.s_gate.rows(), L.s_gate.cols()), su = sg,
             sd = Mat::Zero(L.s_down.rows(), L.s_down.cols());
        MoEGrads<float> g{&gg, &wg, &wu, &wd, &sg, &su, &sd};
        const Mat dy = Mat::Ones(y.rows(), y.cols());
        expect_config_error([&] { moe_backward(s, L.weights(), L.x, MoEPath::Fast, cache, dy, dx, g); },
                            {"probe", "forward only"});
    }
}

TEST(MoEProbe, MaskUnderADeviceLimitScoresDevicesOverTheUnmaskedExperts) {
    // 4 experts on 2 devices (0,1 | 2,3), a token may use 1 device, top-2. Logits 3, 2, 1, 0.
    RouterSpec spec;
    spec.n_routed = 4;
    spec.top_k = 2;
    spec.norm_topk_prob = true;
    spec.device.devices = 2;
    spec.device.limit = 1;
    const MatD gate = MatD::Identity(4, 4);
    MatD x(2, 4);
    x << 3, 2, 1, 0,  // masking expert 0 leaves expert 1 as device 0's best: device 0 chosen, 1 candidate
        3, 0, 2, 1;   // masking expert 0 leaves device 1's expert 2 best: device 1 chosen, experts 2 and 3
    spec.probe = mask(1);
    RouterCache<double> c;
    router_forward(spec, x, gate, c);
    EXPECT_EQ(c.probe_shortfall, 1);
    EXPECT_EQ(c.chosen_devices, (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(c.topk_idx[0], 1);
    EXPECT_EQ(c.topk_weight(0, 1), 0.0) << "the empty slot has no weight";
    EXPECT_NEAR(c.topk_weight(0, 0), 1.0, 1e-15);
    EXPECT_EQ((std::vector<int32_t>{c.topk_idx[2], c.topk_idx[3]}), (std::vector<int32_t>{2, 3}));

    // With every device allowed (M = D) the masked routing is the unlimited masked routing, bit for bit.
    const Layer<double> L(16, 3, 0, true, 64);
    RouterSpec unlimited = L.spec.router, all_devices = L.spec.router;
    unlimited.probe = all_devices.probe = mask(2);
    all_devices.device.devices = 4;
    all_devices.device.limit = 4;
    RouterCache<double> a, b;
    router_forward(unlimited, L.x, L.gate, a);
    router_forward(all_devices, L.x, L.gate, b);
    EXPECT_EQ(a.topk_idx, b.topk_idx);
    EXPECT_EQ(a.topk_weight, b.topk_weight);
    EXPECT_EQ(b.probe_shortfall, 0);
}

}  // namespace
}  // namespace moe
