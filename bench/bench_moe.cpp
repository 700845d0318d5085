// The MoE layer's training step (forward + backward, balance loss included) on the engine's presets, Reference path
// against Fast path, and a dense GEMM of the same FLOPs as the speed baseline:
//
//   MoELayerTrain/<preset>/reference   MoELayerTrain/<preset>/fast   DenseGEMM/<preset>
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

// The layer sizes the presets are defined at: hidden d, the standard FFN width F, and a batch of 16 x 64 tokens.
constexpr int kHidden = 128;
constexpr int kFfn = 256;
constexpr int kBatch = 16;
constexpr int kSeq = 64;
constexpr double kAlpha = 0.01;

// The engine's MoE presets (core/presets.cpp) at d = 128, F = 256: the ladder gshard -> shared -> fine2 -> deepseek
// (equal total and activated expert parameters), the seed document's default and the Switch-style top-1.
struct Preset {
    std::string name;
    int n_routed, n_shared, top_k;
    int inter;  // each expert's width I
    bool norm_topk_prob;
};

std::vector<Preset> engine_presets() {
    std::vector<Preset> out;
    for (const PresetInfo& info : presets()) {
        const Config c = resolve_config(info.name, "",
                                        {"hidden_size=" + std::to_string(kHidden), "ffn_base_width=" + std::to_string(kFfn)});
        const ModelConfig& m = c.model;
        if (m.n_routed_experts == 0) continue;  // the dense preset has no MoE layer
        out.push_back({info.name, m.n_routed_experts, m.n_shared_experts, m.num_experts_per_tok,
                       m.moe_intermediate_size, m.norm_topk_prob});
    }
    return out;
}

MoESpec make_spec(const Preset& p) {
    MoESpec spec;
    spec.hidden = kHidden;
    spec.inter = p.inter;
    spec.n_shared = p.n_shared;
    spec.router.n_routed = p.n_routed;
    spec.router.top_k = p.top_k;
    spec.router.norm_topk_prob = p.norm_topk_prob;
    spec.router.aux_alpha = kAlpha;
    spec.router.batch = kBatch;
    spec.router.seq = kSeq;
    return spec;
}

// FLOPs of one training step. A SwiGLU of width w on m rows is 3 GEMMs forward and 6 backward (dh, dWd, dWg, dWu
// and dx through gate and up), each 2*m*d*w. The router is 1 GEMM forward and 2 backward, each 2*N*d*N_r.
double step_flops(const Preset& p) {
    const double n = double(kBatch) * kSeq, d = kHidden;
    const double routed = 9 * 2 * (n * p.top_k) * d * p.inter;
    const double shared = 9 * 2 * n * d * (double(p.n_shared) * p.inter);
    const double router = 3 * 2 * n * d * p.n_routed;
    return routed + shared + router;
}

void fill_normal(Mat& m, Rng& rng, double std) {
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = float(rng.normal(0.0, std));
}

void set_counters(benchmark::State& state, const Preset& p, double flops) {
    state.counters["tokens"] = double(kBatch) * kSeq;
    state.counters["hidden"] = kHidden;
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
    const int64_t n = int64_t(kBatch) * kSeq, d = kHidden, I = p.inter, nr = p.n_routed;
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
    const int64_t m = int64_t(kBatch) * kSeq, k = kHidden;
    const int64_t n = std::max<int64_t>(1, std::llround(step_flops(p) / (2.0 * m * k)));
    time_dense_gemm(state, m, k, n);
    set_counters(state, p, 2.0 * double(m) * double(k) * double(n));
}

// Wall-clock time: the work runs on the thread pool, so the calling thread's CPU time would understate it.
const bool kRegistered = [] {
    configure_allocator();
    for (const Preset& p : engine_presets()) {
        const std::string name = p.name;
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
    return true;
}();

}  // namespace
}  // namespace moe

BENCHMARK_MAIN();
