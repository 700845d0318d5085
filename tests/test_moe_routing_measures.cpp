// The router measures of core/moe/routing_measures.h on cases small enough to work out by hand: MaxVio and the
// balance statistic, relative load, domain specialisation (0 blind, 1 exclusive, an intermediate mutual
// information), the top expert's relative load per domain, co-activation, byte specialisation and router saturation.
#include "core/moe/routing_measures.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace moe {
namespace {

// A routing of `n_routed` experts, top-k = choices per token, one token per entry of `choices` / `domains`.
TokenRouting routing(int n_routed, const std::vector<std::vector<int32_t>>& choices, const std::vector<int16_t>& domains,
                     const std::vector<int32_t>& bytes = {}) {
    TokenRouting r;
    r.n_routed = n_routed;
    r.top_k = static_cast<int>(choices.front().size());
    for (const auto& c : choices) r.topk.insert(r.topk.end(), c.begin(), c.end());
    r.domain = domains;
    r.byte = bytes.empty() ? std::vector<int32_t>(domains.size(), -1) : bytes;
    r.prob_sum.assign(static_cast<size_t>(n_routed), 0.0);
    return r;
}

TEST(RoutingMeasures, MaxVioAndBalanceStatisticOfAHandWorkedCase) {
    // 4 tokens x k=2 = 8 slots; loads {6,2,0,0}: mean load 2, max 6 -> MaxVio = 6/2 - 1 = 2.
    const std::vector<int64_t> load = {6, 2, 0, 0};
    EXPECT_DOUBLE_EQ(max_violation(load), 2.0);
    // f = load / 8 = {0.75, 0.25, 0, 0}; N_r * sum f_i P_i = 4 * (0.75 * 0.4 + 0.25 * 0.3) = 1.5.
    EXPECT_DOUBLE_EQ(balance_statistic(load, {0.4, 0.3, 0.2, 0.1}, 4, 2), 1.5);
    // The experts with no slot do not count, whatever their probability.
    EXPECT_DOUBLE_EQ(balance_statistic(load, {0.4, 0.3, 0.0, 0.3}, 4, 2), 1.5);
}

TEST(RoutingMeasures, PerfectBalanceIsZeroMaxVioAndUnitStatistic) {
    const std::vector<int64_t> load = {3, 3, 3, 3};  // 6 tokens x k=2
    EXPECT_DOUBLE_EQ(max_violation(load), 0.0);
    EXPECT_DOUBLE_EQ(balance_statistic(load, {0.25, 0.25, 0.25, 0.25}, 6, 2), 1.0);
    for (double x : relative_load(load, 6, 2)) EXPECT_DOUBLE_EQ(x, 1.0);
}

TEST(RoutingMeasures, ACollapsedRouterHasMaxVioOfNrMinusOne) {
    // Every token to expert 3 of 8 (k = 1): the loads are {0,0,0,10,0,0,0,0}, mean 10/8 -> MaxVio = 8 - 1.
    const TokenRouting r = routing(8, std::vector<std::vector<int32_t>>(10, {3}), std::vector<int16_t>(10, 0));
    const std::vector<int64_t> load = expert_load(r);
    EXPECT_EQ(load, (std::vector<int64_t>{0, 0, 0, 10, 0, 0, 0, 0}));
    EXPECT_DOUBLE_EQ(max_violation(load), 7.0);
    // All the probability on that expert too: N_r * 1 * 1 = 8, the largest the statistic can be.
    std::vector<double> p(8, 0.0);
    p[3] = 1.0;
    EXPECT_DOUBLE_EQ(balance_statistic(load, p, 10, 1), 8.0);
    const std::vector<double> rel = relative_load(load, 10, 1);
    EXPECT_DOUBLE_EQ(rel[3], 8.0);  // 10 slots against a balanced 10/8
    EXPECT_DOUBLE_EQ(rel[0], 0.0);
}

TEST(RoutingMeasures, NothingToMeasureIsNaN) {
    EXPECT_TRUE(std::isnan(max_violation({})));
    EXPECT_TRUE(std::isnan(max_violation({0, 0, 0})));
    EXPECT_TRUE(std::isnan(balance_statistic({1, 1}, {0.5, 0.5}, 0, 1)));
    EXPECT_TRUE(std::isnan(balance_statistic({1, 1}, {0.5}, 1, 2)));  // sizes differ
    for (double x : relative_load({1, 2}, 0, 1)) EXPECT_TRUE(std::isnan(x));
}

TEST(RoutingMeasures, RelativeLoadIsLoadOverTheBalancedShare) {
    // 4 tokens x k=2 over 4 experts: balanced load 2 -> {6,2,0,0} / 2.
    EXPECT_EQ(relative_load({6, 2, 0, 0}, 4, 2), (std::vector<double>{3.0, 1.0, 0.0, 0.0}));
}

TEST(RoutingMeasures, ADomainBlindRouterHasNoSpecialisation) {
    // Both domains spread over the 4 experts in the same proportions (2:1:1:2), domain 1 with twice the tokens.
    std::vector<std::vector<int32_t>> choices;
    std::vector<int16_t> domains;
    for (int16_t d = 0; d < 2; ++d)
        for (int rep = 0; rep < d + 1; ++rep)
            for (int32_t e : {0, 0, 1, 2, 3, 3}) choices.push_back({e}), domains.push_back(d);
    const TokenRouting r = routing(4, choices, domains);
    EXPECT_NEAR(domain_specialisation(r, 2), 0.0, 1e-12);
    // Its most-used expert takes 2 of 6 of each domain's slots: (1/3) / (1/4) = 4/3.
    const std::vector<double> top = top_expert_relative_load(r, 2);
    EXPECT_NEAR(top[0], 4.0 / 3.0, 1e-12);
    EXPECT_NEAR(top[1], 4.0 / 3.0, 1e-12);
}

TEST(RoutingMeasures, ExclusiveExpertsPerDomainAreFullySpecialised) {
    // k = 2: domain 0 always {0, 1}, domain 1 always {2, 3} (in either order).
    const TokenRouting r =
        routing(4, {{0, 1}, {1, 0}, {0, 1}, {2, 3}, {3, 2}}, {0, 0, 0, 1, 1});
    EXPECT_NEAR(domain_specialisation(r, 2), 1.0, 1e-12);
    // Each domain's top expert gets every one of its tokens: 3 of 3 tokens against the balanced k/N_r = 1/2.
    const std::vector<double> top = top_expert_relative_load(r, 2);
    EXPECT_NEAR(top[0], 2.0, 1e-12);
    EXPECT_NEAR(top[1], 2.0, 1e-12);
}

TEST(RoutingMeasures, AnIntermediateRouterHasTheHandWorkedMutualInformation) {
    // Domain 0: 3 tokens to expert 0, 1 to expert 1; domain 1 the mirror. p(d, e) = 3/8 on the diagonal, 1/8 off it,
    // p(d) = p(e) = 1/2: I = sum p(d,e) ln(p(d,e) / (p(d) p(e))) = 3/4 ln(3/2) + 1/4 ln(1/2); H(domain) = ln 2.
    const TokenRouting r = routing(2, {{0}, {0}, {0}, {1}, {1}, {1}, {1}, {0}}, {0, 0, 0, 0, 1, 1, 1, 1});
    const double mi = 0.75 * std::log(1.5) + 0.25 * std::log(0.5);
    EXPECT_NEAR(domain_specialisation(r, 2), mi / std::log(2.0), 1e-12);
    EXPECT_NEAR(domain_specialisation(r, 2), 0.188721875540867, 1e-12);  // 1 - H_b(1/4) / ln 2
    // A single domain has nothing to specialise on.
    EXPECT_DOUBLE_EQ(domain_specialisation(routing(2, {{0}, {1}}, {0, 0}), 1), 0.0);
}

TEST(RoutingMeasures, TopExpertRelativeLoadPerDomain) {
    // N_r = 4, k = 2. Domain 0: {0,1}, {0,2}, {0,3}, {1,2}: expert 0 is chosen by 3 of its 4 tokens, against the
    // balanced share k/N_r = 1/2 of the tokens -> 1.5. Domain 1: {2,3}, {3,1}: expert 3 by 2 of 2 -> 2.
    // Domain 2 has no token -> NaN.
    const TokenRouting r = routing(4, {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {2, 3}, {3, 1}}, {0, 0, 0, 0, 1, 1});
    const std::vector<double> top = top_expert_relative_load(r, 3);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_NEAR(top[0], 1.5, 1e-12);
    EXPECT_NEAR(top[1], 2.0, 1e-12);
    EXPECT_TRUE(std::isnan(top[2]));
    // The same as relative_load over the domain's own tokens.
    const TokenRouting d0 = routing(4, {{0, 1}, {0, 2}, {0, 3}, {1, 2}}, {0, 0, 0, 0});
    EXPECT_NEAR(top[0], relative_load(expert_load(d0), 4, 2)[0], 1e-12);
    // From a [domain][expert] table of slots (a run folder's val_routing.csv): the same numbers.
    std::vector<std::vector<double>> table;
    for (const auto& row : domain_expert_load(r, 2)) table.emplace_back(row.begin(), row.end());
    const std::vector<double> from_table = top_expert_relative_load(table, 2);
    ASSERT_EQ(from_table.size(), 2u);
    EXPECT_NEAR(from_table[0], 1.5, 1e-12);
    EXPECT_NEAR(from_table[1], 2.0, 1e-12);
}

TEST(RoutingMeasures, DomainExpertLoadCountsSlotsPerDomain) {
    const TokenRouting r = routing(3, {{0, 1}, {0, 2}, {2, 1}}, {0, 0, 1});
    const auto load = domain_expert_load(r, 2);
    EXPECT_EQ(load[0], (std::vector<int64_t>{2, 1, 1}));
    EXPECT_EQ(load[1], (std::vector<int64_t>{0, 1, 1}));
}

TEST(RoutingMeasures, CoactivationOfThreeTokens) {
    // Tokens {0,1}, {0,2}, {1,0}: N(0) = 3, N(1) = 2, N(2) = 1, N(3) = 0; N(0,1) = 2, N(0,2) = 1, N(1,2) = 0.
    const TokenRouting r = routing(4, {{0, 1}, {0, 2}, {1, 0}}, {0, 0, 0});
    const std::vector<double> c = coactivation(r);
    ASSERT_EQ(c.size(), 16u);
    const std::vector<double> expected = {
        1.0, 2.0 / 3.0, 1.0 / 3.0, 0.0,  // N(0, j) / N(0)
        1.0, 1.0,       0.0,       0.0,  // N(1, j) / N(1): expert 1 always came with 0
        1.0, 0.0,       1.0,       0.0,  // N(2, j) / N(2)
        0.0, 0.0,       0.0,       0.0,  // unused
    };
    for (size_t i = 0; i < 16; ++i) EXPECT_NEAR(c[i], expected[i], 1e-12) << "entry (" << i / 4 << ", " << i % 4 << ")";
}

TEST(RoutingMeasures, ByteSpecialisationOverBytesSeenOftenEnough) {
    // k = 2; only the first (top-1) choice counts. 'a' x4 with top-1 {0,0,0,1} -> 3/4; 'b' x3 with {2,1,1} -> 2/3;
    // 'c' x2 with {0,0} -> 1, but below min_count 3; the 2-D marker -1 is never a byte.
    const TokenRouting r = routing(
        3, {{0, 1}, {0, 2}, {0, 1}, {1, 0}, {2, 0}, {1, 0}, {1, 2}, {0, 1}, {0, 2}, {1, 2}, {2, 1}, {2, 1}},
        std::vector<int16_t>(12, 0), {'a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', -1, -1, -1});
    EXPECT_NEAR(byte_specialisation(r, 3), (3.0 / 4.0 + 2.0 / 3.0) / 2.0, 1e-12);
    EXPECT_NEAR(byte_specialisation(r, 2), (3.0 / 4.0 + 2.0 / 3.0 + 1.0) / 3.0, 1e-12);
    EXPECT_TRUE(std::isnan(byte_specialisation(r, 5)));  // no byte seen 5 times
    const TokenRouting toy = routing(3, {{0, 1}, {1, 2}}, {0, 1});  // 2-D points: bytes -1
    EXPECT_TRUE(std::isnan(byte_specialisation(toy, 1)));
}

TEST(RoutingMeasures, RouterSaturation) {
    const std::vector<int32_t> earlier = {0, 1, 2, 3, 4, 5};  // 3 tokens, k = 2
    EXPECT_DOUBLE_EQ(router_saturation(earlier, earlier, 2), 1.0);
    EXPECT_DOUBLE_EQ(router_saturation(earlier, {1, 0, 3, 2, 5, 4}, 2), 1.0);  // order within top-k is irrelevant
    EXPECT_DOUBLE_EQ(router_saturation(earlier, {6, 7, 6, 7, 0, 1}, 2), 0.0);  // same experts, other tokens: 0
    // Token 0 keeps both, token 1 one of two, token 2 none: (1 + 1/2 + 0) / 3.
    EXPECT_DOUBLE_EQ(router_saturation(earlier, {1, 0, 2, 6, 7, 6}, 2), 0.5);
    EXPECT_TRUE(std::isnan(router_saturation(earlier, {0, 1, 2, 3}, 2)));  // sizes differ
    EXPECT_TRUE(std::isnan(router_saturation({}, {}, 2)));
}

}  // namespace
}  // namespace moe
