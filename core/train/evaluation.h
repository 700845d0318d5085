// Evaluation on the fixed validation set (Dataset::validation_set): the same held-out sequences for every model,
// seed and run, every one of them evaluated, in a fixed order, so a loss difference between two runs is a
// difference between the models, not between the samples they happened to be scored on. Forward only, on the CPU
// reference model (a GPU backend's weights are downloaded first by the Trainer), deterministic for any thread count.
#pragma once

#include "core/model/model.h"
#include "core/moe/routing_measures.h"
#include "datasets/dataset.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

// Per MoE layer, the summaries shown in views and written to metrics.csv at each evaluation.
struct LayerEvaluation {
    int layer = 0;
    std::vector<int64_t> load;              // [N_r] token-slots over the whole validation set
    std::vector<double> mean_prob;          // [N_r] mean gate probability
    double max_violation = 0.0;             // MaxVio_global
    double balance_statistic = 0.0;         // N_r * sum f_i P_i over the validation set
    double domain_specialisation = 0.0;     // I(domain; expert) / H(domain)
    std::vector<double> top_expert_relative_load;  // [domain]
    double byte_specialisation = 0.0;       // NaN on 2-D sets
    double saturation = 0.0;                // against the reference routing (NaN when there is none yet)
    std::vector<std::vector<int64_t>> domain_load;  // [domain][expert] token-slots
    std::vector<double> coactivation;       // [N_r * N_r], see routing_measures.h
};

struct Evaluation {
    double loss = 0.0;      // mean cross-entropy over every validation token (point)
    double accuracy = 0.0;  // argmax == target
    int64_t tokens = 0;
    std::vector<double> domain_loss;       // [domain] mean over that domain's tokens (NaN if it has none)
    std::vector<double> domain_accuracy;   // [domain]
    std::vector<int64_t> domain_tokens;    // [domain]; loss = sum_d domain_tokens[d] * domain_loss[d] / tokens
    std::vector<LayerEvaluation> layers;   // MoE layers only
    std::vector<TokenRouting> routing;     // per MoE layer, token by token (for saturation and specialisation)
};

// Runs `model` over every batch of `set` and measures. `reference` (optional, same set) is the routing of an
// earlier evaluation that router saturation compares against; pass null for none.
Evaluation evaluate_model(Model& model, const std::vector<Batch>& set, int n_domains,
                          const std::vector<TokenRouting>* reference = nullptr);

}  // namespace moe
