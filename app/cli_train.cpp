#include "app/cli_commands.h"
#include "app/cli_config.h"
#include "app/cli_hooks.h"
#include "core/train/run.h"
#include "core/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace moe::cli {
namespace {

// "prose 1.2345  code 0.8765 ...": the per-domain validation losses of an evaluation.
std::string domain_losses(const Evaluation& e, const std::vector<std::string>& domains) {
    std::string s;
    char buf[64];
    for (size_t d = 0; d < e.domain_loss.size(); ++d) {
        const std::string name = d < domains.size() ? domains[d] : "domain " + std::to_string(d);
        std::snprintf(buf, sizeof buf, "%.4f", e.domain_loss[d]);
        s += (d == 0 ? "" : "  ") + name + " " + buf;
    }
    return s;
}

// The progress lines of cli_run_hooks, plus a line with the per-domain validation losses at each evaluation.
RunHooks train_hooks(const TrainOptions& o, std::shared_ptr<std::vector<std::string>> domains) {
    RunHooks h = cli_run_hooks(o.device, o.quiet);
    if (o.quiet) return h;
    h.on_start = [start = h.on_start, domains](const Trainer& t, const std::string& device) {
        *domains = t.dataset().domain_names();
        if (start) start(t, device);
    };
    h.on_step = [step = h.on_step, domains](const StepMetrics& m, double seconds) {
        if (step) step(m, seconds);
        if (!m.eval) return;
        std::fprintf(stderr, "      eval %5d  val %.4f  acc %.3f  | %s\n", m.step, m.eval->loss, m.eval->accuracy,
                     domain_losses(*m.eval, *domains).c_str());
    };
    return h;
}

}  // namespace

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
    auto domains = std::make_shared<std::vector<std::string>>();
    const RunOutcome r = train_run(config, out, train_hooks(o, domains),
                                   o.overwrite ? ExistingFolder::replace : ExistingFolder::refuse);
    if (!o.quiet) {
        std::fprintf(stderr, "done: %d steps in %.1f s (%.1f steps/s); final validation loss %.4f nats", r.steps,
                     r.seconds, r.steps / std::max(r.seconds, 1e-9), r.final_val_loss);
        std::fprintf(stderr, " (unigram entropy of the data %.4f nats)\n", r.unigram_entropy);
        if (const Evaluation* e = r.final_eval.get()) {
            std::fprintf(stderr, "final evaluation on the fixed validation set (%lld tokens): accuracy %.4f\n",
                         static_cast<long long>(e->tokens), e->accuracy);
            std::fprintf(stderr, "  val loss per domain: %s\n", domain_losses(*e, *domains).c_str());
            for (const LayerEvaluation& l : e->layers)
                std::fprintf(stderr, "  layer %d: MaxVio_global %.3f  domain specialisation %.3f\n", l.layer,
                             l.max_violation, l.domain_specialisation);
        }
        const bool moe = r.final_eval && !r.final_eval->layers.empty();
        std::fprintf(stderr, "wrote %s/{config.json,metrics.csv,routing.csv,%smodel.safetensors}\n", out.c_str(),
                     moe ? "val_routing.csv,coactivation.csv," : "");
    }
    return 0;
}

}  // namespace moe::cli
