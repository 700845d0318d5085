// The full, resolved configuration of a run: model, training and data. One flat namespace of keys, the Hugging
// Face DeepSeek names wherever one exists (hidden_size, n_routed_experts, num_experts_per_tok, ...), plain
// descriptive names for the rest. The same keys are used in JSON config files, in `--set key=value`, in
// config.json of a run folder and in a checkpoint's metadata.
#pragma once

#include "datasets/dataset.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace moe {

struct DeviceSpec;  // core/moe/device_routing.h

struct ModelConfig {
    int vocab_size = 256;  // bytes (LM); a 2-D classifier uses the dataset's class count instead
    int hidden_size = 64;
    int num_hidden_layers = 2;
    int num_attention_heads = 4;
    int max_position_embeddings = 256;  // longest sequence the model accepts (learned positions table size)
    std::string position_embedding = "rope";  // rope | learned
    double rope_theta = 10000.0;
    double rms_norm_eps = 1e-6;
    int intermediate_size = 256;  // width of a dense FFN layer
    // MoE layers (all layers from first_k_dense_replace on).
    int moe_intermediate_size = 32;
    int n_routed_experts = 63;
    int n_shared_experts = 1;
    int num_experts_per_tok = 7;
    bool norm_topk_prob = true;
    std::string scoring_func = "softmax";  // softmax (DeepSeekMoE, V2) | sigmoid (DeepSeek-V3)
    double routed_scaling_factor = 1.0;    // the routed experts' combine weights are multiplied by it (V3: 2.5)
    // Expert selection: greedy (top-k of the scores) | noaux_tc (DeepSeek-V3's auxiliary-loss-free balancing: a
    // per-expert bias, not trained by gradients, is added to the scores for the choice only and moved by
    // bias_update_rate after every step towards equal loads; checkpoint name ...mlp.gate.e_score_correction_bias).
    std::string topk_method = "greedy";
    double bias_update_rate = 0.001;  // gamma of noaux_tc: b_i += gamma * sign(mean load - load_i) per step
    // GShard / Switch expert capacity: each expert takes at most ceil(capacity_factor * N k / N_r) of a batch's
    // token-slots; the others are dropped (their weight is 0, the residual carries the token). 0 = dropless.
    double capacity_factor = 0.0;
    std::string drop_policy = "probs";  // probs (keep the largest weights) | position (keep the earliest tokens)
    double aux_loss_alpha = 0.01;
    bool seq_aux = true;
    double router_z_loss_coef = 0.0;  // ST-MoE router z-loss c_z (0 = off)
    int first_k_dense_replace = 0;
    double initializer_range = 0.02;
    // The paper's budget ladder: when segmentation m > 0, the routed-expert keys are derived from a conventional
    // MoE of ladder_experts (N) experts of width ffn_base_width (F), top ladder_top_k (K):
    //   n_routed_experts = m N - K_s,  num_experts_per_tok = m K - K_s,  moe_intermediate_size = F / m.
    int segmentation = 4;
    int ladder_experts = 16;
    int ladder_top_k = 2;
    int ffn_base_width = 128;
    std::string moe_impl = "fast";  // fast | reference (the plain mask-loop path, for checking)
    // Simulated expert parallelism (core/moe/device_routing.h): routed experts placed on `devices` devices, each
    // token limited to experts on `device_limit` of them, and DeepSeek-V2's device-level balance losses.
    int devices = 1;                          // D; 1 = no expert parallelism
    int device_limit = 0;                     // M; 0 = off
    std::string placement = "contiguous";     // contiguous | round_robin
    std::string device_routing = "device";    // device (V2: best expert) | group (V3: sum of the top-2)
    double device_aux_alpha = 0.0;            // L_DevBal coefficient (0 = off)
    double comm_aux_alpha = 0.0;              // L_CommBal coefficient (0 = off)
};

// Largest eval_sequences validate_config accepts (an evaluation of 4096 windows per domain is already minutes).
inline constexpr int kMaxEvalSequences = 4096;
// Upper bounds of validate_config: far above any classroom model, low enough that a mistyped or hostile value is
// refused before anything is allocated. Widths (hidden_size, heads) up to kMaxWidth, FFN and expert widths up to
// 4 kMaxWidth, and the whole model up to kMaxParameters parameters (counted by core/accounting.h).
inline constexpr int kMaxWidth = 8192;
inline constexpr int kMaxLayers = 64;
inline constexpr int kMaxExperts = 4096;
inline constexpr int kMaxSequence = 8192;
inline constexpr int kMaxBatch = 8192;
inline constexpr int kMaxPoints = 1000000;
inline constexpr int kMaxSteps = 100'000'000;  // days of training even for the smallest model
inline constexpr long long kMaxParameters = 200'000'000;

struct TrainConfig {
    uint64_t seed = 1;
    int steps = 500;
    int batch_size = 8;
    int seq_len = 64;
    double learning_rate = 3e-3;
    double min_lr_ratio = 0.1;  // cosine decays to learning_rate * min_lr_ratio
    int warmup_steps = 30;
    double weight_decay = 0.1;
    double adam_beta1 = 0.9;
    double adam_beta2 = 0.95;
    double adam_eps = 1e-8;
    double grad_clip = 1.0;  // global gradient-norm clip; 0 = off
    int eval_interval = 50;  // evaluation on the fixed validation set every n steps (and at the last step)
    int eval_sequences = 16;  // validation windows per domain in the fixed validation set (2-D sets: every point)
    int routing_interval = 10;  // routing statistics (routing.csv) every n steps
    int threads = 0;  // 0 = all cores; results are identical for any value
};

struct Config {
    std::string preset = "deepseek";
    ModelConfig model;
    TrainConfig train;
    DataConfig data;
};

// One configuration key: its name, JSON type, help text and accessors.
struct ConfigKey {
    std::string name;
    std::string type;  // int | float | bool | string
    std::string help;
    std::function<nlohmann::json(const Config&)> get;
    std::function<void(Config&, const nlohmann::json&)> set;  // throws ConfigError on a wrong type
    // Another name of the key `alias_of` (the Hugging Face DeepSeek-V3 name of a key MoE Lab had first): it sets the
    // same field, is accepted on input, and is not written out (config_to_json writes the key it names).
    std::string alias_of = {};
};
const std::vector<ConfigKey>& config_keys();

// Every key and value, flat, including the preset name.
nlohmann::json config_to_json(const Config& config);

// Builds a configuration: preset, then the keys of a JSON config text (if any), then `key=value` settings, then
// the derived keys (ladder) and validation. Throws ConfigError naming the problem: unknown preset or key (with
// the closest valid name), a malformed JSON text, a value of the wrong type, or an impossible combination.
Config resolve_config(const std::string& preset, const std::string& json_text,
                      const std::vector<std::string>& key_value_settings);
// Same, from an already parsed JSON object (a run folder's config.json or a checkpoint's metadata).
Config config_from_json(const nlohmann::json& json);

// When segmentation > 0: sets n_routed_experts, num_experts_per_tok and moe_intermediate_size from the ladder keys.
// Throws ConfigError when K_s leaves no routed expert in the activated budget or F is not divisible by m.
void derive_ladder(ModelConfig& model);

// Throws ConfigError if the configuration cannot work.
void validate_config(const Config& config);

// True when the MoE layers use DeepSeek-V3's auxiliary-loss-free balancing (topk_method = noaux_tc).
bool uses_selection_bias(const ModelConfig& model);

// True when layer l (0-based) is an MoE layer rather than a dense FFN.
bool is_moe_layer(const ModelConfig& model, int layer);

// The simulated devices of the MoE layers, from the keys devices, device_limit, placement, device_routing,
// device_aux_alpha and comm_aux_alpha. Throws ConfigError for an unknown placement or device routing.
DeviceSpec device_spec_of(const ModelConfig& model);

}  // namespace moe
