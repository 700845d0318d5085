// Everything one model's snapshot shows about its past: the curves and, per MoE layer, the latest routing sample,
// the domain loads accumulated since the start and the utilisation over time. Everything appended goes through the
// downsampled containers, so memory stays flat however long a run is. Fed by the live session (StepMetrics) and by
// the run-folder reader (rows of metrics.csv and routing.csv), so a saved run looks exactly like a live one.
#pragma once

#include "core/config.h"
#include "core/train/metrics.h"
#include "ui/session/eval_history.h"
#include "ui/session/series.h"
#include "ui/session/snapshot.h"

#include <deque>
#include <vector>

namespace moe::ui {

class ModelHistory {
public:
    explicit ModelHistory(const ModelConfig& model = {});
    void reset(const ModelConfig& model);

    // The curves of one step, and its routing samples if it has any (StepMetrics::routing).
    void add_step(const StepMetrics& m);
    // One routing sample of one MoE layer at `step`.
    void add_routing(int step, const RoutingStats& stats, const LayerBalance& balance);

    // Writes the curves, the layers and final_val_loss into `out` (other fields are left as they are).
    void fill(ModelSnapshot& out) const;

    // The evaluations on the fixed validation set (filled by add_step from StepMetrics::eval, or by a run reader).
    EvalHistory& eval() { return eval_; }

private:
    struct Layer {
        LayerSnapshot latest;
        DownsampledRows util;
        DownsampledRows bias;  // noaux_tc's selection bias per sample (empty without it)
        std::deque<std::vector<int64_t>> recent_load;   // the last kUtilisationWindow samples' loads
        std::deque<std::vector<double>> recent_prob;    // ... and mean gate probabilities
    };
    Layer& layer(int index, int n_routed);

    ModelConfig model_;
    DownsampledSeries loss_, val_loss_, aux_loss_, z_loss_, lr_, grad_norm_, accuracy_, dispatch_bytes_, remote_devices_;
    DownsampledSeries balance_statistic_, max_violation_;  // means over the MoE layers (snapshot.h)
    DownsampledSeries dropped_;  // the share of token-slots dropped over capacity, mean over the MoE layers
    DownsampledSeries routing_entropy_, dead_share_;       // the same, relative to their baselines (snapshot.h)
    double last_val_;
    std::vector<Layer> layers_;  // ordered by layer index
    EvalHistory eval_;
};

}  // namespace moe::ui
