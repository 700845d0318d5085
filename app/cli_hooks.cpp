#include "app/cli_hooks.h"

#include "core/train/trainer.h"
#include "gpu/gpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

namespace moe::cli {

RunHooks cli_run_hooks(const std::string& device, bool quiet, const std::string& tag) {
    RunHooks h;
    const gpu::ComputeDevice choice = gpu::parse_compute_device(device);  // a wrong name fails before training
    h.backend = [choice](Model& model, std::string* where) {
        gpu::BackendChoice b = gpu::make_step_backend(choice, model);
        if (!b.note.empty()) std::fprintf(stderr, "moelab-cli: %s\n", b.note.c_str());
        if (b.backend) *where = b.backend->name();
        return std::move(b.backend);
    };
    if (quiet) return h;
    // What the progress lines need from the start of the run.
    struct Progress {
        int steps = 0;
        double last_val = NAN;
    };
    auto progress = std::make_shared<Progress>();
    h.on_start = [tag, progress](const Trainer& t, const std::string& where) {
        const Config& c = t.config();
        progress->steps = c.train.steps;
        std::fprintf(stderr, "%smoelab-cli: training preset %s on %s for %d steps (seed %llu, %lld parameters, %s)\n",
                     tag.c_str(), c.preset.c_str(), t.dataset().name().c_str(), c.train.steps,
                     static_cast<unsigned long long>(c.train.seed),
                     static_cast<long long>(t.model().num_parameters()), where.c_str());
    };
    h.on_step = [tag, progress](const StepMetrics& m, double seconds) {
        if (!std::isnan(m.val_loss)) progress->last_val = m.val_loss;
        const int steps = progress->steps;
        if (m.step != 1 && m.step % std::max(1, steps / 20) != 0 && m.step != steps) return;
        char val[16] = "   -  ";
        if (!std::isnan(progress->last_val)) std::snprintf(val, sizeof val, "%.4f", progress->last_val);
        std::fprintf(stderr, "%sstep %5d/%d  loss %.4f  aux %.4f  val %s  lr %.2e  |g| %.3f  %.0f tok/s  %.1f steps/s\n",
                     tag.c_str(), m.step, steps, m.loss, m.aux_loss, val, m.lr, m.grad_norm, m.tokens_per_s,
                     m.step / std::max(seconds, 1e-9));
    };
    return h;
}

}  // namespace moe::cli
