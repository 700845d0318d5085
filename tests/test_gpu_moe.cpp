// The GPU backend's MoE layer (gpu/ops/moe_layer.h, permute.h, routing_stats.h) on the emulated device against the
// CPU engine's layer: a FfnLayer (core/model/ffn_layer.h) running MoEPath::Fast and the CPU router, in float, on
// random inputs and weights. Checked: the chosen experts, the slot sort (offsets and perm equal), routed_out,
// shared_out and y, the balance loss, dx and every weight gradient (accumulated onto random initial gradients),
// and the routing statistics record unpacked into the moe::RoutingStats that FfnLayer::routing_stats returns.
// Shapes: the ladder-like layer, a wider one without shared experts, top-1 unnormalised with two shared experts,
// device-limited routing (D=4, M=2, round-robin) with all balance losses, experts that receive no tokens, and a
// workspace reused across batch sizes. Separately, the counting sort against std::stable_sort on skewed routings.
//
// Tolerances. The emulated GEMMs and the CPU's matmul do the same products in different summation orders, and the
// kernels use expf/logf where Eigen vectorises: forward values differ by a few float ulps of the largest term:
// rtol 1e-5 / atol 1e-6 (y, routed_out, shared_out are O(0.1..1)). Gradients pass through two or three such
// products and sum over up to n*k <= 444 rows (the weight gradients, the gate's over all n tokens), so their error
// grows to ~sqrt(rows) ulps of the largest terms: rtol 1e-4 / atol 1e-5; a wrong slot, weight or expert block is
// off by O(0.01..1). (Observed worst differences: ~1.5e-8 on forward values of ~0.1, ~1.2e-7 on gradients of ~0.8,
// i.e. 1-2 ulps, well inside both.) The balance loss is a double sum of float scores: rtol 1e-5. Routing statistics: counts exact;
// mean_prob and entropy are double sums of float scores that agree to float ulps (1e-6 relative); the traffic
// numbers are counts (exact) and their quotients (1e-12).
#include "gpu/emulated/emulated_device.h"
#include "gpu/ops/moe_layer.h"
#include "gpu/ops/permute.h"
#include "gpu/ops/router_dims_from_spec.h"
#include "gpu/ops/routing_stats.h"
#include "gpu/routing_stats_unpack.h"
#include "tests/gpu_test_util.h"

#include "core/config.h"
#include "core/model/ffn_layer.h"
#include "core/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace moe {
namespace {

using gpu::EmulatedDevice;
using gpu::MoEDims;
using gpu::MoEWorkspace;
using testing::all_close;
using testing::from_device;
using testing::random_mat;
using testing::to_device;
using testing::vector_from_device;

using Buf = EmulatedDevice::Buffer<float>;

constexpr double kFwdRtol = 1e-5, kFwdAtol = 1e-6;
constexpr double kGradRtol = 1e-4, kGradAtol = 1e-5;
constexpr int kDomains = 3;

struct Case {
    std::string name;
    int d, inter, n_routed, top_k, n_shared;
    bool norm;
    double aux_alpha;
    bool seq_aux;
    int batch, seq;
    int devices = 1, limit = 0;
    std::string placement = "contiguous", routing = "device";
    double dev_alpha = 0.0, comm_alpha = 0.0;
    std::string scoring = "softmax";
    double scale = 1.0;           // routed_scaling_factor
    double capacity_factor = 0.0;
    std::string drop_policy = "probs";
};

ModelConfig config_of(const Case& c) {
    ModelConfig m;
    m.hidden_size = c.d;
    m.moe_intermediate_size = c.inter;
    m.n_routed_experts = c.n_routed;
    m.num_experts_per_tok = c.top_k;
    m.n_shared_experts = c.n_shared;
    m.norm_topk_prob = c.norm;
    m.aux_loss_alpha = c.aux_alpha;
    m.seq_aux = c.seq_aux;
    m.first_k_dense_replace = 0;
    m.moe_impl = "fast";
    m.devices = c.devices;
    m.device_limit = c.limit;
    m.placement = c.placement;
    m.device_routing = c.routing;
    m.device_aux_alpha = c.dev_alpha;
    m.comm_aux_alpha = c.comm_alpha;
    m.scoring_func = c.scoring;
    m.routed_scaling_factor = c.scale;
    m.capacity_factor = c.capacity_factor;
    m.drop_policy = c.drop_policy;
    return m;
}

// The CPU layer with random weights (gate O(1) so routing is spread; experts O(0.3)) and random initial gradients.
struct CpuLayer {
    std::deque<Param> params;  // router, experts' gate/up/down, [shared gate/up/down]
    std::unique_ptr<FfnLayer> layer;

    CpuLayer(const Case& c, uint64_t seed) {
        layer = std::make_unique<FfnLayer>(config_of(c), 0, "model.layers.0.mlp", params);
        uint64_t s = seed;
        for (Param& p : params) {
            const float scale = &p == &params.front() ? 1.0f : 0.3f;
            p.w = random_mat(int(p.w.rows()), int(p.w.cols()), ++s, scale);
            p.g = random_mat(int(p.w.rows()), int(p.w.cols()), ++s, 0.1f);
        }
    }
};

// The same weights and initial gradients on the device.
struct DeviceParams {
    std::vector<Buf> w, g;
    DeviceParams(EmulatedDevice& dev, const std::deque<Param>& params) {
        for (const Param& p : params) {
            w.push_back(to_device(dev, p.w));
            g.push_back(to_device(dev, p.g));
        }
    }
    gpu::MoEWeightPtrs weights() const {
        gpu::MoEWeightPtrs p;
        p.gate = w[0].data(), p.w_gate = w[1].data(), p.w_up = w[2].data(), p.w_down = w[3].data();
        if (w.size() > 4) p.s_gate = w[4].data(), p.s_up = w[5].data(), p.s_down = w[6].data();
        return p;
    }
    gpu::MoEGradPtrs grads() {
        gpu::MoEGradPtrs p;
        p.gate = g[0].data(), p.w_gate = g[1].data(), p.w_up = g[2].data(), p.w_down = g[3].data();
        if (g.size() > 4) p.s_gate = g[4].data(), p.s_up = g[5].data(), p.s_down = g[6].data();
        return p;
    }
};

std::vector<int16_t> random_domains(int64_t n, uint64_t seed) {
    Rng rng(seed);
    std::vector<int16_t> v(n);
    for (auto& x : v) x = int16_t(int(rng.below(kDomains + 2)) - 1);  // -1 and kDomains are invalid: domain 0
    return v;
}

void expect_stats_equal(const RoutingStats& got, const RoutingStats& want) {
    EXPECT_EQ(got.layer, want.layer);
    EXPECT_EQ(got.dropped, want.dropped);
    EXPECT_EQ(got.tokens, want.tokens);
    EXPECT_EQ(got.load, want.load);
    ASSERT_EQ(got.mean_prob.size(), want.mean_prob.size());
    for (size_t e = 0; e < want.mean_prob.size(); ++e)
        EXPECT_NEAR(got.mean_prob[e], want.mean_prob[e], 1e-6 * want.mean_prob[e] + 1e-12) << "expert " << e;
    EXPECT_NEAR(got.entropy, want.entropy, 1e-6 * want.entropy);
    EXPECT_EQ(got.domain_load, want.domain_load);
    EXPECT_NEAR(got.aux_loss, want.aux_loss, 1e-5 * std::abs(want.aux_loss) + 1e-12);
    EXPECT_NEAR(got.dev_aux_loss, want.dev_aux_loss, 1e-5 * std::abs(want.dev_aux_loss) + 1e-12);
    EXPECT_NEAR(got.comm_aux_loss, want.comm_aux_loss, 1e-5 * std::abs(want.comm_aux_loss) + 1e-12);
    EXPECT_EQ(got.devices, want.devices);
    EXPECT_EQ(got.traffic, want.traffic);
    EXPECT_EQ(got.dispatch_bytes, want.dispatch_bytes);
    EXPECT_EQ(got.combine_bytes, want.combine_bytes);
    EXPECT_EQ(got.bytes_per_copy, want.bytes_per_copy);
    EXPECT_NEAR(got.remote_devices_mean, want.remote_devices_mean, 1e-12);
    EXPECT_EQ(got.remote_devices_max, want.remote_devices_max);
    EXPECT_EQ(got.device_load, want.device_load);
    EXPECT_NEAR(got.device_imbalance, want.device_imbalance, 1e-12);
}

// One forward + backward of the case on both sides (batch x seq tokens), compared. ws may carry an earlier pass.
void run_and_compare(const Case& c, int batch, int seq, uint64_t seed, MoEWorkspace<EmulatedDevice>& ws,
                     bool expect_empty_expert = false) {
    SCOPED_TRACE(c.name + " n=" + std::to_string(batch * seq));
    const int64_t n = int64_t(batch) * seq;
    const int d = c.d, k = c.top_k, nr = c.n_routed;
    CpuLayer cpu(c, seed);
    const Mat x = random_mat(int(n), d, seed + 100);
    const Mat dy = random_mat(int(n), d, seed + 101);
    const std::vector<int16_t> domains = random_domains(n, seed + 102);

    EmulatedDevice dev;
    DeviceParams gp(dev, cpu.params);
    Buf gx = to_device(dev, x), gdy = to_device(dev, dy);
    Buf gy(size_t(n) * d), gdx(size_t(n) * d);
    auto gdom = to_device(dev, domains);

    // CPU: forward, routing statistics, backward.
    Mat y, dx;
    cpu.layer->forward(x, batch, seq, y);
    const RoutingStats want_stats = cpu.layer->routing_stats(domains, kDomains);
    const RoutingStats want_stats_one_domain = cpu.layer->routing_stats({}, 1);
    cpu.layer->backward(x, dy, dx);
    const MoECache<float>& cache = cpu.layer->moe_cache();
    if (c.capacity_factor > 0) EXPECT_GT(cache.router.dropped, 0) << "nothing dropped: the case checks nothing";

    // Device.
    MoEDims dims;
    dims.hidden = d;
    dims.inter = c.inter;
    dims.n_shared = c.n_shared;
    dims.router = gpu::router_dims_of(cpu.layer->moe_spec().router);
    gpu::moe_forward(dev, dims, gp.weights(), gx.data(), n, ws, gy.data());
    EmulatedDevice::Buffer<double> record(gpu::RoutingStatsLayout::size(dims, kDomains));
    gpu::routing_stats_forward(dev, dims, ws, n, gdom.data(), kDomains, record.data());
    EmulatedDevice::Buffer<double> record1(gpu::RoutingStatsLayout::size(dims, 1));
    gpu::routing_stats_forward(dev, dims, ws, n, nullptr, 1, record1.data());  // no domains: all in domain 0
    gpu::moe_backward(dev, dims, gp.weights(), gx.data(), n, ws, gdy.data(), gdx.data(), gp.grads());

    // Routing and the sort: exact.
    ASSERT_EQ(vector_from_device(dev, ws.router.topk_idx.data(), size_t(n * k)), cache.router.topk_idx)
        << "the router chose other experts: nothing below can match";
    EXPECT_EQ(vector_from_device(dev, ws.offsets.data(), size_t(nr) + 1), cache.offsets);
    EXPECT_EQ(vector_from_device(dev, ws.perm.data(), size_t(n * k)), cache.perm);
    EXPECT_EQ(ws.host_offsets, cache.offsets);
    if (expect_empty_expert) {
        bool empty = false;
        for (int e = 0; e < nr; ++e) empty = empty || cache.offsets[e] == cache.offsets[e + 1];
        EXPECT_TRUE(empty) << "the case was meant to leave an expert without tokens";
    }

    // Forward values.
    EXPECT_TRUE(all_close(from_device(dev, gy.data(), int(n), d), y, kFwdRtol, kFwdAtol)) << "y";
    EXPECT_TRUE(all_close(from_device(dev, ws.routed_out.data(), int(n), d), cache.routed_out, kFwdRtol, kFwdAtol))
        << "routed_out";
    if (c.n_shared > 0) {
        EXPECT_TRUE(all_close(from_device(dev, ws.shared_out.data(), int(n), d), cache.shared_out, kFwdRtol,
                              kFwdAtol))
            << "shared_out";
    }
    const std::vector<double> aux = vector_from_device(dev, ws.router.aux.data(), 4);
    EXPECT_NEAR(aux[0], cache.router.aux_loss, 1e-5 * std::abs(cache.router.aux_loss) + 1e-12);

    // Gradients (accumulated onto the same random initial values).
    EXPECT_TRUE(all_close(from_device(dev, gdx.data(), int(n), d), dx, kGradRtol, kGradAtol)) << "dx";
    const char* names[] = {"gate", "w_gate", "w_up", "w_down", "s_gate", "s_up", "s_down"};
    for (size_t i = 0; i < cpu.params.size(); ++i) {
        const Mat& want = cpu.params[i].g;
        EXPECT_TRUE(all_close(from_device(dev, gp.g[i].data(), int(want.rows()), int(want.cols())), want, kGradRtol,
                              kGradAtol))
            << "gradient of " << names[i];
    }

    // Routing statistics, through the host unpacking.
    const std::vector<double> rec = vector_from_device(dev, record.data(), record.size());
    expect_stats_equal(gpu::unpack_routing_stats(dims, kDomains, 0, n, d, rec.data()), want_stats);
    const std::vector<double> rec1 = vector_from_device(dev, record1.data(), record1.size());
    expect_stats_equal(gpu::unpack_routing_stats(dims, 1, 0, n, d, rec1.data()), want_stats_one_domain);
}

Case ladder() { return {"ladder d16 I8 Nr8 k2 Ks1, seq_aux", 16, 8, 8, 2, 1, true, 0.01, true, 2, 75}; }
Case wide() { return {"d24 I6 Nr16 k4 Ks0, token-level aux", 24, 6, 16, 4, 0, true, 0.01, false, 3, 37}; }
Case top1() { return {"top-1 unnormalised Ks2", 16, 8, 8, 1, 2, false, 0.01, false, 1, 67}; }
Case limited() {
    Case c{"D4 M2 round_robin, all losses", 12, 5, 10, 3, 1, true, 0.01, true, 3, 21};
    c.devices = 4, c.limit = 2, c.placement = "round_robin", c.dev_alpha = 0.05, c.comm_alpha = 0.02;
    return c;
}
Case grouped() {
    Case c{"D4 M3 contiguous group routing, no aux", 16, 4, 8, 2, 0, true, 0.0, false, 1, 50};
    c.devices = 4, c.limit = 3, c.routing = "group";
    return c;
}

// Expert capacity (GShard / Switch) and DeepSeek-V3's sigmoid scores with scaled weights, on the device as on the CPU.
Case capacity(const char* policy) {
    Case c{std::string("ladder with capacity 1.0, drop by ") + policy, 16, 8, 8, 2, 1, true, 0.01, true, 2, 75};
    c.capacity_factor = 1.0;
    c.drop_policy = policy;
    return c;
}
Case sigmoid_scaled() {
    Case c{"sigmoid scores, weights x2.5, seq_aux", 16, 8, 8, 2, 1, true, 0.01, true, 2, 75};
    c.scoring = "sigmoid";
    c.scale = 2.5;
    return c;
}

TEST(GpuMoE, CapacityDropsTheSameSlots) {
    for (const char* policy : {"probs", "position"}) {
        MoEWorkspace<EmulatedDevice> ws;
        const Case c = capacity(policy);
        run_and_compare(c, c.batch, c.seq, 81, ws);
    }
}

TEST(GpuMoE, SigmoidScoresWithScaledWeights) {
    MoEWorkspace<EmulatedDevice> ws;
    const Case c = sigmoid_scaled();
    run_and_compare(c, c.batch, c.seq, 91, ws);
}

TEST(GpuMoE, LadderShape) {
    MoEWorkspace<EmulatedDevice> ws;
    const Case c = ladder();
    run_and_compare(c, c.batch, c.seq, 11, ws);
}

TEST(GpuMoE, WideNoShared) {
    MoEWorkspace<EmulatedDevice> ws;
    const Case c = wide();
    run_and_compare(c, c.batch, c.seq, 21, ws);
}

TEST(GpuMoE, TopOneUnnormalisedTwoShared) {
    MoEWorkspace<EmulatedDevice> ws;
    const Case c = top1();
    run_and_compare(c, c.batch, c.seq, 31, ws);
}

TEST(GpuMoE, DeviceLimitedRoundRobin) {
    MoEWorkspace<EmulatedDevice> ws;
    const Case c = limited();
    run_and_compare(c, c.batch, c.seq, 41, ws);
}

TEST(GpuMoE, GroupRoutingContiguous) {
    MoEWorkspace<EmulatedDevice> ws;
    const Case c = grouped();
    run_and_compare(c, c.batch, c.seq, 51, ws);
}

// 3 tokens x 2 slots over 8 experts: at least two experts get no rows (skipped GEMMs, zero loads).
TEST(GpuMoE, ExpertsWithoutTokens) {
    MoEWorkspace<EmulatedDevice> ws;
    Case c = ladder();
    c.name = "ladder, 3 tokens";
    c.seq_aux = false;
    run_and_compare(c, 1, 3, 61, ws, /*expect_empty_expert=*/true);
}

// One workspace through a large pass, a smaller one, then a larger one again: grown buffers hold stale rows past
// the live ones, which must not leak into the results.
TEST(GpuMoE, WorkspaceReusedAcrossBatchSizes) {
    MoEWorkspace<EmulatedDevice> ws;
    const Case c = ladder();
    run_and_compare(c, 2, 75, 71, ws);
    run_and_compare(c, 1, 19, 72, ws);
    run_and_compare(c, 3, 60, 73, ws);
    const Case l = limited();
    MoEWorkspace<EmulatedDevice> ws2;
    run_and_compare(l, 3, 21, 74, ws2);
    run_and_compare(l, 2, 9, 75, ws2);
}

// The counting sort alone on skewed routings (many slots, several chunks, most experts unused or tiny), against a
// stable sort of the slots by expert on the host.
TEST(GpuMoE, CountingSortIsStable) {
    for (const auto& [slots, nr, used] : std::vector<std::tuple<int64_t, int, int>>{
             {1, 4, 1}, {255, 7, 3}, {256, 5, 5}, {257, 5, 2}, {1000, 16, 5}, {3001, 33, 33}}) {
        SCOPED_TRACE("slots=" + std::to_string(slots) + " experts=" + std::to_string(nr));
        Rng rng(uint64_t(slots * 31 + nr));
        std::vector<int32_t> idx(slots);
        for (auto& e : idx) e = int32_t(rng.below(uint64_t(used)) * (nr / used));  // only `used` experts appear
        std::vector<int32_t> want_perm(slots);
        std::iota(want_perm.begin(), want_perm.end(), 0);
        std::stable_sort(want_perm.begin(), want_perm.end(), [&](int32_t a, int32_t b) { return idx[a] < idx[b]; });
        std::vector<int32_t> want_offsets(nr + 1, 0);
        for (int32_t e : idx) ++want_offsets[e + 1];
        for (int e = 0; e < nr; ++e) want_offsets[e + 1] += want_offsets[e];

        EmulatedDevice dev;
        auto gidx = to_device(dev, idx);
        EmulatedDevice::Buffer<int32_t> hist(gpu::sort_scratch_size(slots, nr)), offsets(nr + 1), perm(slots),
            slot_row(slots);
        gpu::sort_slots_by_expert(dev, gidx.data(), slots, nr, hist.data(), offsets.data(), perm.data(),
                                  slot_row.data());
        const std::vector<int32_t> got_perm = vector_from_device(dev, perm.data(), size_t(slots));
        EXPECT_EQ(got_perm, want_perm);
        EXPECT_EQ(vector_from_device(dev, offsets.data(), size_t(nr) + 1), want_offsets);
        const std::vector<int32_t> got_row = vector_from_device(dev, slot_row.data(), size_t(slots));
        for (int64_t r = 0; r < slots; ++r) ASSERT_EQ(got_row[got_perm[r]], r) << "slot_row is not perm's inverse";
    }
}

}  // namespace
}  // namespace moe
