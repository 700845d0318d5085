// The MoE layer's training step (forward + backward, balance loss included) on the engine's presets, Reference path
// against Fast path, and a dense GEMM of the same FLOPs as the speed baseline, at two shapes:
//
//   MoELayerTrain/<preset>/<shape>/reference   MoELayerTrain/<preset>/<shape>/fast   DenseGEMM/<preset>/<shape>
//
//   d128    hidden 128, ffn_base_width 256, a batch of 16 x 64 tokens (where the presets are defined)
//   lesson  the lessons' own sizes: each preset's default hidden size (64) and expert width, a batch of 8 x 64
//
// Counters: the layer's shape (tokens, hidden, expert_width, routed, shared, topk) and `flops`, a rate: the FLOPs of
// one step (2*m*n*k per GEMM of forward and backward: routed experts, shared experts and router) per second.
// Elementwise work (SwiGLU, softmax, gather / scatter) is not counted as FLOPs: it is overhead the fast path pays.
#include "bench/dense_gemm.h"
#include "core/config.h"
#include "core/gemm.h"
#include "core/moe/moe_layer.h"
#include "core/parallel.h"
#include "core/presets.h"
#include "core/runtime.h"
#include "core/rng.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

namespace moe {
namespace {

constexpr double kAlpha = 0.01;

struct Shape {
    std::string name;
    std::vector<std::string> overrides;  // on the preset's defaults
    int batch, seq;
};

std::vector<Shape> shapes() {
    return {{"d128", {"hidden_size=128", "ffn_base_width=256"}, 16, 64}, {"lesson", {}, 8, 64}};
}

// One preset's MoE layer at one shape: the ladder gshard -> shared -> fine2 -> deepseek (equal total and activated
// expert parameters), the seed document's default and the Switch-style top-1.
struct Preset {
    std::string name;
    Shape shape;
    int hidden;
    int n_routed, n_shared, top_k;
    int inter;  // each expert's width I
    bool norm_topk_prob;
    int64_t tokens() const { return int64_t(shape.batch) * shape.seq; }
};

std::vector<Preset> engine_presets(const Shape& shape) {
    std::vector<Preset> out;
    for (const PresetInfo& info : presets()) {
        const Config c = resolve_config(info.name, "", shape.overrides);
        const ModelConfig& m = c.model;
        if (m.n_routed_experts == 0) continue;  // the dense preset has no MoE layer
        out.push_back({info.name, shape, m.hidden_size, m.n_routed_experts, m.n_shared_experts,
                       m.num_experts_per_tok, m.moe_intermediate_size, m.norm_topk_prob});
    }
    return out;
}

MoESpec make_spec(const Preset& p) {
    MoESpec spec;
    spec.hidden = p.hidden;
    spec.inter = p.inter;
    spec.n_shared = p.n_shared;
    spec.router.n_routed = p.n_routed;
    spec.router.top_k = p.top_k;
    spec.router.norm_topk_prob = p.norm_topk_prob;
    spec.router.aux_alpha = kAlpha;
    spec.router.batch = p.shape.batch;
    spec.router.seq = p.shape.seq;
    return spec;
}

// FLOPs of one training step. A SwiGLU of width w on m rows is 3 GEMMs forward and 6 backward (dh, dWd, dWg, dWu
// and dx through gate and up), each 2*m*d*w. The router is 1 GEMM forward and 2 backward, each 2*N*d*N_r.
double step_flops(const Preset& p) {
    const double n = double(p.tokens()), d = p.hidden;
    const double routed = 9 * 2 * (n * p.top_k) * d * p.inter;
    const double shared = 9 * 2 * n * d * (double(p.n_shared) * p.inter);
    const double router = 3 * 2 * n * d * p.n_routed;
    return routed + shared + router;
}

void fill_normal(Mat& m, Rng& rng, double std) {
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = float(rng.normal(0.0, std));
}

void set_counters(benchmark::State& state, const Preset& p, double flops) {
    state.counters["tokens"] = double(p.tokens());
    state.counters["hidden"] = p.hidden;
    state.counters["expert_width"] = p.inter;
    state.counters["routed"] = p.n_routed;
    state.counters["shared"] = p.n_shared;
    state.counters["topk"] = p.top_k;
    // FLOPs per iteration, reported per second.
    state.counters["flops"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_moe_train(benchmark::State& state, const Preset& p, MoEPath path) {
    const ParallelScope threads(0);  // all cores
    const MoESpec spec = make_spec(p);
    const int64_t n = p.tokens(), d = p.hidden, I = p.inter, nr = p.n_routed;
    const int64_t si = int64_t(p.n_shared) * I;
    Rng rng(42);
    // Weights with std 0.02 (the usual initialisation), a gate with std 1/sqrt(d) so routing is not uniform.
    Mat gate(nr, d), w_gate(nr * I, d), w_up(nr * I, d), w_down(nr * d, I), s_gate(si, d), s_up(si, d),
        s_down(d, si);
    fill_normal(gate, rng, 1.0 / std::sqrt(double(d)));
    for (Mat* m : {&w_gate, &w_up, &w_down, &s_gate, &s_up, &s_down}) fill_normal(*m, rng, 0.02);
    Mat x(n, d), dy(n, d), y, dx;
    fill_normal(x, rng, 1.0);
    fill_normal(dy, rng, 1.0);
    Mat g_gate = Mat::Zero(nr, d), g_wg = Mat::Zero(nr * I, d), g_wu = Mat::Zero(nr * I, d),
        g_wd = Mat::Zero(nr * d, I), g_sg = Mat::Zero(si, d), g_su = Mat::Zero(si, d), g_sd = Mat::Zero(d, si);
    const bool shared = si > 0;
    const MoEWeights<float> w{&gate, &w_gate, &w_up, &w_down, shared ? &s_gate : nullptr,
                              shared ? &s_up : nullptr, shared ? &s_down : nullptr};
    MoEGrads<float> g{&g_gate, &g_wg, &g_wu, &g_wd, shared ? &g_sg : nullptr, shared ? &g_su : nullptr,
                      shared ? &g_sd : nullptr};
    MoECache<float> cache;

    for (auto _ : state) {
        moe_forward(spec, w, x, path, cache, y);
        moe_backward(spec, w, x, path, cache, dy, dx, g);
        benchmark::DoNotOptimize(dx.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, p, step_flops(p));
}

// y = x W^T with x [tokens, d] and W [n, d], n chosen so that 2 * tokens * d * n equals the preset's step FLOPs.
void bm_dense(benchmark::State& state, const Preset& p) {
    const int64_t m = p.tokens(), k = p.hidden;
    const int64_t n = std::max<int64_t>(1, std::llround(step_flops(p) / (2.0 * m * k)));
    time_dense_gemm(state, m, k, n);
    set_counters(state, p, 2.0 * double(m) * double(k) * double(n));
}

// Wall-clock time: the work runs on the thread pool, so the calling thread's CPU time would understate it.
const bool kRegistered = [] {
    configure_allocator();
    for (const Shape& shape : shapes()) {
        for (const Preset& p : engine_presets(shape)) {
            const std::string name = p.name + "/" + shape.name;
            benchmark::RegisterBenchmark(("MoELayerTrain/" + name + "/reference").c_str(), bm_moe_train, p,
                                         MoEPath::Reference)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
            benchmark::RegisterBenchmark(("MoELayerTrain/" + name + "/fast").c_str(), bm_moe_train, p, MoEPath::Fast)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
            benchmark::RegisterBenchmark(("DenseGEMM/" + name).c_str(), bm_dense, p)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
        }
    }
    return true;
}();

}  // namespace
}  // namespace moe

BENCHMARK_MAIN();
