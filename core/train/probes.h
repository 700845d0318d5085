// DeepSeekMoE's evaluation probes (§4.5 of the paper), run on a trained model over the fixed validation set:
//
//   mask top-r   (Fig. 4)  each token's r best routed experts are excluded and the top-k is re-picked from the rest.
//                          A model whose experts overlap (GShard) loses little, one whose experts each hold
//                          distinct knowledge (DeepSeekMoE) loses more: the curve measures redundancy.
//                          Plotted against r and against the masked ratio r / N_r (the paper's x axis).
//   shared off             the shared experts' output set to zero: how much the always-on experts carry (the paper:
//                          Pile loss 1.808 -> 2.414).
//   active k'    (Fig. 5)  only the top k' of the k routed experts kept, their weights rescaled to the full sum.
//
// Every point is one evaluate_model() pass with a RoutingProbe set (core/moe/router.h) and is compared with the
// baseline, the same pass with no probe. The probes at their neutral setting (r = 0, k' = k, shared on) ARE the
// baseline: those points are the baseline Evaluation itself (bit-identical by construction, and tested so).
// The model is left as it was found: its probe is restored on return, also on an exception or a stop.
#pragma once

#include "core/model/model.h"
#include "datasets/dataset.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace moe {

struct ProbeOptions {
    int r_max = 4;            // mask top-r for r = 0..r_max (points with r > N_r - k are reported unavailable)
    bool mask = true;         // run the mask top-r curve
    bool shared_off = true;   // run the shared-off point
    bool active_k = true;     // run the k' = 1..k curve
};

// One probe setting and what the model scored with it.
struct ProbePoint {
    // mask top-r: x = r,  ratio = r / N_r (the masked share of the routed experts)
    // active k':  x = k', ratio = k' / k (the kept share of the activated routed experts)
    // shared off: x = K_s (shared experts switched off), ratio = 1 (all of them)
    int x = 0;
    double ratio = 0.0;
    // False when the setting cannot run on this model: r > N_r - k, shared-off with K_s = 0, a device limit that
    // left some token fewer than k candidates after masking, or a run stopped before the point. Then loss and
    // domain_loss are NaN.
    bool available = true;
    // Why the point is (un)available, for a person: "masking 4 of 16 experts leaves 12 >= k = 2: fine", "cannot
    // mask r = 15 of 16 experts: only 1 left for top-2", "model has no shared expert (n_shared_experts = 0): ...".
    std::string reason;
    double loss = 0.0;                 // mean validation cross-entropy (nats per token / point)
    std::vector<double> domain_loss;   // [domain] (NaN for a domain without tokens)
    double delta = 0.0;                // loss - the baseline's loss (NaN when unavailable)
};

struct ProbeResults {
    // The model's MoE layers (all alike: every MoE layer has the same N_r, k and K_s).
    int moe_layers = 0;
    int n_routed = 0;  // N_r
    int top_k = 0;     // k
    int n_shared = 0;  // K_s
    int device_limit = 0;  // M (0 = no device limit)

    // The ordinary model on the same set (what evaluate_model returns without a probe).
    double baseline_loss = 0.0;
    std::vector<double> baseline_domain_loss;  // [domain]
    int64_t tokens = 0;

    std::vector<ProbePoint> mask;      // r = 0..r_max in order (r = 0 is the baseline); empty if not asked
    ProbePoint shared_off;             // valid only when shared_off was asked (see has_shared_off)
    bool has_shared_off = false;
    std::vector<ProbePoint> active_k;  // k' = 1..k in order (k' = k is the baseline); empty if not asked

    bool stopped = false;  // the stop flag was raised: the points not yet run are unavailable ("stopped")
};

// One probed model as the tables and the GUI name it.
struct ProbeModel {
    std::string name;                  // a label, e.g. the preset ("deepseek"); unique within one table
    std::string checkpoint;            // the file it came from (empty for a model in memory)
    std::vector<std::string> domains;  // the names of the domains of every domain_loss
    ProbeResults results;
};

// The tables of one or more probed models:
//   probes.csv   long format, one row per point: model, probe, x, ratio, loss, loss_<domain>..., available, reason
//                probe = baseline | mask_top_r | shared_off | active_k (x and ratio as in ProbePoint; the
//                baseline row has x = 0, ratio 0); loss cells are empty when unavailable. The domain columns are
//                the union of the models' domains in order of appearance (empty where a model lacks one).
//   probes.json  {"models": [{name, checkpoint, n_routed, top_k, n_shared, moe_layers, device_limit, tokens,
//                 baseline: {loss, domain_loss: {domain: loss}}, mask_top_r: [point...], shared_off: point | null,
//                 active_k: [point...], stopped}]}, a point being {x, ratio, loss, delta, domain_loss, available,
//                 reason}, NaN written as null.
std::string probe_csv(const std::vector<ProbeModel>& models);
nlohmann::json probe_json(const std::vector<ProbeModel>& models);
// The tables for a person: the models' sizes and baselines, loss against r (with r / N_r), the shared-off jump, and
// loss against k', with the reasons for the points that could not run.
std::string probe_table_text(const std::vector<ProbeModel>& models);
// Writes dir/probes.csv and dir/probes.json, each atomically (the folder is created). Throws FileError.
void write_probe_files(const std::filesystem::path& dir, const std::vector<ProbeModel>& models);

// Called after each point (done of total evaluations, the baseline included) from the calling thread.
using ProbeProgress = std::function<void(int done, int total)>;

// Runs the probes on `model` over `set` (Dataset::validation_set) with n_domains domains. Forward only: the
// parameters are not changed and the model's previous probe is restored on return. `stop` (optional) is checked
// between points. Throws ConfigError when the model has no MoE layer, or r_max is negative.
ProbeResults run_probes(Model& model, const std::vector<Batch>& set, int n_domains, const ProbeOptions& options = {},
                        const ProbeProgress& progress = {}, const std::atomic<bool>* stop = nullptr);

}  // namespace moe
