#include "app/cli_commands.h"
#include "app/cli_config.h"
#include "app/cli_hooks.h"
#include "core/train/run.h"

#include <algorithm>
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
    const std::string out = o.out_dir.empty()
                                ? "runs/" + config.preset + "-seed" + std::to_string(config.train.seed)
                                : o.out_dir;
    const RunOutcome r = train_run(config, out, cli_run_hooks(o.device, o.quiet));
    if (!o.quiet) {
        std::fprintf(stderr, "done: %d steps in %.1f s (%.1f steps/s); final validation loss %.4f nats", r.steps,
                     r.seconds, r.steps / std::max(r.seconds, 1e-9), r.final_val_loss);
        std::fprintf(stderr, " (unigram entropy of the data %.4f nats)\n", r.unigram_entropy);
        std::fprintf(stderr, "wrote %s/{config.json,metrics.csv,routing.csv,model.safetensors}\n", out.c_str());
    }
    return 0;
}

}  // namespace moe::cli
