// Config resolution, presets, validation messages and the parameter accounting of the budget ladder.
#include "core/accounting.h"
#include "core/config.h"
#include "core/error.h"
#include "core/presets.h"

#include "tests/config_error_expect.h"

#include <gtest/gtest.h>

namespace moe {
namespace {

using moe::testing::expect_config_error;

TEST(Presets, LadderMatchesThePaper) {
    const Config gshard = resolve_config("gshard", "", {});
    EXPECT_EQ(gshard.model.n_routed_experts, 16);
    EXPECT_EQ(gshard.model.n_shared_experts, 0);
    EXPECT_EQ(gshard.model.num_experts_per_tok, 2);
    const Config shared = resolve_config("shared", "", {});
    EXPECT_EQ(shared.model.n_routed_experts, 15);
    EXPECT_EQ(shared.model.n_shared_experts, 1);
    EXPECT_EQ(shared.model.num_experts_per_tok, 1);
    const Config fine2 = resolve_config("fine2", "", {});
    EXPECT_EQ(fine2.model.n_routed_experts, 31);
    EXPECT_EQ(fine2.model.num_experts_per_tok, 3);
    EXPECT_EQ(fine2.model.moe_intermediate_size, fine2.model.ffn_base_width / 2);
    const Config ds = resolve_config("deepseek", "", {});
    EXPECT_EQ(ds.model.n_routed_experts, 63);
    EXPECT_EQ(ds.model.n_shared_experts, 1);
    EXPECT_EQ(ds.model.num_experts_per_tok, 7);
    EXPECT_EQ(ds.model.moe_intermediate_size, ds.model.ffn_base_width / 4);
    const Config sd = resolve_config("seed-default", "", {});
    EXPECT_EQ(sd.model.n_routed_experts, 64);
    EXPECT_EQ(sd.model.n_shared_experts, 2);
    EXPECT_EQ(sd.model.num_experts_per_tok, 6);
    const Config sw = resolve_config("switch", "", {});
    EXPECT_EQ(sw.model.num_experts_per_tok, 1);
    EXPECT_FALSE(sw.model.norm_topk_prob);
    const Config dense = resolve_config("dense", "", {});
    for (int l = 0; l < dense.model.num_hidden_layers; ++l) EXPECT_FALSE(is_moe_layer(dense.model, l));
}

TEST(Accounting, LadderPresetsHaveEqualTotalAndActivatedExpertParameters) {
    const Config base = resolve_config("gshard", "", {});
    const Accounting ref = account(base);
    const int64_t d = base.model.hidden_size, F = base.model.ffn_base_width, L = base.model.num_hidden_layers;
    // 16 standard FFNs in total, 2 activated, per layer (SwiGLU: 3 matrices of d x F).
    EXPECT_EQ(ref.experts_total, L * 16 * 3 * d * F);
    EXPECT_EQ(ref.experts_activated, L * 2 * 3 * d * F);
    int ladder = 0;
    for (const auto& p : presets()) {
        if (!p.on_ladder) continue;
        ++ladder;
        const Accounting a = account(resolve_config(p.name, "", {}));
        EXPECT_EQ(a.experts_total, ref.experts_total) << p.name;
        EXPECT_EQ(a.experts_activated, ref.experts_activated) << p.name;
        EXPECT_EQ(a.attention, ref.attention) << p.name;
        EXPECT_EQ(a.flops_experts, ref.flops_experts) << p.name;
    }
    EXPECT_EQ(ladder, 4);
    // The dense baseline activates the same FFN size; switch the same FLOPs with twice the experts.
    EXPECT_EQ(account(resolve_config("dense", "", {})).experts_activated, ref.experts_activated);
    EXPECT_EQ(account(resolve_config("switch", "", {})).experts_activated, ref.experts_activated);
}

TEST(Accounting, CountsMatchTheModelParameters) {
    // total() must equal the sum of all parameter sizes: computed here from the formulas independently.
    const Config c = resolve_config("deepseek", "", {"num_hidden_layers=3", "first_k_dense_replace=1"});
    const Accounting a = account(c);
    const int64_t d = c.model.hidden_size, V = 256, I = c.model.moe_intermediate_size;
    const int64_t moe_layer = 63 * d + (63 + 1) * 3 * d * I;
    const int64_t dense_layer = 3 * d * c.model.intermediate_size;
    const int64_t expected = 2 * V * d + d + 3 * (4 * d * d + 2 * d) + dense_layer + 2 * moe_layer;
    EXPECT_EQ(a.total(), expected);
}

TEST(Config, SettingsAndFilesApplyInOrder) {
    const Config c = resolve_config("gshard", R"({"hidden_size": 96, "learning_rate": 0.001})",
                                    {"learning_rate=0.002", "seq_aux=false", "dataset=spirals"});
    EXPECT_EQ(c.model.hidden_size, 96);
    EXPECT_DOUBLE_EQ(c.train.learning_rate, 0.002);
    EXPECT_FALSE(c.model.seq_aux);
    EXPECT_EQ(c.data.dataset, "spirals");
    EXPECT_EQ(c.preset, "gshard");
    // A config file may name the preset itself.
    EXPECT_EQ(resolve_config("", R"({"preset": "fine2"})", {}).model.n_routed_experts, 31);
}

TEST(Config, LadderKeysDeriveExpertsAndDirectKeysTurnTheLadderOff) {
    const Config more_shared = resolve_config("deepseek", "", {"n_shared_experts=2"});
    EXPECT_EQ(more_shared.model.n_routed_experts, 62);
    EXPECT_EQ(more_shared.model.num_experts_per_tok, 6);
    const Config m8 = resolve_config("deepseek", "", {"segmentation=8"});
    EXPECT_EQ(m8.model.n_routed_experts, 127);
    EXPECT_EQ(m8.model.num_experts_per_tok, 15);
    EXPECT_EQ(m8.model.moe_intermediate_size, m8.model.ffn_base_width / 8);
    const Config direct = resolve_config("gshard", "", {"n_routed_experts=8"});
    EXPECT_EQ(direct.model.n_routed_experts, 8);
    EXPECT_EQ(direct.model.segmentation, 0);
    EXPECT_EQ(direct.model.num_experts_per_tok, 2);
}

TEST(Config, PresetsSizedRelativeToFfnBaseWidthFollowIt) {
    // Presets that state expert widths relative to F must see the F the user sets, whatever the order.
    EXPECT_EQ(resolve_config("seed-default", "", {"ffn_base_width=256"}).model.moe_intermediate_size, 64);
    EXPECT_EQ(resolve_config("switch", "", {"ffn_base_width=256"}).model.moe_intermediate_size, 512);
    EXPECT_EQ(resolve_config("dense", "", {"ffn_base_width=256"}).model.intermediate_size, 512);
    EXPECT_EQ(resolve_config("deepseek", R"({"ffn_base_width": 256})", {}).model.moe_intermediate_size, 64);
    // An explicit expert width still wins over the preset's.
    EXPECT_EQ(resolve_config("seed-default", "", {"ffn_base_width=256", "moe_intermediate_size=16"})
                  .model.moe_intermediate_size,
              16);
}

TEST(Config, RoundTripsThroughJson) {
    const Config c = resolve_config("fine2", "", {"seed=7", "aux_loss_alpha=0.05"});
    const Config back = config_from_json(config_to_json(c));
    EXPECT_EQ(config_to_json(back), config_to_json(c));
}

// DeepSeek-V3's Hugging Face names n_group and topk_group set the simulated devices and the device limit; a stored
// config holds the MoE Lab names only, and reads back to the same model.
TEST(Config, V3GroupNamesAreTheDeviceLimit) {
    const Config c = resolve_config("deepseek", "", {"n_group=7", "topk_group=3", "device_routing=group"});
    EXPECT_EQ(c.model.devices, 7);
    EXPECT_EQ(c.model.device_limit, 3);
    const nlohmann::json j = config_to_json(c);
    EXPECT_FALSE(j.contains("n_group"));
    EXPECT_FALSE(j.contains("topk_group"));
    EXPECT_EQ(config_from_json(j).model.device_limit, 3);
    const Config v3 = resolve_config("deepseek-v3", "", {});
    EXPECT_EQ(v3.model.scoring_func, "sigmoid");
    EXPECT_EQ(v3.model.topk_method, "noaux_tc");
    EXPECT_EQ(v3.model.devices, 7);
    EXPECT_EQ(v3.model.device_limit, 4);
    EXPECT_DOUBLE_EQ(v3.model.aux_loss_alpha, 0.0001);
    // The ladder's budgets: the deepseek point's experts, plus one bias per routed expert and MoE layer.
    const Config ds = resolve_config("deepseek", "", {});
    EXPECT_EQ(v3.model.n_routed_experts, ds.model.n_routed_experts);
    EXPECT_EQ(v3.model.num_experts_per_tok, ds.model.num_experts_per_tok);
    EXPECT_EQ(account(v3).experts_activated, account(ds).experts_activated);
    EXPECT_EQ(account(v3).total(), account(ds).total() + ds.model.n_routed_experts * ds.model.num_hidden_layers);
}

TEST(ConfigErrors, NameTheProblem) {
    expect_config_error([] { resolve_config("gshard", "", {"num_experts_per_tok=20", "n_routed_experts=16"}); },
                        {"num_experts_per_tok", "larger than n_routed_experts"});
    expect_config_error([] { resolve_config("deepseek", "", {"n_shared_experts=8"}); },
                        {"n_shared_experts = 8", "too large"});
    expect_config_error([] { resolve_config("deepseek", "", {"hidden_size=0"}); }, {"hidden_size", "positive"});
    expect_config_error([] { resolve_config("deepseek", "", {"num_hidden_layers=-1"}); },
                        {"num_hidden_layers", "positive"});
    expect_config_error([] { resolve_config("deepseek", "", {"hidden_size=66", "num_attention_heads=4"}); },
                        {"not divisible by num_attention_heads"});
    expect_config_error([] { resolve_config("nope", "", {}); }, {"unknown preset \"nope\"", "deepseek"});
    expect_config_error([] { resolve_config("deepseek", "", {"hiden_size=64"}); },
                        {"unknown config key \"hiden_size\"", "did you mean \"hidden_size\""});
    expect_config_error([] { resolve_config("deepseek", "{\"hidden_size\": 64,", {}); }, {"not valid JSON"});
    expect_config_error([] { resolve_config("deepseek", "[1, 2]", {}); }, {"JSON object"});
    expect_config_error([] { resolve_config("deepseek", "", {"hidden_size=big"}); }, {"hidden_size", "integer"});
    expect_config_error([] { resolve_config("deepseek", "", {"norm_topk_prob=1"}); }, {"norm_topk_prob", "true or false"});
    expect_config_error([] { resolve_config("deepseek", "", {"hidden_size"}); }, {"key=value"});
    expect_config_error([] { resolve_config("deepseek", "", {"segmentation=4", "n_routed_experts=10"}); },
                        {"not both"});
    expect_config_error([] { resolve_config("deepseek", "", {"seq_len=512"}); }, {"max_position_embeddings"});
    expect_config_error([] { resolve_config("deepseek", "", {"scoring_func=tanh"}); }, {"scoring_func", "sigmoid"});
    // The DeepSeek-V3 routing keys (issue: routing variants): each impossible value is named.
    expect_config_error([] { resolve_config("deepseek", "", {"routed_scaling_factor=0"}); },
                        {"routed_scaling_factor", "> 0"});
    expect_config_error([] { resolve_config("deepseek", "", {"topk_method=aux_free"}); }, {"topk_method", "noaux_tc"});
    expect_config_error([] { resolve_config("deepseek-v3", "", {"bias_update_rate=-0.001"}); },
                        {"bias_update_rate", ">= 0"});
    expect_config_error([] { resolve_config("deepseek", "", {"scoring_func=sigmoid", "router_z_loss_coef=0.001"}); },
                        {"router_z_loss_coef", "softmax"});
    expect_config_error([] { resolve_config("deepseek", "", {"n_group=4", "devices=4"}); },
                        {"n_group", "devices", "not both"});
    expect_config_error([] { resolve_config("deepseek", "", {"topk_groups=2"}); }, {"did you mean \"topk_group\""});
    expect_config_error([] { resolve_config("switch-cf", "", {"capacity_factor=-0.5"}); }, {"capacity_factor", ">= 0"});
    expect_config_error([] { resolve_config("switch-cf", "", {"drop_policy=random"}); }, {"drop_policy", "position"});
    expect_config_error([] { resolve_config("deepseek", "", {"dataset=text"}); }, {"--data FILE"});
}

}  // namespace
}  // namespace moe
