// Where a training step's time goes: wall-clock seconds per phase, summed over the steps a sink is attached for.
//
// Opt-in and for measurement only (the whole-step benchmark, `moelab-bench --benchmark_filter=WholeStep`): a model or
// trainer with no sink attached reads no clock at all. A phase is timed on the calling thread around work that may
// itself run on the thread pool, so the figures are wall-clock shares of the step, and they add up to at most the
// step's time (the rest: the step's metrics and checks).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

namespace moe {

enum class Phase : int {
    Embedding,   // token and position embeddings, forward and backward
    Attention,   // q/k/v/o projections, RoPE, causal softmax, forward and backward
    Norms,       // every RMSNorm, forward and backward
    Router,      // router scores, top-k, balance losses and their gradients
    Experts,     // routed experts (sort, gather, SwiGLU GEMMs, the combine-weight gradient) and the shared experts
    Combine,     // weighted sum of the expert outputs per token, and the input-gradient gather back per token
    DenseFfn,    // the dense SwiGLU FFN layers (first_k_dense_replace, or a dense model)
    Head,        // final projection (LM head), cross-entropy, accuracy, and their backward
    Optimizer,   // zeroing gradients, the global gradient norm, clipping and AdamW
    Data,        // drawing the step's batch
    Statistics,  // the step's routing statistics (loads, entropy, traffic) for the metrics
    Count
};

inline constexpr std::size_t kPhaseCount = static_cast<std::size_t>(Phase::Count);

// Short lower-case names, as used in benchmark counters ("ms_attention").
inline constexpr std::array<const char*, kPhaseCount> kPhaseNames = {
    "embedding", "attention", "norms", "router", "experts", "combine", "dense_ffn", "head", "optimizer", "data",
    "statistics"};

struct PhaseTimes {
    std::array<double, kPhaseCount> seconds{};
    double& operator[](Phase p) { return seconds[static_cast<std::size_t>(p)]; }
    double operator[](Phase p) const { return seconds[static_cast<std::size_t>(p)]; }
    double total() const {
        double s = 0.0;
        for (double v : seconds) s += v;
        return s;
    }
};

// Adds the time from construction (or from the last next()) to the sink's current phase, until pause(), the next
// next() or destruction. With a null sink it does nothing, not even read the clock.
class PhaseClock {
public:
    PhaseClock(PhaseTimes* sink, Phase phase) : sink_(sink), phase_(phase), running_(sink != nullptr) {
        if (sink_) start_ = Clock::now();
    }
    ~PhaseClock() { pause(); }
    PhaseClock(const PhaseClock&) = delete;
    PhaseClock& operator=(const PhaseClock&) = delete;

    // Ends the current phase (if running) and starts `phase`.
    void next(Phase phase) {
        if (!sink_) return;
        const Clock::time_point now = Clock::now();
        if (running_) (*sink_)[phase_] += std::chrono::duration<double>(now - start_).count();
        start_ = now;
        phase_ = phase;
        running_ = true;
    }
    // Ends the current phase without starting another (work that times itself follows); next() resumes.
    void pause() {
        if (!sink_ || !running_) return;
        (*sink_)[phase_] += std::chrono::duration<double>(Clock::now() - start_).count();
        running_ = false;
    }

private:
    using Clock = std::chrono::steady_clock;
    PhaseTimes* sink_;
    Phase phase_;
    bool running_;
    Clock::time_point start_{};
};

}  // namespace moe
