// The DeepSeekMoE gate against a hand-worked case and a plain transcription of the reference MoEGate formulas, and
// its backward pass against central finite differences in double.
#include "core/error.h"
#include "core/moe/route_stages.h"
#include "core/moe/router.h"
#include "core/rng.h"
#include "tests/finite_difference.h"
#include "tests/routing_margin.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace moe {
namespace {

// ---- A plain transcription of the reference gate (MoEGate.forward), in double, for the expected values. ----

std::vector<double> softmax_row(const std::vector<double>& logits) {
    double mx = *std::max_element(logits.begin(), logits.end());
    std::vector<double> s(logits.size());
    double sum = 0;
    for (size_t i = 0; i < s.size(); ++i) sum += (s[i] = std::exp(logits[i] - mx));
    for (auto& v : s) v /= sum;
    return s;
}

// token-level:  ce = one_hot(topk_idx).mean(0); Pi = scores.mean(0); fi = ce * N_r; aux = (Pi * fi).sum() * alpha
double ref_aux_token(const std::vector<std::vector<double>>& scores, const std::vector<std::vector<int>>& idx, int nr,
                     double alpha) {
    const size_t n = scores.size(), k = idx[0].size();
    std::vector<double> ce(nr, 0.0), pi(nr, 0.0);
    for (size_t t = 0; t < n; ++t)
        for (size_t j = 0; j < k; ++j) ce[idx[t][j]] += 1.0 / double(n * k);
    for (size_t t = 0; t < n; ++t)
        for (int i = 0; i < nr; ++i) pi[i] += scores[t][i] / double(n);
    double aux = 0;
    for (int i = 0; i < nr; ++i) aux += pi[i] * ce[i] * nr;
    return aux * alpha;
}

// seq_aux: ce[b] = scatter_add(ones) / (seq*k/N_r); aux = (ce * scores[b].mean(seq)).sum(1).mean() * alpha
double ref_aux_seq(const std::vector<std::vector<double>>& scores, const std::vector<std::vector<int>>& idx, int nr,
                   int bsz, int seq, double alpha) {
    const size_t k = idx[0].size();
    double total = 0;
    for (int b = 0; b < bsz; ++b) {
        std::vector<double> ce(nr, 0.0), mean(nr, 0.0);
        for (int t = 0; t < seq; ++t)
            for (size_t j = 0; j < k; ++j) ce[idx[b * seq + t][j]] += 1.0;
        for (auto& c : ce) c /= double(seq * k) / nr;
        for (int t = 0; t < seq; ++t)
            for (int i = 0; i < nr; ++i) mean[i] += scores[b * seq + t][i] / seq;
        double row = 0;
        for (int i = 0; i < nr; ++i) row += ce[i] * mean[i];
        total += row;
    }
    return total / bsz * alpha;
}

// ---- The hand-worked case: 4 tokens, 4 experts, gate = identity so the logits are the inputs themselves. ----

const double kLogits[4][4] = {
    {1.0, 2.0, 0.5, -1.0},   // order 1, 0, 2, 3
    {0.0, 3.0, 3.0, 1.0},    // experts 1 and 2 tie: 1 first
    {2.0, 0.0, 0.0, 0.0},    // 0, then a three-way tie for second place: 1
    {-0.5, 0.25, 1.5, 1.0},  // order 2, 3, 1, 0
};

struct HandCase {
    MatD x = MatD(4, 4);
    MatD gate = MatD::Identity(4, 4);
    std::vector<std::vector<double>> scores;
    HandCase() {
        for (int t = 0; t < 4; ++t) {
            std::vector<double> l(4);
            for (int i = 0; i < 4; ++i) l[i] = x(t, i) = kLogits[t][i];
            scores.push_back(softmax_row(l));
        }
    }
};

RouterSpec hand_spec(int k, bool norm) {
    RouterSpec spec;
    spec.n_routed = 4;
    spec.top_k = k;
    spec.norm_topk_prob = norm;
    spec.aux_alpha = 0.01;
    spec.batch = 2;
    spec.seq = 2;
    return spec;
}

TEST(Router, HandWorkedTop2) {
    HandCase hc;
    const std::vector<std::vector<int>> expect_idx = {{1, 0}, {1, 2}, {0, 1}, {2, 3}};
    for (bool norm : {false, true}) {
        for (bool seq_aux : {false, true}) {
            RouterSpec spec = hand_spec(2, norm);
            spec.seq_aux = seq_aux;
            RouterCache<double> c;
            router_forward(spec, hc.x, hc.gate, c);
            for (int t = 0; t < 4; ++t) {
                double sel_sum = 0;
                for (int j = 0; j < 2; ++j) sel_sum += hc.scores[t][expect_idx[t][j]];
                for (int i = 0; i < 4; ++i) EXPECT_NEAR(c.scores(t, i), hc.scores[t][i], 1e-15);
                for (int j = 0; j < 2; ++j) {
                    EXPECT_EQ(c.topk_idx[t * 2 + j], expect_idx[t][j]) << "token " << t << " slot " << j;
                    const double raw = hc.scores[t][expect_idx[t][j]];
                    const double want = norm ? raw / (sel_sum + 1e-20) : raw;
                    EXPECT_NEAR(c.topk_weight(t, j), want, 1e-15);
                }
            }
            const double want_aux = seq_aux ? ref_aux_seq(hc.scores, expect_idx, 4, 2, 2, 0.01)
                                            : ref_aux_token(hc.scores, expect_idx, 4, 0.01);
            EXPECT_NEAR(c.aux_loss, want_aux, 1e-15);
            // f_i * N_r: token-level, expert 1 gets 3 of the 8 slots -> 3/8 * 4 = 1.5.
            if (!seq_aux) {
                ASSERT_EQ(c.aux_f.rows(), 1);
                EXPECT_DOUBLE_EQ(c.aux_f(0, 0), 1.0);
                EXPECT_DOUBLE_EQ(c.aux_f(0, 1), 1.5);
                EXPECT_DOUBLE_EQ(c.aux_f(0, 2), 1.0);
                EXPECT_DOUBLE_EQ(c.aux_f(0, 3), 0.5);
            } else {
                // Sequence 0 (tokens 0,1): experts 1,0,1,2; sequence 1 (tokens 2,3): 0,1,2,3. Each over 4 slots, x4.
                ASSERT_EQ(c.aux_f.rows(), 2);
                EXPECT_DOUBLE_EQ(c.aux_f(0, 0), 1.0);
                EXPECT_DOUBLE_EQ(c.aux_f(0, 1), 2.0);
                EXPECT_DOUBLE_EQ(c.aux_f(0, 2), 1.0);
                EXPECT_DOUBLE_EQ(c.aux_f(0, 3), 0.0);
                for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(c.aux_f(1, i), 1.0);
            }
        }
    }
}

TEST(Router, Top1KeepsRawScoreEvenWithNorm) {
    HandCase hc;
    const int expect_idx[4] = {1, 1, 0, 2};  // token 1: experts 1 and 2 tie, the lower index wins
    for (bool norm : {false, true}) {
        RouterCache<double> c;
        router_forward(hand_spec(1, norm), hc.x, hc.gate, c);
        for (int t = 0; t < 4; ++t) {
            EXPECT_EQ(c.topk_idx[t], expect_idx[t]);
            EXPECT_DOUBLE_EQ(c.topk_weight(t, 0), hc.scores[t][expect_idx[t]]);  // not renormalised to 1
        }
    }
}

TEST(Router, TiesGoToTheLowerIndexInDescendingOrder) {
    // All four experts equal: top-3 is 0, 1, 2 in that order.
    MatD x = MatD::Constant(1, 4, 0.5);
    RouterSpec spec = hand_spec(3, true);
    spec.aux_alpha = 0.0;
    RouterCache<double> c;
    router_forward(spec, x, MatD(MatD::Identity(4, 4)), c);
    EXPECT_EQ(c.topk_idx, (std::vector<int32_t>{0, 1, 2}));
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(c.topk_weight(0, j), 1.0 / 3.0, 1e-15);
    EXPECT_EQ(c.aux_loss, 0.0);
}

TEST(Router, NoAuxLossWhenAlphaIsZero) {
    HandCase hc;
    RouterSpec spec = hand_spec(2, true);
    spec.aux_alpha = 0.0;
    RouterCache<double> c;
    router_forward(spec, hc.x, hc.gate, c);
    EXPECT_EQ(c.aux_loss, 0.0);
    // ... and no gradient from it: with dtopk = 0 the gradients stay zero.
    MatD dx = MatD::Zero(4, 4), dgate = MatD::Zero(4, 4);
    router_backward(spec, hc.x, hc.gate, c, MatD(MatD::Zero(4, 2)), dx, dgate);
    EXPECT_EQ(dx.cwiseAbs().maxCoeff(), 0.0);
    EXPECT_EQ(dgate.cwiseAbs().maxCoeff(), 0.0);
}

TEST(Router, RejectsBadSettings) {
    HandCase hc;
    RouterCache<double> c;
    RouterSpec spec = hand_spec(5, true);  // top-k > experts
    EXPECT_THROW(router_forward(spec, hc.x, hc.gate, c), ConfigError);
    spec = hand_spec(2, true);
    spec.seq_aux = true;
    spec.seq = 3;  // 2*3 != 4 tokens
    EXPECT_THROW(router_forward(spec, hc.x, hc.gate, c), ConfigError);
    spec = hand_spec(2, true);
    EXPECT_THROW(router_forward(spec, hc.x, MatD(MatD::Identity(3, 4)), c), InternalError);
}

// ---- Finite differences: objective L = sum(R .* topk_weight) + aux_loss. ----

void fill_normal(MatD& m, Rng& rng, double std) {
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = rng.normal(0.0, std);
}

double objective(const RouterSpec& spec, const MatD& x, const MatD& gate, const MatD& R,
                 const std::vector<double>* bias = nullptr) {
    RouterCache<double> c;
    router_forward(spec, x, gate, c, bias ? bias->data() : nullptr);
    return (R.array() * c.topk_weight.array()).sum() + c.aux_loss;
}

struct FdCase {
    int k;
    bool norm;
    bool seq_aux;
    double z = 0.0;  // router z-loss coefficient
    bool sigmoid = false;
    double scale = 1.0;  // routed_scaling_factor
    bool bias = false;   // a selection bias (noaux_tc)
    int devices = 1, limit = 0;  // group-limited routing (top-2 sum per group) when limit > 0
    double cf = 0.0;  // expert capacity factor (drop policy position: the kept set does not move with the weights)
};

void PrintTo(const FdCase& c, std::ostream* os) {
    *os << "k=" << c.k << (c.norm ? " norm" : " raw") << (c.seq_aux ? " seq_aux" : " token-level aux")
        << " z=" << c.z << (c.sigmoid ? " sigmoid" : " softmax") << " scale=" << c.scale << (c.bias ? " bias" : "")
        << " D=" << c.devices << " M=" << c.limit << " CF=" << c.cf;
}

class RouterFd : public ::testing::TestWithParam<FdCase> {};

TEST_P(RouterFd, GradientsMatchFiniteDifferences) {
    const FdCase p = GetParam();
    RouterSpec spec;
    spec.n_routed = 6;
    spec.top_k = p.k;
    spec.norm_topk_prob = p.norm;
    spec.aux_alpha = 0.3;  // large, so the balance loss's gradient is a visible part of the total
    spec.seq_aux = p.seq_aux;
    spec.z_loss_coef = p.z;
    spec.sigmoid = p.sigmoid;
    spec.scaling_factor = p.scale;
    spec.selection_bias = p.bias;
    spec.device.devices = p.devices;
    spec.device.limit = p.limit;
    spec.device.routing = DeviceRouting::Group;
    spec.device.dev_alpha = p.limit > 0 ? 0.2 : 0.0;  // the device-level loss too, through the sigmoid's p
    spec.capacity_factor = p.cf;
    spec.drop_by_probs = false;
    spec.batch = 2;
    spec.seq = 5;
    const int n = 10, d = 7;

    MatD x(n, d), gate(spec.n_routed, d), R(n, p.k);
    std::vector<double> bias(spec.n_routed);
    RouterCache<double> c;
    ASSERT_TRUE(testing::draw_clear_routing(
        spec, x, gate, c, 200,
        [&](Rng& rng) {
            fill_normal(x, rng, 1.0);
            fill_normal(gate, rng, 0.7);
            fill_normal(R, rng, 1.0);
            for (double& b : bias) b = rng.normal(0.0, 0.1);
        },
        p.bias ? &bias : nullptr));

    if (p.cf > 0) ASSERT_GT(c.dropped, 0) << "the capacity drops nothing here: the case checks nothing";
    MatD dx = MatD::Zero(n, d), dgate = MatD::Zero(spec.n_routed, d);
    router_backward(spec, x, gate, c, R, dx, dgate);

    auto loss = [&] { return objective(spec, x, gate, R, p.bias ? &bias : nullptr); };
    const testing::FdTolerance tol{.abs = 1e-8, .rel = 1e-6};
    EXPECT_TRUE(testing::gradient_matches(x, dx, loss, 1e-6, tol)) << "dx";
    EXPECT_TRUE(testing::gradient_matches(gate, dgate, loss, 1e-6, tol)) << "dgate";

    // The accumulation contract: a second backward adds the same amount again.
    MatD dx2 = dx, dgate2 = dgate;
    router_backward(spec, x, gate, c, R, dx2, dgate2);
    EXPECT_NEAR((dx2 - 2 * dx).cwiseAbs().maxCoeff(), 0.0, 1e-14);
    EXPECT_NEAR((dgate2 - 2 * dgate).cwiseAbs().maxCoeff(), 0.0, 1e-14);
}

INSTANTIATE_TEST_SUITE_P(Router, RouterFd,
                         ::testing::Values(FdCase{2, true, false}, FdCase{2, false, false}, FdCase{2, true, true},
                                           FdCase{2, false, true}, FdCase{3, true, true}, FdCase{1, true, false},
                                           FdCase{1, false, true}, FdCase{2, true, false, 0.2},
                                           FdCase{1, false, true, 0.2},
                                           // DeepSeek-V3 scoring: sigmoid, scaled weights, a selection bias, groups
                                           FdCase{2, true, true, 0.0, true}, FdCase{2, false, false, 0.0, true},
                                           FdCase{1, true, true, 0.0, true}, FdCase{3, true, true, 0.0, true, 2.5},
                                           FdCase{2, false, true, 0.0, false, 2.5},
                                           FdCase{2, true, true, 0.0, true, 2.5, true},
                                           FdCase{2, true, false, 0.0, false, 1.0, true},
                                           FdCase{2, true, true, 0.0, true, 2.5, true, 3, 2},
                                           // expert capacity: dropped slots carry no gradient
                                           FdCase{2, true, true, 0.0, false, 1.0, false, 1, 0, 0.8},
                                           FdCase{1, false, false, 0.0, false, 1.0, false, 1, 0, 1.0},
                                           FdCase{2, true, true, 0.0, true, 2.5, true, 1, 0, 0.8}),
                         [](const auto& info) {
                             const FdCase& p = info.param;
                             std::string name = "k" + std::to_string(p.k) + (p.norm ? "_norm" : "_raw") +
                                                (p.seq_aux ? "_seqaux" : "_tokenaux") + (p.z > 0 ? "_zloss" : "");
                             if (p.sigmoid) name += "_sigmoid";
                             if (p.scale != 1.0) name += "_scaled";
                             if (p.bias) name += "_bias";
                             if (p.limit > 0) name += "_groups";
                             if (p.cf > 0) name += "_capacity";
                             return name;
                         });

// ---- DeepSeek-V3 routing against a plain transcription of its gate (sigmoid, bias for the choice only). ----
//   scores = sigmoid(logits); scores_for_choice = scores + e_score_correction_bias
//   group_scores = sum of the top-2 of scores_for_choice per group; keep the topk_group best groups
//   topk_idx = top-k of scores_for_choice over the kept groups; topk_weight = scores[topk_idx]
//   topk_weight /= sum + 1e-20 (top_k > 1 and norm_topk_prob); topk_weight *= routed_scaling_factor
//   the balance loss sees s' = scores / sum(scores)
struct V3Reference {
    std::vector<std::vector<int>> idx;
    std::vector<std::vector<double>> weight, normalised;
};

V3Reference v3_reference(const MatD& logits, const std::vector<double>& bias, int k, int groups, int topk_group,
                         bool norm, double scale) {
    const int n = int(logits.rows()), nr = int(logits.cols()), per = nr / groups;
    V3Reference r;
    for (int t = 0; t < n; ++t) {
        std::vector<double> s(nr), choice(nr);
        double sum = 0;
        for (int i = 0; i < nr; ++i) {
            s[i] = 1.0 / (1.0 + std::exp(-logits(t, i)));
            choice[i] = s[i] + bias[i];
            sum += s[i];
        }
        std::vector<std::pair<double, int>> group_score;
        for (int g = 0; g < groups; ++g) {
            std::vector<double> in(choice.begin() + g * per, choice.begin() + (g + 1) * per);
            std::sort(in.rbegin(), in.rend());
            group_score.push_back({in[0] + (per > 1 ? in[1] : 0.0), g});
        }
        std::stable_sort(group_score.begin(), group_score.end(), [](auto a, auto b) { return a.first > b.first; });
        std::vector<std::pair<double, int>> candidates;
        for (int m = 0; m < topk_group; ++m)
            for (int i = group_score[m].second * per; i < (group_score[m].second + 1) * per; ++i)
                candidates.push_back({choice[i], i});
        std::stable_sort(candidates.begin(), candidates.end(), [](auto a, auto b) {
            return a.first > b.first || (a.first == b.first && a.second < b.second);
        });
        std::vector<int> idx;
        std::vector<double> w;
        double wsum = 0;
        for (int j = 0; j < k; ++j) {
            idx.push_back(candidates[j].second);
            w.push_back(s[candidates[j].second]);
            wsum += w.back();
        }
        for (double& v : w) v = (norm && k > 1 ? v / (wsum + 1e-20) : v) * scale;
        std::vector<double> p(nr);
        for (int i = 0; i < nr; ++i) p[i] = s[i] / sum;
        r.idx.push_back(idx);
        r.weight.push_back(w);
        r.normalised.push_back(p);
    }
    return r;
}

TEST(Router, SigmoidWithBiasMatchesTheV3Gate) {
    const int n = 24, d = 6, nr = 8, k = 3;
    for (const int limit : {0, 2}) {
        for (const bool norm : {true, false}) {
            SCOPED_TRACE(::testing::Message() << "topk_group " << limit << (norm ? " norm" : " raw"));
            RouterSpec spec;
            spec.n_routed = nr;
            spec.top_k = k;
            spec.norm_topk_prob = norm;
            spec.sigmoid = true;
            spec.scaling_factor = 2.5;
            spec.selection_bias = true;
            spec.aux_alpha = 0.01;
            spec.seq_aux = true;
            spec.batch = 4;
            spec.seq = 6;
            if (limit > 0) {
                spec.device.devices = 4;
                spec.device.limit = limit;
                spec.device.routing = DeviceRouting::Group;
            }
            Rng rng(31);
            MatD x(n, d), gate(nr, d);
            fill_normal(x, rng, 1.0);
            fill_normal(gate, rng, 0.6);
            // A bias large enough to overrule the affinities for many tokens: the choice must follow it.
            std::vector<double> bias(nr);
            for (int i = 0; i < nr; ++i) bias[i] = (i % 2 == 0 ? 0.3 : -0.3) + 0.01 * i;
            RouterCache<double> c;
            router_forward(spec, x, gate, c, bias.data());
            const V3Reference ref =
                v3_reference(x * gate.transpose(), bias, k, limit > 0 ? 4 : 1, limit > 0 ? limit : 1, norm, 2.5);
            int followed_bias = 0;
            for (int t = 0; t < n; ++t) {
                for (int j = 0; j < k; ++j) {
                    EXPECT_EQ(c.topk_idx[t * k + j], ref.idx[t][j]) << "token " << t << " slot " << j;
                    EXPECT_NEAR(c.topk_weight(t, j), ref.weight[t][j], 1e-14);
                    followed_bias += ref.idx[t][j] % 2 == 0;
                }
                for (int i = 0; i < nr; ++i) EXPECT_NEAR(c.scores(t, i), ref.normalised[t][i], 1e-15);
                EXPECT_NEAR(c.scores.row(t).sum(), 1.0, 1e-14);
            }
            // Without the bias half the slots would go to even experts; the bias pushes well above that.
            EXPECT_GT(followed_bias, n * k * 3 / 5) << "the bias did not decide the choice: the test sees nothing";
            // The balance loss is the seeds' sequence-level loss on the normalised affinities.
            std::vector<std::vector<int>> idx = ref.idx;
            EXPECT_NEAR(c.aux_loss, ref_aux_seq(ref.normalised, idx, nr, 4, 6, 0.01), 1e-15);
            // Without the bias the choice changes, and the weights of the experts kept are the same affinities.
            RouterSpec unbiased = spec;
            unbiased.selection_bias = false;
            RouterCache<double> u;
            router_forward(unbiased, x, gate, u);
            EXPECT_NE(u.topk_idx, c.topk_idx);
        }
    }
}

// Expert capacity against a plain transcription: per expert, its slots in order; keep the first C (position) or the C
// largest weights (probs, ties to the earlier slot); C = ceil(CF N k / N_r). The routing itself is untouched: the same
// experts, the kept slots' weights unchanged, the dropped ones 0, counted in `dropped`.
TEST(Router, CapacityDropsTheOverflowByItsPolicy) {
    const int n = 40, d = 5, nr = 4, k = 2;
    Rng rng(17);
    MatD x(n, d), gate(nr, d);
    fill_normal(x, rng, 1.0);
    fill_normal(gate, rng, 0.8);
    gate.row(0) *= 2.5;  // a popular expert, so that it overflows
    RouterSpec free;
    free.n_routed = nr;
    free.top_k = k;
    free.aux_alpha = 0.01;
    RouterCache<double> uncapped;
    router_forward(free, x, gate, uncapped);
    for (const bool probs : {true, false}) {
        for (const double cf : {1.0, 1.25}) {
            SCOPED_TRACE(::testing::Message() << (probs ? "probs" : "position") << " CF " << cf);
            RouterSpec spec = free;
            spec.capacity_factor = cf;
            spec.drop_by_probs = probs;
            RouterCache<double> c;
            router_forward(spec, x, gate, c);
            const int64_t capacity = int64_t(std::ceil(cf * n * k / nr));
            EXPECT_EQ(c.topk_idx, uncapped.topk_idx);
            std::vector<uint8_t> want(size_t(n * k), 1);
            for (int e = 0; e < nr; ++e) {
                std::vector<int> mine;
                for (int s = 0; s < n * k; ++s)
                    if (uncapped.topk_idx[size_t(s)] == e) mine.push_back(s);
                if (probs)
                    std::stable_sort(mine.begin(), mine.end(), [&](int a, int b) {
                        return uncapped.topk_weight.data()[a] > uncapped.topk_weight.data()[b];
                    });
                for (size_t i = size_t(capacity); i < mine.size(); ++i) want[size_t(mine[i])] = 0;
            }
            EXPECT_EQ(c.kept, want);
            int64_t dropped = 0;
            for (int s = 0; s < n * k; ++s) {
                const double w = c.topk_weight.data()[s], w0 = uncapped.topk_weight.data()[s];
                EXPECT_EQ(w, want[size_t(s)] ? w0 : 0.0) << "slot " << s;
                dropped += want[size_t(s)] == 0;
            }
            EXPECT_EQ(c.dropped, dropped);
            EXPECT_GT(dropped, 0) << "nothing overflowed: the test sees nothing";
            EXPECT_EQ(c.aux_f, uncapped.aux_f) << "f_i counts the choice, dropped or not";
        }
    }
    RouterSpec bad = free;
    bad.capacity_factor = -1.0;
    RouterCache<double> c;
    EXPECT_THROW(router_forward(bad, x, gate, c), ConfigError);
}

// bias_step moves each expert's bias by gamma towards equal loads: up for an underloaded expert, down for an
// overloaded one, not at all for one exactly at the mean.
TEST(Router, BiasStepMovesTowardsEqualLoads) {
    // 4 experts, 12 token-slots: mean 3.
    EXPECT_FLOAT_EQ(route::bias_step(0.5f, 1, 12, 4, 0.001f), 0.501f);
    EXPECT_FLOAT_EQ(route::bias_step(0.5f, 6, 12, 4, 0.001f), 0.499f);
    EXPECT_EQ(route::bias_step(0.5f, 3, 12, 4, 0.001f), 0.5f);
    // A mean that is not a whole number: 10 slots over 4 experts (2.5) puts a load of 2 below and 3 above it.
    EXPECT_GT(route::bias_step(0.0, 2, 10, 4, 0.01), 0.0);
    EXPECT_LT(route::bias_step(0.0, 3, 10, 4, 0.01), 0.0);
}

// The router z-loss (ST-MoE) is c_z times the mean over tokens of the squared logsumexp of the logits, part of the
// layer's auxiliary loss, and 0 with c_z = 0; a negative coefficient is refused.
TEST(Router, ZLossIsTheMeanSquaredLogsumexp) {
    RouterSpec spec;
    spec.n_routed = 5;
    spec.top_k = 2;
    const int n = 7, d = 4;
    MatD x(n, d), gate(spec.n_routed, d);
    Rng rng(11);
    fill_normal(x, rng, 1.0);
    fill_normal(gate, rng, 1.0);
    RouterCache<double> off, on;
    router_forward(spec, x, gate, off);
    EXPECT_EQ(off.z_loss, 0.0);
    EXPECT_TRUE(off.lse.empty());
    spec.z_loss_coef = 0.01;
    router_forward(spec, x, gate, on);
    const MatD logits = x * gate.transpose();
    double want = 0.0;
    for (int t = 0; t < n; ++t) {
        const double lse = std::log(logits.row(t).array().exp().sum());
        want += lse * lse;
    }
    want *= 0.01 / n;
    EXPECT_NEAR(on.z_loss, want, 1e-12);
    EXPECT_GT(on.z_loss, 0.0);
    EXPECT_NEAR(on.aux_loss, off.aux_loss + on.z_loss, 1e-15);
    EXPECT_EQ(on.topk_idx, off.topk_idx) << "the z-loss does not change the routing";
    spec.z_loss_coef = -0.1;
    EXPECT_THROW(router_forward(spec, x, gate, on), ConfigError);
}

TEST(Router, FloatMatchesDouble) {
    RouterSpec spec;
    spec.n_routed = 8;
    spec.top_k = 3;
    spec.aux_alpha = 0.01;
    MatD x(32, 16), gate(8, 16);
    RouterCache<double> cd;
    RouterCache<float> cf;
    // Inputs with no score near the top-k boundary, where float could pick differently.
    ASSERT_TRUE(testing::draw_clear_routing(spec, x, gate, cd, 200, [&](Rng& rng) {
        fill_normal(x, rng, 1.0);
        fill_normal(gate, rng, 0.5);
    }));
    router_forward(spec, Mat(x.cast<float>()), Mat(gate.cast<float>()), cf);
    EXPECT_EQ(cd.topk_idx, cf.topk_idx);
    EXPECT_LT((cd.topk_weight - cf.topk_weight.cast<double>()).cwiseAbs().maxCoeff(), 1e-6);
    EXPECT_NEAR(cd.aux_loss, cf.aux_loss, 1e-7);
}

}  // namespace
}  // namespace moe
