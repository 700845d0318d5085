#include "app/cli_commands.h"
#include "app/cli_config.h"
#include "core/checkpoint.h"
#include "core/error.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"
#include "gpu/gpu_backend.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace moe::cli {

int run_train(const TrainOptions& o) {
    std::vector<std::string> settings = o.settings;
    if (o.steps >= 0) settings.push_back("steps=" + std::to_string(o.steps));
    if (o.seed >= 0) settings.push_back("seed=" + std::to_string(o.seed));
    if (!o.data_file.empty()) {
        settings.push_back("dataset=text");
        settings.push_back("data_file=" + o.data_file);
    }
    const Config config = load_cli_config(o.preset, o.config_file, settings);
    Trainer trainer(config);
    gpu::BackendChoice backend = gpu::make_step_backend(gpu::parse_compute_device(o.device), trainer.model());
    if (!backend.note.empty()) std::fprintf(stderr, "moelab-cli: %s\n", backend.note.c_str());
    const std::string device = backend.backend ? backend.backend->name() : std::string("CPU");
    trainer.set_backend(std::move(backend.backend));
    const std::string out = o.out_dir.empty()
                                ? "runs/" + config.preset + "-seed" + std::to_string(config.train.seed)
                                : o.out_dir;
    RunWriter writer(out, config, trainer.dataset().domain_names());
    const int steps = config.train.steps;
    if (!o.quiet)
        std::fprintf(stderr, "moelab-cli: training preset %s on %s for %d steps (seed %llu, %lld parameters, %s) -> %s\n",
                     config.preset.c_str(), trainer.dataset().name().c_str(), steps,
                     static_cast<unsigned long long>(config.train.seed),
                     static_cast<long long>(trainer.model().num_parameters()), device.c_str(), out.c_str());

    const auto start = std::chrono::steady_clock::now();
    auto last_flush = start;
    double last_val = NAN;
    StepMetrics m;
    try {
        for (int s = 0; s < steps; ++s) {
            m = trainer.train_step();
            writer.add(m);
            if (!std::isnan(m.val_loss)) last_val = m.val_loss;
            const auto now = std::chrono::steady_clock::now();
            const bool report = m.step == 1 || m.step % std::max(1, steps / 20) == 0 || m.step == steps;
            if (!o.quiet && report) {
                const double secs = std::chrono::duration<double>(now - start).count();
                std::fprintf(stderr, "step %5d/%d  loss %.4f  aux %.4f  val %s  lr %.2e  |g| %.3f  %.0f tok/s  %.1f steps/s\n",
                             m.step, steps, m.loss, m.aux_loss,
                             std::isnan(last_val) ? "   -  " : (std::to_string(last_val).substr(0, 6)).c_str(), m.lr,
                             m.grad_norm, m.tokens_per_s, m.step / std::max(secs, 1e-9));
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
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!o.quiet) {
        std::fprintf(stderr, "done: %d steps in %.1f s (%.1f steps/s); final validation loss %.4f nats",
                     steps, secs, steps / std::max(secs, 1e-9), last_val);
        std::fprintf(stderr, " (unigram entropy of the data %.4f nats)\n", trainer.dataset().unigram_entropy());
        std::fprintf(stderr, "wrote %s/{config.json,metrics.csv,routing.csv,model.safetensors}\n", out.c_str());
    }
    return 0;
}

}  // namespace moe::cli
