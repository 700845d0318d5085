// Device-limited routing: placement, the limited selection (a property test over many seeds and shapes against a
// plain transcription of the rule), M = D and no limit bit-identical to the unlimited router, the device-level
// and communication balance losses against a hand-worked case, and router_backward with both losses on against
// central finite differences in double.
#include "core/error.h"
#include "core/moe/device_routing.h"
#include "core/moe/router.h"
#include "core/rng.h"
#include "tests/finite_difference.h"
#include "tests/routing_margin.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace moe {
namespace {

DeviceSpec make_device(int devices, int limit, Placement placement = Placement::Contiguous,
                       DeviceRouting routing = DeviceRouting::Device) {
    DeviceSpec d;
    d.devices = devices;
    d.limit = limit;
    d.placement = placement;
    d.routing = routing;
    return d;
}

template <class T>
void fill_normal(MatT<T>& m, Rng& rng, double std) {
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = T(rng.normal(0.0, std));
}

// ---- Placement ----

TEST(DevicePlacement, ContiguousBlocksAndRoundRobin) {
    using V = std::vector<int32_t>;
    EXPECT_EQ(place_experts(make_device(4, 0, Placement::Contiguous), 8), (V{0, 0, 1, 1, 2, 2, 3, 3}));
    EXPECT_EQ(place_experts(make_device(4, 0, Placement::RoundRobin), 8), (V{0, 1, 2, 3, 0, 1, 2, 3}));
    EXPECT_EQ(place_experts(make_device(3, 0, Placement::RoundRobin), 7), (std::vector<int32_t>{0, 1, 2, 0, 1, 2, 0}));
    EXPECT_EQ(place_experts(make_device(1, 0), 5), (std::vector<int32_t>(5, 0)));
    // Round robin over 7 experts on 3 devices: sizes 3, 2, 2; the two smallest hold 4.
    EXPECT_EQ(min_experts_on_devices(make_device(3, 0, Placement::RoundRobin), 7, 2), 4);
    EXPECT_EQ(min_experts_on_devices(make_device(4, 0), 8, 1), 2);
}

TEST(DevicePlacement, NamesParseAndUnknownOnesListTheValidOnes) {
    EXPECT_EQ(parse_placement("contiguous"), Placement::Contiguous);
    EXPECT_EQ(parse_placement("round_robin"), Placement::RoundRobin);
    EXPECT_EQ(parse_device_routing("device"), DeviceRouting::Device);
    EXPECT_EQ(parse_device_routing("group"), DeviceRouting::Group);
    EXPECT_STREQ(placement_name(Placement::RoundRobin), "round_robin");
    EXPECT_STREQ(device_routing_name(DeviceRouting::Group), "group");
    try {
        parse_placement("striped");
        FAIL();
    } catch (const ConfigError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("striped"), std::string::npos) << m;
        EXPECT_NE(m.find("contiguous"), std::string::npos) << m;
        EXPECT_NE(m.find("round_robin"), std::string::npos) << m;
    }
    EXPECT_THROW(parse_device_routing("node"), ConfigError);
}

TEST(DevicePlacement, RouterRejectsImpossibleDeviceSettings) {
    RouterSpec spec;
    spec.n_routed = 8;
    spec.top_k = 3;
    MatD x = MatD::Ones(2, 8), gate = MatD::Identity(8, 8);
    RouterCache<double> c;
    auto expect_error = [&](DeviceSpec d, const char* fragment) {
        spec.device = d;
        try {
            router_forward(spec, x, gate, c);
            ADD_FAILURE() << "expected a ConfigError about " << fragment;
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    };
    expect_error(make_device(4, 5), "device_limit = 5 is larger than devices = 4");
    expect_error(make_device(4, -1), "device_limit = -1");
    expect_error(make_device(0, 0), "devices = 0");
    expect_error(make_device(9, 0), "more than n_routed_experts");
    expect_error(make_device(3, 0), "not divisible");
    expect_error(make_device(4, 1), "num_experts_per_tok");  // 2 experts per device, top-3
    DeviceSpec neg = make_device(4, 2);
    neg.comm_alpha = -1;
    expect_error(neg, "comm_aux_alpha");
    spec.device = make_device(3, 2, Placement::RoundRobin);  // 3 + 3 + 2 experts: any 2 devices hold >= 5
    EXPECT_NO_THROW(router_forward(spec, x, gate, c));
}

// ---- The selection rule, transcribed plainly: device scores, top-M devices, top-k among their experts. ----

template <class T>
struct Selection {
    std::vector<int> devices;  // the M devices, best first (ties: lower index)
    std::vector<int> experts;  // the k experts, best first (ties: lower index)
};

template <class T>
Selection<T> expected_selection(const T* s, int nr, const std::vector<int32_t>& dev_of, const DeviceSpec& d, int k) {
    const int D = d.devices, M = d.effective_limit();
    std::vector<T> score(D);
    for (int i = 0; i < D; ++i) {
        std::vector<T> mine;
        for (int e = 0; e < nr; ++e)
            if (dev_of[e] == i) mine.push_back(s[e]);
        std::sort(mine.begin(), mine.end(), std::greater<T>());
        score[i] = mine[0];
        if (d.routing == DeviceRouting::Group && mine.size() > 1) score[i] = mine[0] + mine[1];
    }
    std::vector<int> order(D);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[a] > score[b]; });
    Selection<T> sel;
    sel.devices.assign(order.begin(), order.begin() + M);
    std::vector<int> allowed;
    for (int e = 0; e < nr; ++e)
        if (std::find(sel.devices.begin(), sel.devices.end(), dev_of[e]) != sel.devices.end()) allowed.push_back(e);
    std::stable_sort(allowed.begin(), allowed.end(), [&](int a, int b) { return s[a] > s[b]; });
    sel.experts.assign(allowed.begin(), allowed.begin() + k);
    return sel;
}

struct LimitShape {
    int n_routed, devices, limit, top_k;
};

const LimitShape kLimitShapes[] = {
    {8, 4, 1, 2},  {8, 4, 2, 3},   {8, 4, 3, 5},  {16, 4, 2, 4},  {16, 8, 3, 6},  {12, 3, 2, 5}, {12, 6, 1, 2},
    {6, 4, 2, 2},  {7, 3, 2, 4},   {10, 5, 1, 2}, {64, 8, 2, 6},  {63, 8, 3, 7},  {63, 9, 2, 6}, {5, 5, 1, 1},
    {20, 4, 4, 6}, {16, 16, 3, 3}, {9, 2, 1, 4},  {32, 8, 1, 4},  {15, 4, 2, 5},
};

// Every chosen expert lies on one of the token's M chosen devices, those devices are the top-M by device score,
// and the experts are the top-k among the experts on them; over many seeds, shapes, both device scores, both
// placements, with random logits and with integer logits full of ties.
template <class T>
void check_property(bool ties) {
    int checked = 0;
    for (const LimitShape& sh : kLimitShapes)
        for (Placement pl : {Placement::Contiguous, Placement::RoundRobin})
            for (DeviceRouting rt : {DeviceRouting::Device, DeviceRouting::Group}) {
                const DeviceSpec d = make_device(sh.devices, sh.limit, pl, rt);
                try {
                    check_device_spec(d, sh.n_routed, sh.top_k);
                } catch (const ConfigError&) {
                    continue;  // e.g. contiguous with N_r % D != 0
                }
                RouterSpec spec;
                spec.n_routed = sh.n_routed;
                spec.top_k = sh.top_k;
                spec.norm_topk_prob = (sh.n_routed % 2) == 0;
                spec.device = d;
                const std::vector<int32_t> dev_of = place_experts(d, sh.n_routed);
                for (uint64_t seed = 1; seed <= 12; ++seed) {
                    Rng rng(seed * 977 + uint64_t(sh.n_routed) * 31 + uint64_t(sh.devices));
                    const int n = 13 + int(seed % 5) * 7;
                    MatT<T> x, gate;
                    if (ties) {
                        // gate = identity: the logits are x itself, small integers, so many scores tie exactly.
                        x.resize(n, sh.n_routed);
                        for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = T(std::floor(rng.uniform(-2.0, 2.99)));
                        gate = MatT<T>::Identity(sh.n_routed, sh.n_routed);
                    } else {
                        const int hidden = 5 + int(seed % 4);
                        x.resize(n, hidden);
                        gate.resize(sh.n_routed, hidden);
                        fill_normal(x, rng, 1.0);
                        fill_normal(gate, rng, 1.0);
                    }
                    RouterCache<T> c;
                    router_forward(spec, x, gate, c);
                    ASSERT_EQ(c.expert_device, dev_of);
                    ASSERT_EQ(int64_t(c.chosen_devices.size()), int64_t(n) * sh.limit);
                    for (int t = 0; t < n; ++t) {
                        const int32_t* chosen = c.chosen_devices.data() + int64_t(t) * sh.limit;
                        const int32_t* idx = c.topk_idx.data() + int64_t(t) * sh.top_k;
                        for (int j = 0; j < sh.top_k; ++j)
                            ASSERT_NE(std::find(chosen, chosen + sh.limit, dev_of[idx[j]]), chosen + sh.limit)
                                << "expert " << idx[j] << " on device " << dev_of[idx[j]] << " outside the token's "
                                << sh.limit << " devices (N_r " << sh.n_routed << ", D " << sh.devices << ", "
                                << placement_name(pl) << ", " << device_routing_name(rt) << ", seed " << seed << ")";
                        const Selection<T> want = expected_selection(c.scores.row(t).data(), sh.n_routed, dev_of, d,
                                                                     sh.top_k);
                        ASSERT_EQ(std::vector<int>(chosen, chosen + sh.limit), want.devices)
                            << "token " << t << " seed " << seed << " " << device_routing_name(rt);
                        ASSERT_EQ(std::vector<int>(idx, idx + sh.top_k), want.experts) << "token " << t;
                        // Weights: the softmax scores over all experts, renormalised over the chosen k when asked.
                        T sum = 0;
                        for (int j = 0; j < sh.top_k; ++j) sum += c.scores(t, idx[j]);
                        for (int j = 0; j < sh.top_k; ++j) {
                            const T raw = c.scores(t, idx[j]);
                            const T want_w = spec.norm_topk_prob && sh.top_k > 1 ? raw / (sum + T(1e-20)) : raw;
                            ASSERT_NEAR(double(c.topk_weight(t, j)), double(want_w), 1e-6 * double(want_w));
                        }
                    }
                    ++checked;
                }
            }
    EXPECT_GT(checked, 500);
}

TEST(DeviceLimitedRouting, ChoosesOnlyExpertsOnTheTopMDevicesDouble) { check_property<double>(false); }
TEST(DeviceLimitedRouting, ChoosesOnlyExpertsOnTheTopMDevicesFloat) { check_property<float>(false); }
TEST(DeviceLimitedRouting, TiesGoToTheLowerDeviceAndExpertIndex) { check_property<double>(true); }

// The hand-worked logits of test_moe_router (gate = identity): 4 tokens, 4 experts on 2 devices, top-2, M = 1.
const double kLogits[4][4] = {
    {1.0, 2.0, 0.5, -1.0},   // device scores s1 | s2: device 0; experts 1, 0
    {0.0, 3.0, 3.0, 1.0},    // s1 = s2: tie, device 0; experts 1, 0   (group: s1+s0 < s2+s3, device 1; 2, 3)
    {2.0, 0.0, 0.0, 0.0},    // device 0; experts 0, 1
    {-0.5, 0.25, 1.5, 1.0},  // device 1; experts 2, 3
};

MatD hand_x() {
    MatD x(4, 4);
    for (int t = 0; t < 4; ++t)
        for (int i = 0; i < 4; ++i) x(t, i) = kLogits[t][i];
    return x;
}

TEST(DeviceLimitedRouting, HandWorkedCase) {
    RouterSpec spec;
    spec.n_routed = 4;
    spec.top_k = 2;
    spec.device = make_device(2, 1);
    RouterCache<double> c;
    router_forward(spec, hand_x(), MatD(MatD::Identity(4, 4)), c);
    EXPECT_EQ(c.chosen_devices, (std::vector<int32_t>{0, 0, 0, 1}));
    EXPECT_EQ(c.topk_idx, (std::vector<int32_t>{1, 0, 1, 0, 0, 1, 2, 3}));
    // Unlimited, token 1 takes experts 1 and 2 (devices 0 and 1).
    spec.device.limit = 0;
    router_forward(spec, hand_x(), MatD(MatD::Identity(4, 4)), c);
    EXPECT_EQ(c.topk_idx, (std::vector<int32_t>{1, 0, 1, 2, 0, 1, 2, 3}));
    EXPECT_TRUE(c.chosen_devices.empty());
    // Group scores: token 1's device 1 holds 3.0 and 1.0, device 0 only 3.0 and 0.0.
    spec.device = make_device(2, 1, Placement::Contiguous, DeviceRouting::Group);
    router_forward(spec, hand_x(), MatD(MatD::Identity(4, 4)), c);
    EXPECT_EQ(c.chosen_devices, (std::vector<int32_t>{0, 1, 0, 1}));
    EXPECT_EQ(c.topk_idx, (std::vector<int32_t>{1, 0, 2, 3, 0, 1, 2, 3}));
}

// ---- M = D and no limit: bit for bit the unlimited router. ----

template <class T>
void expect_same_routing(const RouterCache<T>& a, const RouterCache<T>& b, const std::string& what) {
    EXPECT_EQ(a.topk_idx, b.topk_idx) << what;
    EXPECT_TRUE(a.topk_weight == b.topk_weight) << what;
    EXPECT_TRUE(a.scores == b.scores) << what;
    EXPECT_TRUE(a.aux_f == b.aux_f) << what;
    EXPECT_EQ(a.aux_loss, b.aux_loss) << what;
}

template <class T>
void check_full_limit_is_unlimited() {
    const LimitShape shapes[] = {{8, 4, 4, 3}, {16, 8, 8, 6}, {63, 9, 9, 7}, {7, 3, 3, 4}, {6, 6, 6, 1}};
    for (const LimitShape& sh : shapes)
        for (Placement pl : {Placement::Contiguous, Placement::RoundRobin})
            for (DeviceRouting rt : {DeviceRouting::Device, DeviceRouting::Group})
                for (bool norm : {true, false})
                    for (uint64_t seed = 1; seed <= 5; ++seed) {
                        if (pl == Placement::Contiguous && sh.n_routed % sh.devices != 0) continue;
                        RouterSpec plain;
                        plain.n_routed = sh.n_routed;
                        plain.top_k = sh.top_k;
                        plain.norm_topk_prob = norm;
                        plain.aux_alpha = 0.01;
                        plain.seq_aux = true;
                        plain.batch = 3;
                        plain.seq = 11;
                        Rng rng(seed);
                        MatT<T> x(33, 12), gate(sh.n_routed, 12);
                        fill_normal(x, rng, 1.0);
                        fill_normal(gate, rng, 0.8);
                        RouterCache<T> base, full, off;
                        router_forward(plain, x, gate, base);
                        RouterSpec limited = plain;
                        limited.device = make_device(sh.devices, sh.devices, pl, rt);
                        router_forward(limited, x, gate, full);
                        RouterSpec no_limit = plain;
                        no_limit.device = make_device(sh.devices, 0, pl, rt);
                        router_forward(no_limit, x, gate, off);
                        const std::string what = "N_r " + std::to_string(sh.n_routed) + " D " +
                                                 std::to_string(sh.devices) + " " + placement_name(pl) + " " +
                                                 device_routing_name(rt) + " seed " + std::to_string(seed);
                        expect_same_routing(full, base, "M = D, " + what);
                        expect_same_routing(off, base, "no limit, " + what);
                        EXPECT_EQ(int64_t(full.chosen_devices.size()), 33 * sh.devices);
                    }
}

TEST(DeviceLimitedRouting, FullLimitAndNoLimitAreBitIdenticalToTheUnlimitedRouterDouble) {
    check_full_limit_is_unlimited<double>();
}
TEST(DeviceLimitedRouting, FullLimitAndNoLimitAreBitIdenticalToTheUnlimitedRouterFloat) {
    check_full_limit_is_unlimited<float>();
}

// A limit that bites changes the routing (so the tests above could tell the difference).
TEST(DeviceLimitedRouting, ALimitBelowDChangesTheRouting) {
    RouterSpec spec;
    spec.n_routed = 16;
    spec.top_k = 6;
    Rng rng(3);
    MatD x(40, 8), gate(16, 8);
    fill_normal(x, rng, 1.0);
    fill_normal(gate, rng, 1.0);
    RouterCache<double> base, lim;
    router_forward(spec, x, gate, base);
    spec.device = make_device(4, 2);
    router_forward(spec, x, gate, lim);
    EXPECT_NE(base.topk_idx, lim.topk_idx);
    EXPECT_TRUE(base.scores == lim.scores);  // the limit never changes the scores
}

// ---- Balance losses against a hand-worked case. ----

std::vector<double> softmax_row(const double* l, int n) {
    double mx = *std::max_element(l, l + n), sum = 0;
    std::vector<double> s(n);
    for (int i = 0; i < n; ++i) sum += (s[i] = std::exp(l[i] - mx));
    for (auto& v : s) v /= sum;
    return s;
}

// P'_i = sum over device i's experts (0,1 | 2,3) of P_j, P_j the mean score over tokens [t0, t1).
std::vector<double> device_p(int t0, int t1) {
    std::vector<double> p(2, 0.0);
    for (int t = t0; t < t1; ++t) {
        const auto s = softmax_row(kLogits[t], 4);
        p[0] += (s[0] + s[1]) / (t1 - t0);
        p[1] += (s[2] + s[3]) / (t1 - t0);
    }
    return p;
}

TEST(DeviceBalanceLoss, HandWorkedTokenLevelAndSequenceLevel) {
    const double a_dev = 0.3, a_comm = 0.7;
    RouterSpec spec;
    spec.n_routed = 4;
    spec.top_k = 2;
    spec.batch = 2;
    spec.seq = 2;
    const MatD x = hand_x(), gate = MatD::Identity(4, 4);
    RouterCache<double> c;

    // No limit: experts {1,0}, {1,2}, {0,1}, {2,3}; devices 0 = {0,1}, 1 = {2,3}.
    // Token-level, T = 4: counts 2, 3, 2, 1 -> f_j = N_r/(K T) c = c/2 = 1, 1.5, 1, 0.5
    //   f'  = (mean of f over the device) = 1.25, 0.75
    //   tokens sent to device 0: t0, t1, t2 = 3; to device 1: t1, t3 = 2 -> f'' = D/(M T) c = 2/(2*4) c = 0.75, 0.5
    spec.device = make_device(2, 0);
    spec.device.dev_alpha = a_dev;
    spec.device.comm_alpha = a_comm;
    router_forward(spec, x, gate, c);
    std::vector<double> p = device_p(0, 4);
    EXPECT_NEAR(c.dev_aux_loss, a_dev * (1.25 * p[0] + 0.75 * p[1]), 1e-14);
    EXPECT_NEAR(c.comm_aux_loss, a_comm * (0.75 * p[0] + 0.5 * p[1]), 1e-14);
    EXPECT_DOUBLE_EQ(c.device_balance.dev_f(0, 0), 1.25);
    EXPECT_DOUBLE_EQ(c.device_balance.comm_f(0, 1), 0.5);
    EXPECT_EQ(c.expert_aux_loss, 0.0);
    EXPECT_DOUBLE_EQ(c.aux_loss, c.dev_aux_loss + c.comm_aux_loss);

    // M = 1: experts {1,0}, {1,0}, {0,1}, {2,3}. Counts 3, 3, 1, 1 -> f = 1.5, 1.5, 0.5, 0.5, f' = 1.5, 0.5;
    // sent to device 0: 3 tokens, device 1: 1 -> f'' = D/(M T) c = 2/(1*4) c = 1.5, 0.5.
    spec.device.limit = 1;
    router_forward(spec, x, gate, c);
    EXPECT_NEAR(c.dev_aux_loss, a_dev * (1.5 * p[0] + 0.5 * p[1]), 1e-14);
    EXPECT_NEAR(c.comm_aux_loss, a_comm * (1.5 * p[0] + 0.5 * p[1]), 1e-14);

    // With the expert-level loss too: the layer's aux is the sum of the three.
    spec.aux_alpha = 0.01;
    router_forward(spec, x, gate, c);
    EXPECT_GT(c.expert_aux_loss, 0.0);
    EXPECT_DOUBLE_EQ(c.aux_loss, c.expert_aux_loss + c.dev_aux_loss + c.comm_aux_loss);
    spec.aux_alpha = 0.0;

    // Sequence-level, no limit, sequences {t0, t1} and {t2, t3}, T = 2:
    //   seq 0: experts {1,0}, {1,2}: counts 1, 2, 1, 0 -> f = N_r/(K T) c = c: f' = 1.5, 0.5;
    //          sent to device 0: 2 tokens, device 1: 1 -> f'' = 2/(2*2) c = 1, 0.5
    //   seq 1: experts {0,1}, {2,3}: counts 1, 1, 1, 1 -> f' = 1, 1; sent 1 and 1 -> f'' = 0.5, 0.5
    //   L = alpha * mean over the two sequences.
    spec.seq_aux = true;
    spec.device.limit = 0;
    router_forward(spec, x, gate, c);
    const std::vector<double> p0 = device_p(0, 2), p1 = device_p(2, 4);
    EXPECT_NEAR(c.dev_aux_loss, a_dev * 0.5 * ((1.5 * p0[0] + 0.5 * p0[1]) + (1.0 * p1[0] + 1.0 * p1[1])), 1e-14);
    EXPECT_NEAR(c.comm_aux_loss, a_comm * 0.5 * ((1.0 * p0[0] + 0.5 * p0[1]) + (0.5 * p1[0] + 0.5 * p1[1])), 1e-14);
    ASSERT_EQ(c.device_balance.comm_f.rows(), 2);
    EXPECT_DOUBLE_EQ(c.device_balance.comm_f(0, 0), 1.0);
    EXPECT_DOUBLE_EQ(c.device_balance.comm_f(1, 1), 0.5);

    // Off when the coefficients are 0.
    spec.device.dev_alpha = spec.device.comm_alpha = 0.0;
    router_forward(spec, x, gate, c);
    EXPECT_EQ(c.dev_aux_loss, 0.0);
    EXPECT_EQ(c.comm_aux_loss, 0.0);
    EXPECT_EQ(c.aux_loss, 0.0);
}

TEST(DeviceBalanceLoss, PerfectBalanceGivesAlpha) {
    // Uniform scores: every token picks experts 0 and 1 (ties to the lower index), one on each device (round
    // robin). f = 2, 2, 0, 0, so f' = 1, 1; every token is sent to both devices, f'' = 1, 1; P' = 1/2 per device:
    // each loss is alpha * (1/2 + 1/2).
    RouterSpec spec;
    spec.n_routed = 4;
    spec.top_k = 2;
    spec.device = make_device(2, 0, Placement::RoundRobin);
    spec.device.dev_alpha = 0.2;
    spec.device.comm_alpha = 0.5;
    RouterCache<double> c;
    router_forward(spec, MatD(MatD::Zero(6, 4)), MatD(MatD::Identity(4, 4)), c);  // all scores 1/4; experts 0, 1
    EXPECT_NEAR(c.dev_aux_loss, 0.2, 1e-14);
    EXPECT_NEAR(c.comm_aux_loss, 0.5, 1e-14);
}

// ---- Finite differences of router_backward with both device-level losses on (and the limit on or off). ----

struct FdCase {
    int limit;
    Placement placement;
    DeviceRouting routing;
    bool norm, seq_aux;
    int devices = 4;
};

std::string fd_name(const FdCase& c) {
    return "D" + std::to_string(c.devices) + "M" + std::to_string(c.limit) + "_" + placement_name(c.placement) + "_" +
           device_routing_name(c.routing) + (c.norm ? "_norm" : "_raw") + (c.seq_aux ? "_seqaux" : "_tokenaux");
}

void PrintTo(const FdCase& c, std::ostream* os) { *os << fd_name(c); }

class DeviceRouterFd : public ::testing::TestWithParam<FdCase> {};

TEST_P(DeviceRouterFd, GradientsMatchFiniteDifferences) {
    const FdCase p = GetParam();
    RouterSpec spec;
    spec.n_routed = 8;
    spec.top_k = 3;
    spec.norm_topk_prob = p.norm;
    spec.aux_alpha = 0.1;
    spec.seq_aux = p.seq_aux;
    spec.batch = 2;
    spec.seq = 5;
    spec.device = make_device(p.devices, p.limit, p.placement, p.routing);
    spec.device.dev_alpha = 0.3;  // large, so both losses' gradients are a visible part of the total
    spec.device.comm_alpha = 0.4;
    const int n = 10, d = 7;

    MatD x(n, d), gate(spec.n_routed, d), R(n, spec.top_k);
    RouterCache<double> c;
    ASSERT_TRUE(testing::draw_clear_routing(spec, x, gate, c, 400, [&](Rng& rng) {
        fill_normal(x, rng, 1.0);
        fill_normal(gate, rng, 0.7);
        fill_normal(R, rng, 1.0);
    }));
    EXPECT_GT(c.dev_aux_loss, 0.0);
    EXPECT_GT(c.comm_aux_loss, 0.0);

    auto objective = [&]() {
        RouterCache<double> cc;
        router_forward(spec, x, gate, cc);
        return (R.array() * cc.topk_weight.array()).sum() + cc.aux_loss;
    };
    MatD dx = MatD::Zero(n, d), dgate = MatD::Zero(spec.n_routed, d);
    router_backward(spec, x, gate, c, R, dx, dgate);

    const testing::FdTolerance tol{.abs = 1e-8, .rel = 1e-6};
    EXPECT_TRUE(testing::gradient_matches(x, dx, objective, 1e-6, tol)) << "dx";
    EXPECT_TRUE(testing::gradient_matches(gate, dgate, objective, 1e-6, tol)) << "dgate";

    // The device-level losses carry gradient of their own: without them the gradient differs.
    RouterSpec plain = spec;
    plain.device.dev_alpha = plain.device.comm_alpha = 0.0;
    RouterCache<double> cp;
    router_forward(plain, x, gate, cp);
    MatD dx_plain = MatD::Zero(n, d), dgate_plain = MatD::Zero(spec.n_routed, d);
    router_backward(plain, x, gate, cp, R, dx_plain, dgate_plain);
    EXPECT_GT((dgate - dgate_plain).cwiseAbs().maxCoeff(), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(
    DeviceRouting, DeviceRouterFd,
    ::testing::Values(FdCase{2, Placement::Contiguous, DeviceRouting::Device, true, false},
                      FdCase{2, Placement::Contiguous, DeviceRouting::Device, false, true},
                      FdCase{2, Placement::RoundRobin, DeviceRouting::Group, true, true},
                      FdCase{1, Placement::RoundRobin, DeviceRouting::Device, false, false, 2},
                      FdCase{3, Placement::Contiguous, DeviceRouting::Group, true, true},
                      FdCase{0, Placement::Contiguous, DeviceRouting::Device, true, true},
                      FdCase{0, Placement::RoundRobin, DeviceRouting::Device, false, false}),
    [](const auto& info) { return fd_name(info.param); });

TEST(DeviceLimitedRouting, FloatMatchesDouble) {
    RouterSpec spec;
    spec.n_routed = 16;
    spec.top_k = 4;
    spec.aux_alpha = 0.01;
    spec.device = make_device(4, 2, Placement::RoundRobin, DeviceRouting::Group);
    spec.device.dev_alpha = 0.05;
    spec.device.comm_alpha = 0.02;
    MatD x(32, 12), gate(16, 12);
    RouterCache<double> cd;
    RouterCache<float> cf;
    ASSERT_TRUE(testing::draw_clear_routing(spec, x, gate, cd, 300, [&](Rng& rng) {
        fill_normal(x, rng, 1.0);
        fill_normal(gate, rng, 0.5);
    }));
    router_forward(spec, Mat(x.cast<float>()), Mat(gate.cast<float>()), cf);
    EXPECT_EQ(cd.chosen_devices, cf.chosen_devices);
    EXPECT_EQ(cd.topk_idx, cf.topk_idx);
    EXPECT_NEAR(cd.dev_aux_loss, cf.dev_aux_loss, 1e-7);
    EXPECT_NEAR(cd.comm_aux_loss, cf.comm_aux_loss, 1e-7);
}

}  // namespace
}  // namespace moe
