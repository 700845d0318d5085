#include "core/presets.h"

#include "core/error.h"

#include <limits>

namespace moe {

const std::vector<PresetInfo>& presets() {
    static const std::vector<PresetInfo> list = {
        {"deepseek", "DeepSeekMoE, segmentation 4: 1 shared + top-7 of 63 routed experts of width F/4", true},
        {"gshard", "conventional MoE (paper fig. a): top-2 of 16 experts of width F", true},
        {"gshard-x1.5", "GShard x1.5 (paper fig. 4 baseline): top-2 of 16 experts of width 1.5 F (1.5x the budget)",
         false},
        {"shared", "1 shared + top-1 of 15 routed experts of width F (shared-expert isolation only)", true},
        {"fine2", "segmentation 2 (paper fig. b+c): 1 shared + top-3 of 31 routed experts of width F/2", true},
        {"deepseek-v3",
         "DeepSeek-V3 routing on the deepseek budget: sigmoid scores, auxiliary-loss-free bias balancing, 4 of 7 "
         "expert groups per token, sequence aux alpha 0.0001",
         false},
        {"seed-default", "the seed document's default: 2 shared + top-6 of 64 routed experts of width F/4", false},
        {"switch", "Switch-style top-1 of 16 experts of width 2F, unnormalised gate (same activated FLOPs)", false},
        {"switch-cf", "Switch with expert capacity: top-1 of 16 experts of width 2F, capacity factor 1.25, overflow dropped",
         false},
        {"dense", "dense SwiGLU FFN of width 2F in every layer (the activated size of the ladder)", false},
    };
    return list;
}

namespace {

// F * num / den for a preset's expert width, in 64 bits: 2 F or 3 F of a huge ffn_base_width would wrap (undefined,
// and in practice a silently tiny expert). The result's own bound is validate_config's.
int scaled_width(const std::string& preset, int F, int num, int den) {
    const long long w = static_cast<long long>(F) * num / den;
    if (w > std::numeric_limits<int>::max())
        throw ConfigError("ffn_base_width = " + std::to_string(F) + " is far too large for preset " + preset +
                          " (its experts would be " + std::to_string(w) + " wide): use at most " +
                          std::to_string(kMaxWidth * 4));
    return static_cast<int>(w);
}

}  // namespace

void apply_preset(const std::string& name, Config& config) {
    ModelConfig& m = config.model;
    const int F = m.ffn_base_width;
    auto ladder = [&](int segmentation, int shared) {
        m.segmentation = segmentation;
        m.ladder_experts = 16;
        m.ladder_top_k = 2;
        m.n_shared_experts = shared;
        m.norm_topk_prob = true;
        m.first_k_dense_replace = 0;
        derive_ladder(m);  // so the expert keys are right even if a later setting turns the ladder off
    };
    auto direct = [&](int routed, int shared, int top_k, int width, bool norm) {
        m.segmentation = 0;
        m.n_routed_experts = routed;
        m.n_shared_experts = shared;
        m.num_experts_per_tok = top_k;
        m.moe_intermediate_size = width;
        m.norm_topk_prob = norm;
        m.first_k_dense_replace = 0;
    };
    if (name == "gshard") {
        ladder(1, 0);
    } else if (name == "gshard-x1.5") {
        // DeepSeekMoE's redundancy comparison (Fig. 4): GShard with experts 1.5x wider, 1.5x the total and activated
        // expert parameters of the ladder, which the paper found to match DeepSeekMoE's loss.
        direct(16, 0, 2, scaled_width(name, F, 3, 2), true);
    } else if (name == "shared") {
        ladder(1, 1);
    } else if (name == "fine2") {
        ladder(2, 1);
    } else if (name == "deepseek") {
        ladder(4, 1);
    } else if (name == "deepseek-v3") {
        // The deepseek ladder point (1 shared + top-7 of 63 routed, width F/4: the same budgets) routed as
        // DeepSeek-V3 routes: sigmoid affinities normalised over the chosen experts, a selection bias moved by
        // gamma = 0.001 per step instead of a real balance loss (only the tiny sequence-level one stays), and
        // group-limited choice: 63 experts in n_group = 7 groups of 9, a token's experts from its topk_group = 4
        // best groups by the sum of each group's two best scores. routed_scaling_factor stays 1 (V3's 2.5 balances
        // its 8 of 256 routed experts against the shared one; here the weights keep the ladder's scale).
        ladder(4, 1);
        m.scoring_func = "sigmoid";
        m.topk_method = "noaux_tc";
        m.bias_update_rate = 0.001;
        m.aux_loss_alpha = 0.0001;
        m.seq_aux = true;
        m.devices = 7;
        m.device_limit = 4;
        m.device_routing = "group";
    } else if (name == "seed-default") {
        direct(64, 2, 6, F / 4, true);
    } else if (name == "switch") {
        direct(16, 0, 1, scaled_width(name, F, 2, 1), false);
    } else if (name == "switch-cf") {
        // Switch Transformer as trained: top-1, unnormalised gate, each expert takes at most 1.25 x its even share
        // of the batch (ceil(1.25 N / 16) tokens); the overflow is dropped, largest gate weights kept.
        direct(16, 0, 1, scaled_width(name, F, 2, 1), false);
        m.capacity_factor = 1.25;
        m.drop_policy = "probs";
    } else if (name == "dense") {
        direct(0, 0, 0, F, true);  // no routed experts: every layer is a dense FFN (as n_routed_experts = None in HF)
        m.intermediate_size = scaled_width(name, F, 2, 1);
    } else {
        std::string names;
        for (const auto& p : presets()) names += (names.empty() ? "" : ", ") + p.name;
        throw ConfigError("unknown preset \"" + name + "\": choose one of " + names);
    }
    config.preset = name;
}

}  // namespace moe
