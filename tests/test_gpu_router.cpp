// The GPU backend's router (gpu/ops/router.h) on the emulated device against the CPU engine's router
// (core/moe/router.h, device_routing.h) in float, on random inputs: scores, chosen experts and devices, combine
// weights, expert loads, the four balance-loss values, and the gradients dx and dgate; plus exact ties.
//
// Tolerances. The GPU kernels do the CPU engine's operations in the same order, except that Eigen's vectorised
// exp and sums round differently from expf and a sequential loop: forward floats (scores, weights) agree to a few
// ulps (observed worst 1.2e-7 on values <= 1), so rtol 1e-5 / atol 1e-6. The balance losses are double sums of
// those float scores: rtol 1e-6 (observed 2e-8), atol 1e-12 for the exact zeros; the f loads are exact counts
// times the same float scale. Gradients: each d logit is a few products of O(1) values; dx sums N_r <= 16 of them
// and dgate n <= 64 rows, so rounding is bounded by ~n ulps of the largest term (~4e-6): rtol 1e-5 / atol 5e-6
// (observed worst 1.2e-7). The test also checks that dropping either balance loss's gradient (observed effect
// >= 3e-5, mostly 1e-4..1e-3) would exceed this tolerance.
// The chosen experts and devices must match exactly: random inputs have no near-ties.
#include "gpu/emulated/emulated_device.h"
#include "gpu/ops/router.h"
#include "gpu/ops/router_dims_from_spec.h"
#include "tests/gpu_test_util.h"

#include "core/moe/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace moe {
namespace {

using gpu::EmulatedDevice;
using gpu::RouterWorkspace;
using testing::all_close;
using testing::from_device;
using testing::random_mat;
using testing::to_device;
using testing::vector_from_device;

struct Case {
    std::string name;
    int n, d;
    RouterSpec spec;
};

RouterSpec spec_of(int nr, int k, bool norm, double alpha, bool seq_aux = false, int batch = 1, int seq = 1) {
    RouterSpec s;
    s.n_routed = nr;
    s.top_k = k;
    s.norm_topk_prob = norm;
    s.aux_alpha = alpha;
    s.seq_aux = seq_aux;
    s.batch = batch;
    s.seq = seq;
    return s;
}

RouterSpec with_z_loss(RouterSpec s, double coef) {
    s.z_loss_coef = coef;
    return s;
}

// DeepSeek-V3 scoring: sigmoid affinities, weights times r, optionally a selection bias (noaux_tc).
RouterSpec with_v3(RouterSpec s, double scale, bool bias) {
    s.sigmoid = true;
    s.scaling_factor = scale;
    s.selection_bias = bias;
    return s;
}

RouterSpec with_devices(RouterSpec s, int D, int M, Placement p, DeviceRouting r, double dev_alpha,
                        double comm_alpha) {
    s.device.devices = D;
    s.device.limit = M;
    s.device.placement = p;
    s.device.routing = r;
    s.device.dev_alpha = dev_alpha;
    s.device.comm_alpha = comm_alpha;
    return s;
}

std::vector<Case> cases() {
    const auto C = Placement::Contiguous, RR = Placement::RoundRobin;
    const auto Dv = DeviceRouting::Device, Gr = DeviceRouting::Group;
    return {
        {"small no aux", 12, 8, spec_of(6, 2, true, 0.0)},
        {"small token-level aux", 12, 8, spec_of(6, 2, true, 0.01)},
        {"small seq_aux", 12, 8, spec_of(6, 2, true, 0.01, true, 3, 4)},
        {"top-1 unnormalised", 12, 8, spec_of(6, 1, false, 0.01)},
        {"top-1 norm flag (no renorm for k=1)", 12, 8, spec_of(6, 1, true, 0.01, true, 2, 6)},
        {"medium seq_aux", 64, 16, spec_of(16, 3, true, 0.01, true, 4, 16)},
        {"medium token-level unnormalised", 64, 16, spec_of(16, 3, false, 0.01)},
        {"medium no aux, seq shape ignored", 64, 16, spec_of(16, 3, true, 0.0, true, 5, 7)},
        {"odd sizes", 15, 7, spec_of(5, 2, true, 0.01, true, 3, 5)},
        {"D=4 M=2 contiguous, all losses, seq_aux", 64, 16,
         with_devices(spec_of(16, 3, true, 0.01, true, 4, 16), 4, 2, C, Dv, 0.05, 0.02)},
        {"D=4 M=2 contiguous, no losses", 64, 16, with_devices(spec_of(16, 3, true, 0.0), 4, 2, C, Dv, 0, 0)},
        {"D=4 M=2 round_robin uneven, token-level", 33, 9,
         with_devices(spec_of(10, 3, true, 0.01), 4, 2, RR, Dv, 0.05, 0.02)},
        {"D=4 M=2 round_robin unnormalised, dev loss only", 33, 9,
         with_devices(spec_of(10, 3, false, 0.0), 4, 2, RR, Dv, 0.05, 0.0)},
        {"group routing D=4 M=2 contiguous", 64, 16,
         with_devices(spec_of(16, 3, true, 0.01, true, 4, 16), 4, 2, C, Gr, 0.05, 0.02)},
        {"group routing, one-expert devices", 21, 6,
         with_devices(spec_of(5, 2, true, 0.01), 4, 3, RR, Gr, 0.03, 0.04)},
        {"D=4 no limit, device losses", 64, 16,
         with_devices(spec_of(16, 3, true, 0.01, true, 4, 16), 4, 0, C, Dv, 0.05, 0.02)},
        {"D=4 M=1 comm loss only, top-1", 24, 8, with_devices(spec_of(8, 1, false, 0.0), 4, 1, C, Dv, 0.0, 0.03)},
        {"z-loss only", 64, 16, with_z_loss(spec_of(16, 3, true, 0.0), 0.05)},
        {"z-loss with every balance loss, group routing", 64, 16,
         with_z_loss(with_devices(spec_of(16, 3, true, 0.01, true, 4, 16), 4, 2, C, Gr, 0.05, 0.02), 0.05)},
        {"sigmoid, seq_aux", 64, 16, with_v3(spec_of(16, 3, true, 0.01, true, 4, 16), 1.0, false)},
        {"sigmoid unnormalised, scaled, no aux", 33, 9, with_v3(spec_of(10, 2, false, 0.0), 2.5, false)},
        {"softmax scaled with a selection bias", 64, 16, [] {
             RouterSpec s = spec_of(16, 3, true, 0.01);
             s.scaling_factor = 2.5;
             s.selection_bias = true;
             return s;
         }()},
        {"V3: sigmoid, bias, groups, every balance loss", 64, 16,
         with_v3(with_devices(spec_of(16, 3, true, 0.01, true, 4, 16), 4, 2, C, Gr, 0.05, 0.02), 2.5, true)},
    };
}

// Gradient tolerance (see the top of the file): observed worst |error| is ~1.2e-7 on values of O(1).
constexpr double kGradRtol = 1e-5, kGradAtol = 5e-6;

// Runs the CPU router and the GPU one (in ws, on dev) on the same inputs and compares everything.
void compare(const Case& c, EmulatedDevice& dev, RouterWorkspace<EmulatedDevice>& ws, uint64_t seed) {
    SCOPED_TRACE(c.name);
    const RouterSpec& spec = c.spec;
    const int nr = spec.n_routed, k = spec.top_k, n = c.n, d = c.d;
    const gpu::RouterDims dims = gpu::router_dims_of(spec);

    // Gate rows of scale 1 spread the scores enough that top-k and device choices are clear-cut.
    const Mat x = random_mat(n, d, seed);
    const Mat gate = random_mat(nr, d, seed + 1);
    const Mat dtopk = random_mat(n, k, seed + 2);
    const Mat dx0 = random_mat(n, d, seed + 3, 0.5f);     // nonzero: the gradients are accumulated into
    const Mat dgate0 = random_mat(nr, d, seed + 4, 0.5f);
    const Mat bias = random_mat(1, nr, seed + 5, 0.1f);  // used only with a selection bias
    const float* bias_host = spec.selection_bias ? bias.data() : nullptr;
    auto bias_d = to_device(dev, bias);

    RouterCache<float> cpu;
    router_forward<float>(spec, x, gate, cpu, bias_host);
    Mat dx = dx0, dgate = dgate0;
    router_backward<float>(spec, x, gate, cpu, dtopk, dx, dgate);

    auto x_d = to_device(dev, x);
    auto gate_d = to_device(dev, gate);
    auto dtopk_d = to_device(dev, dtopk);
    auto dx_d = to_device(dev, dx0);
    auto dgate_d = to_device(dev, dgate0);
    gpu::router_forward(dev, dims, x_d.data(), n, d, gate_d.data(), ws, bias_host ? bias_d.data() : nullptr);
    gpu::router_backward(dev, dims, x_d.data(), n, d, gate_d.data(), ws, dtopk_d.data(), dx_d.data(),
                         dgate_d.data());

    EXPECT_TRUE(all_close(from_device(dev, ws.scores.data(), n, nr), cpu.scores, 1e-5, 1e-6));
    if (spec.sigmoid) {
        EXPECT_TRUE(all_close(from_device(dev, ws.affinity.data(), n, nr), cpu.affinity, 1e-5, 1e-6));
    }
    EXPECT_EQ(vector_from_device(dev, ws.topk_idx.data(), size_t(n) * k), cpu.topk_idx);
    EXPECT_TRUE(all_close(from_device(dev, ws.topk_weight.data(), n, k), cpu.topk_weight, 1e-5, 1e-6));
    EXPECT_EQ(vector_from_device(dev, ws.expert_device.data(), size_t(nr)), cpu.expert_device);
    EXPECT_EQ(vector_from_device(dev, ws.chosen_devices.data(), ws.chosen_devices.size()), cpu.chosen_devices);
    EXPECT_TRUE(all_close(from_device(dev, ws.aux_f.data(), int(cpu.aux_f.rows()), nr), cpu.aux_f, 1e-6, 0.0));

    const std::vector<double> aux = vector_from_device(dev, ws.aux.data(), 5);
    const double want[5] = {cpu.aux_loss, cpu.expert_aux_loss, cpu.dev_aux_loss, cpu.comm_aux_loss, cpu.z_loss};
    const char* what[5] = {"total", "expert-level", "device-level", "communication", "z-loss"};
    for (int i = 0; i < 5; ++i) EXPECT_NEAR(aux[i], want[i], 1e-12 + 1e-6 * std::abs(want[i])) << what[i];
    // The case means what it says: each loss is nonzero exactly when its coefficient is.
    EXPECT_EQ(aux[1] != 0.0, spec.aux_alpha > 0.0);
    EXPECT_EQ(aux[2] != 0.0, spec.device.dev_alpha > 0.0);
    EXPECT_EQ(aux[3] != 0.0, spec.device.comm_alpha > 0.0);
    EXPECT_EQ(aux[4] != 0.0, spec.z_loss_coef > 0.0);

    const Mat gpu_dx = from_device(dev, dx_d.data(), n, d), gpu_dgate = from_device(dev, dgate_d.data(), nr, d);
    EXPECT_TRUE(all_close(gpu_dx, dx, kGradRtol, kGradAtol)) << "dx";
    EXPECT_TRUE(all_close(gpu_dgate, dgate, kGradRtol, kGradAtol)) << "dgate";
    // The comparison can see what it checks: the gradient is more than the accumulated start value, and each
    // balance loss's gradient moves dx by more than the tolerance (a backward that dropped it would fail).
    EXPECT_FALSE(all_close(gpu_dx, dx0, kGradRtol, kGradAtol));
    EXPECT_FALSE(all_close(gpu_dgate, dgate0, kGradRtol, kGradAtol));
    if (spec.selection_bias) {  // the case sees the bias: without it some tokens choose otherwise
        RouterSpec other = spec;
        other.selection_bias = false;
        RouterCache<float> unbiased;
        router_forward<float>(other, x, gate, unbiased);
        EXPECT_NE(unbiased.topk_idx, cpu.topk_idx) << "the selection bias changes nothing in this case";
    }
    const auto without = [&](RouterSpec other) {
        Mat dx_other = dx0, dgate_other = dgate0;
        router_backward<float>(other, x, gate, cpu, dtopk, dx_other, dgate_other);
        return all_close(gpu_dx, dx_other, kGradRtol, kGradAtol);
    };
    if (spec.aux_alpha > 0.0) {
        RouterSpec other = spec;
        other.aux_alpha = 0.0;
        EXPECT_FALSE(without(other)) << "the expert-level loss's gradient is below the tolerance";
    }
    if (spec.device.has_balance_loss()) {
        RouterSpec other = spec;
        other.device.dev_alpha = other.device.comm_alpha = 0.0;
        EXPECT_FALSE(without(other)) << "the device-level losses' gradient is below the tolerance";
    }
    if (spec.z_loss_coef > 0.0) {
        RouterSpec other = spec;
        other.z_loss_coef = 0.0;
        EXPECT_FALSE(without(other)) << "the z-loss's gradient is below the tolerance";
    }
}

TEST(GpuRouter, MatchesCpuRouterOnRandomInputs) {
    EmulatedDevice dev;
    RouterWorkspace<EmulatedDevice> ws;  // shared: every case resizes it from the previous one's shape
    uint64_t seed = 100;
    for (const Case& c : cases()) compare(c, dev, ws, seed += 10);
}

TEST(GpuRouter, ReusedWorkspaceGivesTheSameResult) {
    // The same case twice, with a differently shaped one in between, through one workspace.
    const std::vector<Case> all = cases();
    EmulatedDevice dev;
    RouterWorkspace<EmulatedDevice> ws;
    compare(all[9], dev, ws, 7);
    compare(all[0], dev, ws, 8);
    compare(all[9], dev, ws, 7);
}

TEST(GpuRouter, DeviceLimitChangesTheRouting) {
    // Sanity of the limited cases above: with D=4, M=2 some tokens lose an expert they would have chosen, and every
    // chosen expert lives on one of the token's chosen devices.
    Case c = cases()[9];
    EmulatedDevice dev;
    RouterWorkspace<EmulatedDevice> ws, free_ws;
    const Mat x = random_mat(c.n, c.d, 1), gate = random_mat(c.spec.n_routed, c.d, 2);
    auto x_d = to_device(dev, x);
    auto gate_d = to_device(dev, gate);
    gpu::RouterDims limited = gpu::router_dims_of(c.spec), free = limited;
    free.device_limit = 0;
    gpu::router_forward(dev, limited, x_d.data(), c.n, c.d, gate_d.data(), ws);
    gpu::router_forward(dev, free, x_d.data(), c.n, c.d, gate_d.data(), free_ws);
    const auto idx = vector_from_device(dev, ws.topk_idx.data(), ws.topk_idx.size());
    const auto chosen = vector_from_device(dev, ws.chosen_devices.data(), ws.chosen_devices.size());
    const auto place = vector_from_device(dev, ws.expert_device.data(), ws.expert_device.size());
    EXPECT_NE(idx, vector_from_device(dev, free_ws.topk_idx.data(), free_ws.topk_idx.size()));
    const int k = c.spec.top_k, M = c.spec.device.limit;
    for (int t = 0; t < c.n; ++t)
        for (int j = 0; j < k; ++j) {
            const int dv = place[idx[size_t(t) * k + j]];
            bool on_chosen = false;
            for (int m = 0; m < M; ++m) on_chosen = on_chosen || chosen[size_t(t) * M + m] == dv;
            EXPECT_TRUE(on_chosen) << "token " << t;
        }
}

// x and gate chosen so that logits tie exactly: the GPU's topk_idx and chosen_devices, checked against the CPU's.
struct Routing {
    std::vector<int32_t> idx, chosen;
};
Routing tie_routing(const RouterSpec& spec, const Mat& x, const Mat& gate) {
    RouterCache<float> cpu;
    router_forward<float>(spec, x, gate, cpu);
    EmulatedDevice dev;
    RouterWorkspace<EmulatedDevice> ws;
    auto x_d = to_device(dev, x);
    auto gate_d = to_device(dev, gate);
    gpu::router_forward(dev, gpu::router_dims_of(spec), x_d.data(), x.rows(), int(x.cols()), gate_d.data(), ws);
    Routing r{vector_from_device(dev, ws.topk_idx.data(), ws.topk_idx.size()),
              vector_from_device(dev, ws.chosen_devices.data(), ws.chosen_devices.size())};
    EXPECT_EQ(r.idx, cpu.topk_idx);
    EXPECT_EQ(r.chosen, cpu.chosen_devices);
    return r;
}

TEST(GpuRouter, ExactTiesGoToTheLowerIndex) {
    // Experts 1 and 2 get the same logit (identical gate rows), above experts 0 and 3: top-1 is expert 1.
    Mat gate(4, 2);
    gate << 0.0f, 1.0f, 1.0f, 0.5f, 1.0f, 0.5f, -1.0f, 0.0f;
    Mat x(3, 2);
    x << 1.0f, 0.25f, 2.0f, -0.5f, 0.5f, 0.0f;
    EXPECT_EQ(tie_routing(spec_of(4, 1, true, 0.0), x, gate).idx, (std::vector<int32_t>{1, 1, 1}));
    // Top-2: both tied experts, lower index first.
    EXPECT_EQ(tie_routing(spec_of(4, 2, true, 0.0), x, gate).idx, (std::vector<int32_t>{1, 2, 1, 2, 1, 2}));
}

TEST(GpuRouter, ExactDeviceTiesGoToTheLowerDevice) {
    // Contiguous D=2: device 0 = {0, 1}, device 1 = {2, 3}. Logits (0, 1, 1, 0): both devices score max s = s_1 = s_2.
    // M=1 keeps device 0, so top-2 is {1, 0}; choosing device 1 would give {2, 3}, no limit {1, 2}.
    Mat gate(4, 1);
    gate << 0.0f, 1.0f, 1.0f, 0.0f;
    Mat x(2, 1);
    x << 1.0f, 1.0f;
    const RouterSpec limited =
        with_devices(spec_of(4, 2, true, 0.0), 2, 1, Placement::Contiguous, DeviceRouting::Device, 0, 0);
    Routing r = tie_routing(limited, x, gate);
    EXPECT_EQ(r.idx, (std::vector<int32_t>{1, 0, 1, 0}));
    EXPECT_EQ(r.chosen, (std::vector<int32_t>{0, 0}));
    // Group routing: device scores s_1 + s_0 and s_2 + s_3 tie as well.
    RouterSpec group = limited;
    group.device.routing = DeviceRouting::Group;
    EXPECT_EQ(tie_routing(group, x, gate).idx, (std::vector<int32_t>{1, 0, 1, 0}));
    // Tied devices inside the kept list (D=3, one expert each, logits (0, 1, 1), M=2): the lower one first.
    Mat gate3(3, 1);
    gate3 << 0.0f, 1.0f, 1.0f;
    r = tie_routing(with_devices(spec_of(3, 2, true, 0.0), 3, 2, Placement::Contiguous, DeviceRouting::Device, 0, 0),
                    x, gate3);
    EXPECT_EQ(r.chosen, (std::vector<int32_t>{1, 2, 1, 2}));
    EXPECT_EQ(r.idx, (std::vector<int32_t>{1, 2, 1, 2}));
}

TEST(GpuRouter, NoTokensGiveZeroLossesAndNoGradient) {
    EmulatedDevice dev;
    RouterWorkspace<EmulatedDevice> ws;
    const Case c = cases()[9];  // all three losses on
    const Mat gate = random_mat(c.spec.n_routed, c.d, 3), dgate0 = random_mat(c.spec.n_routed, c.d, 4);
    auto gate_d = to_device(dev, gate);
    auto dgate_d = to_device(dev, dgate0);
    gpu::RouterDims dims = gpu::router_dims_of(c.spec);
    dims.seq_aux = false;
    // A first call with tokens leaves nonzero losses in the workspace; the empty call must clear them.
    const Mat x = random_mat(c.n, c.d, 5);
    auto x_d = to_device(dev, x);
    gpu::router_forward(dev, dims, x_d.data(), c.n, c.d, gate_d.data(), ws);
    gpu::router_forward(dev, dims, nullptr, 0, c.d, gate_d.data(), ws);
    EXPECT_EQ(vector_from_device(dev, ws.aux.data(), 4), std::vector<double>(4, 0.0));
    gpu::router_backward(dev, dims, nullptr, 0, c.d, gate_d.data(), ws, nullptr, nullptr, dgate_d.data());
    EXPECT_TRUE(all_close(from_device(dev, dgate_d.data(), c.spec.n_routed, c.d), dgate0, 0.0, 0.0));
}

TEST(GpuRouter, RejectsImpossibleSettings) {
    EmulatedDevice dev;
    RouterWorkspace<EmulatedDevice> ws;
    gpu::RouterDims s;
    s.n_routed = 4, s.top_k = 5;
    EXPECT_THROW(gpu::router_forward(dev, s, nullptr, 3, 2, nullptr, ws), ConfigError);
    s.top_k = 3, s.devices = 2, s.device_limit = 1;  // 2 experts on one device < k = 3
    EXPECT_THROW(gpu::router_forward(dev, s, nullptr, 3, 2, nullptr, ws), ConfigError);
    s.device_limit = 0, s.aux_alpha = 0.01, s.seq_aux = true, s.batch = 2, s.seq = 2;  // 4 != 3 tokens
    EXPECT_THROW(gpu::router_forward(dev, s, nullptr, 3, 2, nullptr, ws), ConfigError);
}

}  // namespace
}  // namespace moe
