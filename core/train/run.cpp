#include "core/train/run.h"

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"

#include <chrono>
#include <cmath>
#include <memory>

namespace moe {

RunOutcome train_run(const Config& config, const std::string& out, const RunHooks& hooks) {
    Trainer trainer(config);
    RunOutcome o;
    o.dir = out;
    o.unigram_entropy = trainer.dataset().unigram_entropy();
    if (hooks.backend) trainer.set_backend(hooks.backend(trainer.model(), &o.device));
    RunWriter writer(out, config, trainer.dataset().domain_names());
    if (hooks.on_start) hooks.on_start(trainer, o.device);

    const auto start = std::chrono::steady_clock::now();
    auto last_flush = start;
    auto seconds_since = [](auto t0) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    o.final_val_loss = NAN;
    try {
        for (int s = 0; s < config.train.steps; ++s) {
            if (hooks.stop && hooks.stop()) {
                o.stopped = true;
                break;
            }
            const StepMetrics m = trainer.train_step();
            writer.add(m);
            o.steps = m.step;
            if (!std::isnan(m.val_loss)) o.final_val_loss = m.val_loss;
            if (m.eval) {
                auto summary = std::make_shared<Evaluation>(*m.eval);
                summary->routing.clear();
                summary->routing.shrink_to_fit();
                o.final_eval = std::move(summary);
            }
            o.final_loss = m.loss;
            o.final_aux_loss = m.aux_loss;
            o.final_accuracy = m.accuracy;
            if (hooks.on_step) hooks.on_step(m, seconds_since(start));
            if (seconds_since(last_flush) > 2.0) {
                writer.flush();
                last_flush = std::chrono::steady_clock::now();
            }
        }
    } catch (const TrainingError&) {
        writer.flush();  // everything up to the failing step stays readable
        throw;
    }
    writer.flush();
    save_checkpoint(writer.dir() / "model.safetensors", trainer.model(), trainer.dataset().is_language(),
                    trainer.dataset().num_outputs());
    o.seconds = seconds_since(start);
    return o;
}

}  // namespace moe
