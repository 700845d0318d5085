// The history of one model's evaluations on the fixed validation set: validation accuracy and per-domain losses,
// and per MoE layer the routing measures (MaxVio_global, balance statistic, domain and byte specialisation, router
// saturation) over the evaluation steps, plus the latest evaluation's tables (co-activation, domain x expert load).
// Downsampled like every curve of the app, so memory stays flat. Fed by the live session (StepMetrics::eval) and by
// the run-folder reader (metrics.csv columns), so a saved run shows the same curves.
#pragma once

#include "core/train/evaluation.h"
#include "ui/session/series.h"
#include "ui/session/snapshot.h"

#include <vector>

namespace moe::ui {

class EvalHistory {
public:
    void clear();
    void add(int step, const Evaluation& eval);
    // One MoE layer's measures at `step` (from a run folder's metrics.csv); NaN values are skipped.
    void add_layer_measures(int step, int layer, double max_violation, double balance_statistic,
                            double domain_specialisation, double byte_specialisation, double saturation);
    // The validation accuracy and per-domain losses at `step` (from a run folder).
    void add_scores(int step, double loss, double accuracy, const std::vector<double>& domain_loss);
    // The latest evaluation's tables of one layer (from a run folder's val_routing.csv and coactivation.csv); the
    // per-domain relative load of the top expert is derived from domain_load.
    void set_tables(int layer, int n_routed, int top_k, const std::vector<std::vector<double>>& domain_load,
                    const std::vector<double>& coactivation);
    void fill(EvalSnapshot& out) const;

private:
    struct Layer {
        int layer = 0;
        int n_routed = 0, top_k = 0;
        DownsampledSeries max_violation, balance_statistic, domain_specialisation, byte_specialisation, saturation;
        std::vector<double> top_expert_relative_load;
        std::vector<std::vector<double>> domain_load;
        std::vector<double> coactivation;
    };
    Layer& layer(int index);

    int last_step_ = 0;
    int64_t tokens_ = 0;
    double loss_ = 0, accuracy_ = 0;
    bool any_ = false;
    std::vector<double> domain_loss_;
    DownsampledSeries accuracy_curve_;
    std::vector<DownsampledSeries> domain_loss_curves_;
    std::vector<Layer> layers_;  // ordered by layer index
};

}  // namespace moe::ui
