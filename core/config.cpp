#include "core/config.h"

#include "core/io/json_text.h"

#include "core/accounting.h"
#include "core/error.h"
#include "core/moe/device_routing.h"
#include "core/presets.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

namespace moe {
namespace {

using nlohmann::json;

[[noreturn]] void wrong_type(const std::string& key, const std::string& want, const json& v) {
    // describe_json_value, never v.dump(): a hostile value may be huge or deeply nested.
    throw ConfigError("config key \"" + key + "\" must be " + want + ", got " + describe_json_value(v));
}

template <class Int>
Int as_int(const std::string& key, const json& v) {
    // Every path range-checks before the cast: a u64 above INT64_MAX read as long long wraps negative, and a double
    // outside Int's range cast to Int is undefined. (v is a number here: its dump is short.)
    auto out_of_range = [&]() -> Int {
        throw ConfigError("config key \"" + key + "\" = " + v.dump() + " is out of range: use " +
                          std::to_string(std::numeric_limits<Int>::min()) + " to " +
                          std::to_string(std::numeric_limits<Int>::max()));
    };
    if (v.is_number_unsigned()) {
        const auto x = v.get<std::uint64_t>();
        return std::in_range<Int>(x) ? static_cast<Int>(x) : out_of_range();
    }
    if (v.is_number_integer()) {
        const auto x = v.get<std::int64_t>();
        return std::in_range<Int>(x) ? static_cast<Int>(x) : out_of_range();
    }
    if (v.is_number_float()) {
        const double x = v.get<double>();
        // Whole numbers up to 2^53 are exact in a double; "8.0" is accepted as 8.
        if (std::isfinite(x) && std::floor(x) == x) {
            if (std::abs(x) > 9007199254740992.0) return out_of_range();
            const auto i = static_cast<std::int64_t>(x);
            return std::in_range<Int>(i) ? static_cast<Int>(i) : out_of_range();
        }
    }
    wrong_type(key, "an integer", v);
}

double as_float(const std::string& key, const json& v) {
    if (!v.is_number()) wrong_type(key, "a number", v);
    const double x = v.get<double>();
    if (!std::isfinite(x)) throw ConfigError("config key \"" + key + "\" must be a finite number");
    return x;
}

bool as_bool(const std::string& key, const json& v) {
    if (!v.is_boolean()) wrong_type(key, "true or false", v);
    return v.get<bool>();
}

std::string as_string(const std::string& key, const json& v) {
    if (!v.is_string()) wrong_type(key, "a string", v);
    return v.get<std::string>();
}

#define KEY_INT(section, field, help)                                                                          \
    ConfigKey{#field, "int", help, [](const Config& c) { return json(c.section.field); },                      \
              [](Config& c, const json& v) { c.section.field = as_int<decltype(c.section.field)>(#field, v); }}
#define KEY_FLOAT(section, field, help)                                                                        \
    ConfigKey{#field, "float", help, [](const Config& c) { return json(c.section.field); },                    \
              [](Config& c, const json& v) { c.section.field = as_float(#field, v); }}
#define KEY_BOOL(section, field, help)                                                                         \
    ConfigKey{#field, "bool", help, [](const Config& c) { return json(c.section.field); },                     \
              [](Config& c, const json& v) { c.section.field = as_bool(#field, v); }}
#define KEY_STRING(section, field, help)                                                                       \
    ConfigKey{#field, "string", help, [](const Config& c) { return json(c.section.field); },                   \
              [](Config& c, const json& v) { c.section.field = as_string(#field, v); }}

// The keys that the ladder derives; setting one of them directly turns the ladder off.
const std::set<std::string> kLadderDerived = {"n_routed_experts", "num_experts_per_tok", "moe_intermediate_size"};
// ffn_base_width is not among them: it also sizes the presets that state their experts directly (switch, ...).
const std::set<std::string> kLadderKeys = {"segmentation", "ladder_experts", "ladder_top_k"};

size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

const ConfigKey& find_key(const std::string& name) {
    for (const auto& k : config_keys())
        if (k.name == name) return k;
    std::string best;
    size_t best_d = 1000;
    for (const auto& k : config_keys()) {
        const size_t d = edit_distance(name, k.name);
        if (d < best_d) best_d = d, best = k.name;
    }
    std::string msg = "unknown config key \"" + name + "\"";
    if (best_d <= std::max<size_t>(3, name.size() / 3)) msg += ": did you mean \"" + best + "\"?";
    msg += " (`moelab-cli train --help` lists every key)";
    throw ConfigError(msg);
}

// "key=value": the value is read as JSON when it parses (numbers, true/false, quoted strings), else as a string.
std::pair<std::string, json> parse_setting(const std::string& setting) {
    const auto eq = setting.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError("--set \"" + setting + "\" must have the form key=value, e.g. --set hidden_size=128");
    const std::string key = setting.substr(0, eq);
    const std::string text = setting.substr(eq + 1);
    json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || value.is_object() || value.is_array()) value = text;
    return {key, value};
}

}  // namespace

namespace {

// a * b for the ladder's derived sizes, or a ConfigError naming both keys (a wrapped int would be undefined
// behaviour and, in practice, a silently wrong model).
int checked_product(const char* key_a, int a, const char* key_b, int b) {
    int product = 0;
    if (__builtin_mul_overflow(a, b, &product) || product > kMaxExperts * 4)
        throw ConfigError(std::string(key_a) + " = " + std::to_string(a) + " times " + key_b + " = " +
                          std::to_string(b) + " is far beyond any model MoE Lab can train (at most " +
                          std::to_string(kMaxExperts) + " routed experts): use smaller values");
    return product;
}

}  // namespace

void derive_ladder(ModelConfig& m) {
    if (m.segmentation <= 0 || m.n_routed_experts == 0) return;
    // Checked first: the derivation subtracts K_s, and a hugely negative K_s would overflow.
    if (m.n_shared_experts < 0)
        throw ConfigError("n_shared_experts = " + std::to_string(m.n_shared_experts) +
                          " must not be negative (0 = no shared experts)");
    // mK activated fine-grained experts
    const int budget = checked_product("segmentation", m.segmentation, "ladder_top_k", m.ladder_top_k);
    if (m.n_shared_experts >= budget)
        throw ConfigError("n_shared_experts = " + std::to_string(m.n_shared_experts) +
                          " is too large for the activated budget: with segmentation m = " +
                          std::to_string(m.segmentation) + " and ladder_top_k K = " + std::to_string(m.ladder_top_k) +
                          " a token activates mK = " + std::to_string(budget) +
                          " fine-grained experts, so K_s must be below " + std::to_string(budget) +
                          " to leave at least one routed expert");
    if (m.ffn_base_width % m.segmentation != 0)
        throw ConfigError("ffn_base_width = " + std::to_string(m.ffn_base_width) + " is not divisible by segmentation " +
                          std::to_string(m.segmentation) + ": choose a width that splits into m equal experts");
    m.n_routed_experts = checked_product("segmentation", m.segmentation, "ladder_experts", m.ladder_experts) -
                         m.n_shared_experts;
    m.num_experts_per_tok = budget - m.n_shared_experts;
    m.moe_intermediate_size = m.ffn_base_width / m.segmentation;
}

namespace {

void apply_json_object(Config& config, const json& object, std::set<std::string>& touched, const std::string& where) {
    if (!object.is_object()) throw ConfigError(where + " must be a JSON object of key: value pairs");
    for (const auto& [key, value] : object.items()) {
        if (key == "preset") continue;  // applied first, by the caller
        if (key == "moelab_version") continue;
        find_key(key).set(config, value);
        touched.insert(key);
    }
}

void finish(Config& config, const std::set<std::string>& touched) {
    for (const auto& k : config_keys())
        if (!k.alias_of.empty() && touched.count(k.name) && touched.count(k.alias_of))
            throw ConfigError("give either " + k.name + " or " + k.alias_of + ", not both: " + k.name +
                              " is the Hugging Face DeepSeek-V3 name of " + k.alias_of);
    bool direct = false, ladder = false;
    for (const auto& k : touched) direct |= kLadderDerived.count(k) > 0, ladder |= kLadderKeys.count(k) > 0;
    if (direct && ladder)
        throw ConfigError(
            "give either the ladder keys (segmentation, ladder_experts, ladder_top_k) or the expert "
            "keys (n_routed_experts, num_experts_per_tok, moe_intermediate_size), not both: the ladder derives the "
            "expert keys");
    if (direct) config.model.segmentation = 0;  // the user states the experts directly
    derive_ladder(config.model);
    validate_config(config);
}

// A key under a second name: it reads and writes the same field as the key `target` (devices or device_limit).
ConfigKey alias_key(const std::string& name, const std::string& target, const std::string& help);

}  // namespace

const std::vector<ConfigKey>& config_keys() {
    static const std::vector<ConfigKey> keys = {
        // Model (Hugging Face DeepSeek names).
        KEY_INT(model, hidden_size, "model width d"),
        KEY_INT(model, num_hidden_layers, "number of transformer blocks (2-D classifier: MoE blocks)"),
        KEY_INT(model, num_attention_heads, "attention heads (hidden_size must be divisible by it)"),
        KEY_INT(model, max_position_embeddings, "longest sequence the model accepts"),
        KEY_STRING(model, position_embedding, "rope | learned"),
        KEY_FLOAT(model, rope_theta, "RoPE base"),
        KEY_FLOAT(model, rms_norm_eps, "RMSNorm epsilon"),
        KEY_INT(model, intermediate_size, "width of a dense FFN layer"),
        KEY_INT(model, moe_intermediate_size, "width of each routed/shared expert"),
        KEY_INT(model, n_routed_experts, "routed experts N_r per MoE layer (0 = dense model)"),
        KEY_INT(model, n_shared_experts, "shared experts K_s, applied to every token"),
        KEY_INT(model, num_experts_per_tok, "top-k routed experts per token"),
        KEY_BOOL(model, norm_topk_prob, "renormalise the top-k gate weights to sum to 1"),
        KEY_STRING(model, scoring_func,
                   "router scores: softmax (DeepSeekMoE) | sigmoid (DeepSeek-V3: sigmoid affinities, weights "
                   "normalised over the chosen experts when norm_topk_prob)"),
        KEY_FLOAT(model, routed_scaling_factor, "the routed experts' combine weights are multiplied by it (V3: 2.5)"),
        KEY_STRING(model, topk_method,
                   "greedy (top-k of the scores) | noaux_tc (DeepSeek-V3 auxiliary-loss-free balancing: a per-expert "
                   "bias added to the scores for the choice only, moved towards equal loads after each step)"),
        KEY_FLOAT(model, capacity_factor,
                  "expert capacity factor CF: at most ceil(CF N k / N_r) token-slots per expert and batch, the rest "
                  "dropped (GShard, Switch; 0 = dropless)"),
        KEY_STRING(model, drop_policy, "over capacity: probs (keep the largest weights) | position (keep the earliest)"),
        KEY_FLOAT(model, bias_update_rate,
                  "noaux_tc: bias update speed gamma, b_i += gamma * sign(mean load - load_i) per step"),
        KEY_FLOAT(model, aux_loss_alpha, "expert-level balance loss weight alpha (0 = off)"),
        KEY_BOOL(model, seq_aux, "balance loss per sequence (true) or over the whole batch (false)"),
        KEY_FLOAT(model, router_z_loss_coef, "router z-loss weight c_z (ST-MoE; c_z * mean logsumexp(logits)^2, 0 = off)"),
        KEY_INT(model, first_k_dense_replace, "the first k layers use a dense FFN instead of MoE"),
        KEY_FLOAT(model, initializer_range, "standard deviation of the normal weight initialisation"),
        KEY_INT(model, segmentation, "ladder: fine-grained segmentation m (0 = state experts directly)"),
        KEY_INT(model, ladder_experts, "ladder: experts N of the conventional MoE the budget comes from"),
        KEY_INT(model, ladder_top_k, "ladder: top-K of the conventional MoE"),
        KEY_INT(model, ffn_base_width, "ladder: width F of one standard FFN expert"),
        KEY_STRING(model, moe_impl, "fast | reference (plain mask-loop path, for checking)"),
        KEY_INT(model, devices, "simulated expert-parallel devices D the routed experts are spread over (1 = none)"),
        KEY_INT(model, device_limit,
                "device-limited routing: each token uses experts on at most M of the D devices (0 = off)"),
        KEY_STRING(model, placement, "contiguous (blocks of N_r / D experts) | round_robin (expert e on device e % D)"),
        KEY_STRING(model, device_routing,
                   "device (a device scores its best expert, DeepSeek-V2) | group (sum of its top-2, DeepSeek-V3)"),
        KEY_FLOAT(model, device_aux_alpha, "device-level balance loss weight alpha_dev (DeepSeek-V2; 0 = off)"),
        alias_key("n_group", "devices", "Hugging Face DeepSeek-V3 name of devices: expert groups (= devices)"),
        alias_key("topk_group", "device_limit",
                  "Hugging Face DeepSeek-V3 name of device_limit: groups a token may use (0 = off)"),
        KEY_FLOAT(model, comm_aux_alpha, "communication balance loss weight alpha_comm (DeepSeek-V2; 0 = off)"),
        // Training.
        KEY_INT(train, seed, "random seed (weights and batches)"),
        KEY_INT(train, steps, "training steps"),
        KEY_INT(train, batch_size, "sequences (2-D: points) per step"),
        KEY_INT(train, seq_len, "tokens per training sequence"),
        KEY_FLOAT(train, learning_rate, "peak learning rate (AdamW)"),
        KEY_FLOAT(train, min_lr_ratio, "final learning rate as a fraction of the peak (cosine)"),
        KEY_INT(train, warmup_steps, "linear warmup steps"),
        KEY_FLOAT(train, weight_decay, "AdamW decoupled weight decay (matrices only)"),
        KEY_FLOAT(train, adam_beta1, "AdamW beta1"),
        KEY_FLOAT(train, adam_beta2, "AdamW beta2"),
        KEY_FLOAT(train, adam_eps, "AdamW epsilon"),
        KEY_FLOAT(train, grad_clip, "global gradient-norm clipping threshold (0 = off)"),
        KEY_INT(train, eval_interval, "validation loss every n steps"),
        KEY_INT(train, eval_sequences,
                "validation sequences per domain in the fixed validation set every evaluation scores (2-D sets: "
                "every validation point)"),
        KEY_INT(train, routing_interval, "routing statistics (routing.csv) every n steps"),
        KEY_INT(train, threads, "CPU threads (0 = all cores); results do not depend on it"),
        // Data.
        KEY_STRING(data, dataset, "corpus | text | spirals | clusters | xor | checkerboard | moons"),
        KEY_STRING(data, data_file, "text file for dataset = text"),
        KEY_FLOAT(data, noise, "2-D sets: noise level"),
        KEY_INT(data, points, "2-D sets: number of points"),
        KEY_INT(data, classes, "2-D sets: spiral arms / clusters"),
        KEY_FLOAT(data, val_fraction, "share of the data held out for validation"),
        KEY_INT(data, corpus_bytes_per_domain, "size of each bundled corpus domain in bytes"),
    };
    return keys;
}

namespace {

ConfigKey alias_key(const std::string& name, const std::string& target, const std::string& help) {
    // config_keys() is still being built when this runs, so the accessors are written out, not looked up.
    ConfigKey k;
    k.name = name;
    k.type = "int";
    k.help = help;
    k.alias_of = target;
    if (target == "devices") {
        k.get = [](const Config& c) { return json(c.model.devices); };
        k.set = [name](Config& c, const json& v) { c.model.devices = as_int<int>(name, v); };
    } else if (target == "device_limit") {
        k.get = [](const Config& c) { return json(c.model.device_limit); };
        k.set = [name](Config& c, const json& v) { c.model.device_limit = as_int<int>(name, v); };
    } else {
        throw InternalError("alias_key: no alias for " + target);
    }
    return k;
}

}  // namespace

nlohmann::json config_to_json(const Config& config) {
    json j;
    j["preset"] = config.preset;
    for (const auto& k : config_keys())
        if (k.alias_of.empty()) j[k.name] = k.get(config);
    return j;
}

Config resolve_config(const std::string& preset, const std::string& json_text,
                      const std::vector<std::string>& key_value_settings) {
    Config config;
    json file = json::object();
    if (!json_text.empty()) {
        try {
            file = parse_json(json_text, "the config file");
        } catch (const FileError& e) {
            throw ConfigError(e.what());
        }
        if (!file.is_object()) throw ConfigError("the config file must hold a JSON object of key: value pairs");
    }
    std::string preset_name = preset;
    if (file.contains("preset")) {
        if (!file["preset"].is_string()) throw ConfigError("config key \"preset\" must be a string");
        if (preset_name.empty()) preset_name = file["preset"].get<std::string>();
    }
    if (preset_name.empty()) preset_name = "deepseek";
    std::set<std::string> touched;
    auto apply_overrides = [&](Config& c) {
        apply_json_object(c, file, touched, "the config file");
        for (const auto& s : key_value_settings) {
            auto [key, value] = parse_setting(s);
            const ConfigKey& k = find_key(key);
            // --set gives text: accept "8" for a string key and "0.5" for a float key without quoting.
            if (k.type == "string" && !value.is_string()) value = s.substr(s.find('=') + 1);
            k.set(c, value);
            touched.insert(key);
        }
    };
    // The overrides go on first so that a preset sized relative to them (expert width from ffn_base_width) sees
    // the final sizes, then the preset, then the overrides again so that every key the user gave wins.
    apply_overrides(config);
    apply_preset(preset_name, config);
    apply_overrides(config);
    finish(config, touched);
    return config;
}

Config config_from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw ConfigError("a stored config must be a JSON object");
    Config config;
    if (j.contains("preset") && j["preset"].is_string()) config.preset = j["preset"].get<std::string>();
    std::set<std::string> touched;
    // Run folders and checkpoints written before the fixed validation set have `eval_batches` (random validation
    // batches per evaluation) instead of eval_sequences: it has no meaning now, so it is dropped, not refused.
    json stored = j;
    stored.erase("eval_batches");
    apply_json_object(config, stored, touched, "the stored config");
    // A stored config is complete and already derived: keep its expert keys as they are.
    if (config.model.segmentation > 0) {
        ModelConfig check = config.model;
        derive_ladder(check);
        if (check.n_routed_experts != config.model.n_routed_experts ||
            check.num_experts_per_tok != config.model.num_experts_per_tok ||
            check.moe_intermediate_size != config.model.moe_intermediate_size)
            config.model.segmentation = 0;
    }
    validate_config(config);
    return config;
}

DeviceSpec device_spec_of(const ModelConfig& m) {
    DeviceSpec d;
    d.devices = m.devices;
    d.limit = m.device_limit;
    d.placement = parse_placement(m.placement);
    d.routing = parse_device_routing(m.device_routing);
    d.dev_alpha = m.device_aux_alpha;
    d.comm_alpha = m.comm_aux_alpha;
    return d;
}

bool uses_selection_bias(const ModelConfig& m) { return m.topk_method == "noaux_tc"; }

bool is_moe_layer(const ModelConfig& m, int layer) {
    return m.n_routed_experts > 0 && layer >= m.first_k_dense_replace;
}

void validate_config(const Config& config) {
    const ModelConfig& m = config.model;
    const TrainConfig& t = config.train;
    auto positive = [](const char* key, long long v) {
        if (v <= 0) throw ConfigError(std::string(key) + " = " + std::to_string(v) + " must be positive");
    };
    positive("hidden_size", m.hidden_size);
    positive("num_hidden_layers", m.num_hidden_layers);
    positive("num_attention_heads", m.num_attention_heads);
    positive("max_position_embeddings", m.max_position_embeddings);
    positive("batch_size", t.batch_size);
    positive("seq_len", t.seq_len);
    positive("eval_interval", t.eval_interval);
    if (t.eval_sequences < 1 || t.eval_sequences > kMaxEvalSequences)
        throw ConfigError("eval_sequences = " + std::to_string(t.eval_sequences) + " is out of range: use 1 to " +
                          std::to_string(kMaxEvalSequences) + " validation sequences per domain, e.g. 16");
    positive("routing_interval", t.routing_interval);
    // Upper bounds: far above any classroom model, low enough that a mistyped or hostile value (a file claiming a
    // 65536-wide, 64-layer model) is refused here instead of allocating gigabytes first.
    struct Limit {
        const char* key;
        long long value, max;
    };
    for (const Limit& l : {Limit{"hidden_size", m.hidden_size, kMaxWidth},
                           Limit{"intermediate_size", m.intermediate_size, kMaxWidth * 4},
                           Limit{"moe_intermediate_size", m.moe_intermediate_size, kMaxWidth * 4},
                           Limit{"num_hidden_layers", m.num_hidden_layers, kMaxLayers},
                           Limit{"num_attention_heads", m.num_attention_heads, kMaxWidth},
                           Limit{"max_position_embeddings", m.max_position_embeddings, kMaxSequence},
                           Limit{"n_routed_experts", m.n_routed_experts, kMaxExperts},
                           Limit{"n_shared_experts", m.n_shared_experts, kMaxExperts},
                           Limit{"num_experts_per_tok", m.num_experts_per_tok, kMaxExperts},
                           Limit{"batch_size", t.batch_size, kMaxBatch},
                           Limit{"seq_len", t.seq_len, kMaxSequence},
                           Limit{"points", config.data.points, kMaxPoints},
                           Limit{"steps", t.steps, kMaxSteps},
                           Limit{"ffn_base_width", m.ffn_base_width, kMaxWidth * 4},
                           Limit{"ladder_experts", m.ladder_experts, kMaxExperts},
                           Limit{"ladder_top_k", m.ladder_top_k, kMaxExperts},
                           Limit{"segmentation", m.segmentation, kMaxExperts}})
        if (l.value > l.max)
            throw ConfigError(std::string(l.key) + " = " + std::to_string(l.value) + " is above MoE Lab's limit of " +
                              std::to_string(l.max) + ": use a smaller value");
    if (t.steps < 0) throw ConfigError("steps = " + std::to_string(t.steps) + " must not be negative");
    if (m.hidden_size % m.num_attention_heads != 0)
        throw ConfigError("hidden_size = " + std::to_string(m.hidden_size) + " is not divisible by num_attention_heads = " +
                          std::to_string(m.num_attention_heads) + ": each head needs hidden_size / heads dimensions");
    if (m.position_embedding != "rope" && m.position_embedding != "learned")
        throw ConfigError("position_embedding = \"" + m.position_embedding + "\": use rope or learned");
    if (m.position_embedding == "rope" && (m.hidden_size / m.num_attention_heads) % 2 != 0)
        throw ConfigError("rotary positions need an even head dimension, but hidden_size / num_attention_heads = " +
                          std::to_string(m.hidden_size / m.num_attention_heads));
    if (t.seq_len > m.max_position_embeddings)
        throw ConfigError("seq_len = " + std::to_string(t.seq_len) + " is longer than max_position_embeddings = " +
                          std::to_string(m.max_position_embeddings) + ": raise max_position_embeddings or shorten seq_len");
    if (!(m.rms_norm_eps > 0)) throw ConfigError("rms_norm_eps must be positive");
    if (!(m.rope_theta > 1)) throw ConfigError("rope_theta must be greater than 1");
    if (!(m.initializer_range > 0)) throw ConfigError("initializer_range must be positive");
    if (m.first_k_dense_replace < 0 || m.first_k_dense_replace > m.num_hidden_layers)
        throw ConfigError("first_k_dense_replace = " + std::to_string(m.first_k_dense_replace) +
                          " must be between 0 and num_hidden_layers = " + std::to_string(m.num_hidden_layers));
    if (m.n_routed_experts < 0) throw ConfigError("n_routed_experts must not be negative (0 = dense model)");
    const DeviceSpec devices = device_spec_of(m);  // unknown placement / device_routing names throw here
    if (m.devices < 1)
        throw ConfigError("devices = " + std::to_string(m.devices) + " must be at least 1 (1 = no expert parallelism)");
    bool any_dense = false, any_moe = false;
    for (int l = 0; l < m.num_hidden_layers; ++l) (is_moe_layer(m, l) ? any_moe : any_dense) = true;
    if (any_dense) positive("intermediate_size", m.intermediate_size);
    if (any_moe) {
        positive("moe_intermediate_size", m.moe_intermediate_size);
        positive("num_experts_per_tok", m.num_experts_per_tok);
        if (m.num_experts_per_tok > m.n_routed_experts)
            throw ConfigError("num_experts_per_tok (top-k) = " + std::to_string(m.num_experts_per_tok) +
                              " is larger than n_routed_experts = " + std::to_string(m.n_routed_experts) +
                              ": a token cannot pick more experts than there are");
        if (m.n_shared_experts < 0) throw ConfigError("n_shared_experts must not be negative");
        if (m.scoring_func != "softmax" && m.scoring_func != "sigmoid")
            throw ConfigError("scoring_func = \"" + m.scoring_func +
                              "\" is not supported: use softmax (DeepSeekMoE) or sigmoid (DeepSeek-V3)");
        if (!(m.routed_scaling_factor > 0) || !std::isfinite(m.routed_scaling_factor))
            throw ConfigError("routed_scaling_factor = " + std::to_string(m.routed_scaling_factor) +
                              " must be a number > 0 (1 = the weights as they are; DeepSeek-V3 uses 2.5)");
        if (m.topk_method != "greedy" && m.topk_method != "noaux_tc")
            throw ConfigError("topk_method = \"" + m.topk_method +
                              "\": use greedy (top-k of the scores) or noaux_tc (DeepSeek-V3 auxiliary-loss-free "
                              "balancing)");
        if (!(m.bias_update_rate >= 0) || !std::isfinite(m.bias_update_rate))
            throw ConfigError("bias_update_rate = " + std::to_string(m.bias_update_rate) +
                              " must be a number >= 0 (DeepSeek-V3 uses 0.001; 0 freezes the bias)");
        if (!(m.capacity_factor >= 0) || !std::isfinite(m.capacity_factor))
            throw ConfigError("capacity_factor = " + std::to_string(m.capacity_factor) +
                              " must be a number >= 0 (0 = dropless; Switch uses 1.25)");
        if (m.drop_policy != "probs" && m.drop_policy != "position")
            throw ConfigError("drop_policy = \"" + m.drop_policy +
                              "\": use probs (keep the largest weights) or position (keep the earliest tokens)");
        if (m.scoring_func == "sigmoid" && m.router_z_loss_coef > 0)
            throw ConfigError("router_z_loss_coef = " + std::to_string(m.router_z_loss_coef) +
                              " needs scoring_func = softmax: the z-loss (ST-MoE) penalises the logsumexp of a "
                              "softmax router's logits; set it to 0 for a sigmoid router");
        if (m.aux_loss_alpha < 0) throw ConfigError("aux_loss_alpha must not be negative");
        if (!(m.router_z_loss_coef >= 0) || !std::isfinite(m.router_z_loss_coef))
            throw ConfigError("router_z_loss_coef = " + std::to_string(m.router_z_loss_coef) +
                              " must be a number >= 0 (0 = off; ST-MoE uses 0.001)");
        if (m.moe_impl != "fast" && m.moe_impl != "reference")
            throw ConfigError("moe_impl = \"" + m.moe_impl + "\": use fast or reference");
        check_device_spec(devices, m.n_routed_experts, m.num_experts_per_tok);
    }
    if (m.segmentation < 0 || m.ladder_experts <= 0 || m.ladder_top_k <= 0 || m.ffn_base_width <= 0)
        throw ConfigError("segmentation must be >= 0 and ladder_experts, ladder_top_k, ffn_base_width positive");
    if (!(t.learning_rate > 0)) throw ConfigError("learning_rate must be positive");
    if (t.min_lr_ratio < 0 || t.min_lr_ratio > 1) throw ConfigError("min_lr_ratio must be between 0 and 1");
    if (t.warmup_steps < 0) throw ConfigError("warmup_steps must not be negative");
    if (t.weight_decay < 0) throw ConfigError("weight_decay must not be negative");
    if (t.adam_beta1 < 0 || t.adam_beta1 >= 1 || t.adam_beta2 < 0 || t.adam_beta2 >= 1)
        throw ConfigError("adam_beta1 and adam_beta2 must be in [0, 1)");
    if (!(t.adam_eps > 0)) throw ConfigError("adam_eps must be positive");
    if (t.grad_clip < 0) throw ConfigError("grad_clip must not be negative (0 = off)");
    if (t.threads < 0) throw ConfigError("threads must not be negative (0 = all cores)");
    const DataConfig& d = config.data;
    if (d.points <= 0) throw ConfigError("points must be positive");
    if (d.noise < 0) throw ConfigError("noise must not be negative");
    if (!(d.val_fraction > 0 && d.val_fraction <= 0.5)) throw ConfigError("val_fraction must be in (0, 0.5]");
    if (d.dataset == "text" && d.data_file.empty())
        throw ConfigError("dataset = text needs a file: --data FILE (or --set data_file=FILE)");
    // Each size is bounded above, but their product may still be a model no CPU session can hold.
    const int64_t params = account(config).total();
    if (params > kMaxParameters)
        throw ConfigError("this model has " + std::to_string(params) + " parameters, above MoE Lab's limit of " +
                          std::to_string(kMaxParameters) + ": reduce hidden_size, num_hidden_layers or the experts");
}

}  // namespace moe
