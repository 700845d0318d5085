// The whole training step of a lesson's model (forward, backward, gradient clipping, AdamW and the step's routing
// statistics, as Trainer::train_step does them in the app), against a dense GEMM of the same FLOPs in the same run:
//
//   WholeStep/<preset>   WholeStepDenseGEMM/<preset>
//
// The models are the ladder lesson's (ui/lessons/01-ladder.json: each preset's default sizes, batch 8 x 64 bytes of
// the mixed corpus), the seed document's default at the same batch, the routing variants (deepseek-v3, switch and
// switch-cf, gshard with the router z-loss) and the 2-D spirals classifier. Counters:
// `tokens` per step (points for the classifier) and `flops`, a rate: 3 x the model's forward FLOPs per token
// (core/accounting; backward is counted as twice the forward) x tokens, per second. The ratio of WholeStep's rate
// to WholeStepDenseGEMM's is the share of the cores' GEMM rate that the whole step reaches.
//
// WholeStep also reports where the step's time goes: `ms_<phase>`, wall-clock milliseconds per step in each phase of
// core/phase_times.h (embedding, attention, norms, router, experts, combine, dense_ffn, head, optimizer, data,
// statistics), and `ms_other`, the rest of the step (metrics, checks). Timing the phases costs about 20 clock reads
// per layer and pass; WholeStepUntimed/<preset>/threads:<T> runs the same steps with no phase timing on T = 1 and 2
// threads (bench/compare_with_torch.sh compares these with the PyTorch twin at the same thread counts).
#include "bench/dense_gemm.h"
#include "core/accounting.h"
#include "core/config.h"
#include "core/phase_times.h"
#include "core/presets.h"
#include "core/runtime.h"
#include "core/train/trainer.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

namespace moe {
namespace {

struct StepModel {
    std::string name;
    Config config;
};

std::vector<StepModel> step_models() {
    const std::vector<std::string> lesson = {"dataset=corpus", "batch_size=8", "seq_len=64", "learning_rate=0.003",
                                             "seed=1"};
    std::vector<StepModel> out;
    for (const PresetInfo& info : presets())
        if (info.on_ladder || info.name == "seed-default") out.push_back({info.name, resolve_config(info.name, "", lesson)});
    // The routing variants, each against its base in the same run: DeepSeek-V3's routing on the deepseek budget
    // (sigmoid, selection bias, 4 of 7 groups), Switch with and without expert capacity, the router z-loss.
    for (const char* name : {"deepseek-v3", "switch", "switch-cf"})
        out.push_back({name, resolve_config(name, "", lesson)});
    std::vector<std::string> z = lesson;
    z.push_back("router_z_loss_coef=0.001");
    out.push_back({"gshard-zloss", resolve_config("gshard", "", z)});
    // The spirals lesson's model A (ui/lessons/04-spirals.json).
    out.push_back({"spirals", resolve_config("deepseek", "", {"dataset=spirals", "classes=4", "noise=0.1", "points=2000",
                                                              "learning_rate=0.01", "batch_size=64", "seed=1"})});
    return out;
}

// Tokens (or 2-D points) per step, and the step's FLOPs, for the data `trainer` trains on.
double step_tokens(const Trainer& t) {
    const TrainConfig& c = t.config().train;
    return t.dataset().is_language() ? double(c.batch_size) * c.seq_len : double(c.batch_size);
}
double step_flops(const Trainer& t) {
    const Dataset& data = t.dataset();
    return 3.0 * account(t.config(), data.is_language(), data.num_outputs()).flops_total() * step_tokens(t);
}

void set_counters(benchmark::State& state, const Trainer& t, double flops) {
    state.counters["tokens"] = step_tokens(t);
    state.counters["hidden"] = t.config().model.hidden_size;
    state.counters["flops"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_whole_step(benchmark::State& state, const Config& config, bool timed) {
    Trainer trainer(config);  // its own thread width: config.train.threads (0 = all cores)
    trainer.train_step();     // the first step allocates the caches
    PhaseTimes phases;
    if (timed) trainer.time_phases(&phases);
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state) benchmark::DoNotOptimize(trainer.train_step());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    set_counters(state, trainer, step_flops(trainer));
    if (!timed) return;
    const auto per_step_ms = [&](double seconds) {
        return benchmark::Counter(1e3 * seconds, benchmark::Counter::kAvgIterations);
    };
    for (size_t p = 0; p < kPhaseCount; ++p)
        state.counters[std::string("ms_") + kPhaseNames[p]] = per_step_ms(phases.seconds[p]);
    state.counters["ms_other"] = per_step_ms(std::max(0.0, wall - phases.total()));
}

// y = x W^T with x [tokens, hidden] and W [n, hidden], n chosen so that 2 * tokens * hidden * n equals the step's
// FLOPs: the rate the same cores reach on plain GEMM work at the model's width.
void bm_dense(benchmark::State& state, const Config& config) {
    const Trainer shape(config);  // only for the data's kind and the step's FLOPs
    const double flops = step_flops(shape);
    const int64_t m = std::max<int64_t>(1, std::llround(step_tokens(shape))), k = config.model.hidden_size;
    const int64_t n = std::max<int64_t>(1, std::llround(flops / (2.0 * double(m) * double(k))));
    time_dense_gemm(state, m, k, n);
    set_counters(state, shape, 2.0 * double(m) * double(k) * double(n));
}

// Wall-clock time: the work runs on the thread pool, so the calling thread's CPU time would understate it.
const bool kRegistered = [] {
    configure_allocator();
    for (const StepModel& s : step_models()) {
        benchmark::RegisterBenchmark(("WholeStep/" + s.name).c_str(), bm_whole_step, s.config, true)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
        for (int threads : {1, 2}) {
            Config c = s.config;
            c.train.threads = threads;
            const std::string name = "WholeStepUntimed/" + s.name + "/threads:" + std::to_string(threads);
            benchmark::RegisterBenchmark(name.c_str(), bm_whole_step, c, false)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
        }
        benchmark::RegisterBenchmark(("WholeStepDenseGEMM/" + s.name).c_str(), bm_dense, s.config)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    }
    return true;
}();

}  // namespace
}  // namespace moe
