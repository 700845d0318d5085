#include "app/cli_run.h"

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"
#include "gpu/gpu_backend.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace moe::cli {

RunOutcome train_run(const Config& config, const std::string& out, const std::string& device_name, bool quiet,
                     const std::string& tag) {
    Trainer trainer(config);
    gpu::BackendChoice backend = gpu::make_step_backend(gpu::parse_compute_device(device_name), trainer.model());
    if (!backend.note.empty()) std::fprintf(stderr, "moelab-cli: %s\n", backend.note.c_str());
    RunOutcome o;
    o.dir = out;
    o.device = backend.backend ? backend.backend->name() : std::string("CPU");
    o.steps = config.train.steps;
    o.unigram_entropy = trainer.dataset().unigram_entropy();
    trainer.set_backend(std::move(backend.backend));
    RunWriter writer(out, config, trainer.dataset().domain_names());
    const int steps = config.train.steps;
    if (!quiet)
        std::fprintf(stderr, "%smoelab-cli: training preset %s on %s for %d steps (seed %llu, %lld parameters, %s) -> %s\n",
                     tag.c_str(), config.preset.c_str(), trainer.dataset().name().c_str(), steps,
                     static_cast<unsigned long long>(config.train.seed),
                     static_cast<long long>(trainer.model().num_parameters()), o.device.c_str(), out.c_str());

    const auto start = std::chrono::steady_clock::now();
    auto last_flush = start;
    o.final_val_loss = NAN;
    try {
        for (int s = 0; s < steps; ++s) {
            const StepMetrics m = trainer.train_step();
            writer.add(m);
            if (!std::isnan(m.val_loss)) o.final_val_loss = m.val_loss;
            o.final_loss = m.loss;
            o.final_aux_loss = m.aux_loss;
            o.final_accuracy = m.accuracy;
            const auto now = std::chrono::steady_clock::now();
            const bool report = m.step == 1 || m.step % std::max(1, steps / 20) == 0 || m.step == steps;
            if (!quiet && report) {
                const double secs = std::chrono::duration<double>(now - start).count();
                std::fprintf(stderr, "%sstep %5d/%d  loss %.4f  aux %.4f  val %s  lr %.2e  |g| %.3f  %.0f tok/s  %.1f steps/s\n",
                             tag.c_str(), m.step, steps, m.loss, m.aux_loss,
                             std::isnan(o.final_val_loss) ? "   -  " : (std::to_string(o.final_val_loss).substr(0, 6)).c_str(),
                             m.lr, m.grad_norm, m.tokens_per_s, m.step / std::max(secs, 1e-9));
            }
            if (std::chrono::duration<double>(now - last_flush).count() > 2.0) {
                writer.flush();
                last_flush = now;
            }
        }
    } catch (const TrainingError&) {
        writer.flush();  // everything up to the failing step stays readable
        throw;
    }
    writer.flush();
    save_checkpoint(writer.dir() / "model.safetensors", trainer.model(), trainer.dataset().is_language(),
                    trainer.dataset().num_outputs());
    o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return o;
}

}  // namespace moe::cli
