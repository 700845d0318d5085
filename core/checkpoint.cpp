#include "core/checkpoint.h"

#include "core/accounting.h"
#include "core/error.h"
#include "core/io/json_text.h"
#include "core/io/safetensors.h"
#include "core/version.h"

#include <span>
#include <utility>

namespace moe {
namespace {

std::string expert_name(const Param& p, int e) {
    std::string name = p.name;
    name.replace(name.find("{e}"), 3, std::to_string(e));
    return name;
}

// Most outputs a stored model may have: 256 for the byte LM, a handful of classes for a 2-D classifier.
constexpr int kMaxCheckpointOutputs = 256;

int64_t numel(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
}

}  // namespace

nlohmann::json checkpoint_config_json(const Model& model, bool language, int n_outputs) {
    nlohmann::json j = config_to_json(model.config());
    j["model_type"] = "deepseek";
    j["task"] = language ? "causal_lm" : "classifier_2d";
    j["n_classes"] = n_outputs;
    j["moe_layer_freq"] = 1;
    j["num_key_value_heads"] = model.config().model.num_attention_heads;
    j["moelab_version"] = version_string();
    return j;
}

void save_checkpoint(const std::filesystem::path& path, const Model& model, bool language, int n_outputs) {
    SafetensorsFile file;
    file.metadata["format"] = "pt";
    file.metadata["config"] = checkpoint_config_json(model, language, n_outputs).dump();
    for (const Param& p : model.params()) {
        if (p.stacked > 0) {
            const int64_t rows = p.w.rows() / p.stacked;
            for (int e = 0; e < p.stacked; ++e)
                file.add(expert_name(p, e),
                         make_tensor_f32(p.shape, std::span<const float>(p.w.data() + e * rows * p.w.cols(),
                                                                         static_cast<size_t>(rows * p.w.cols()))));
        } else {
            file.add(p.name, make_tensor_f32(p.shape, std::span<const float>(p.w.data(), static_cast<size_t>(p.w.size()))));
        }
    }
    save_safetensors(path, file);
}

LoadedCheckpoint load_checkpoint(const std::filesystem::path& path) {
    const SafetensorsFile file = load_safetensors(path);
    const std::string where = "checkpoint " + path.string();
    auto it = file.metadata.find("config");
    if (it == file.metadata.end())
        throw FileError(where + " has no \"config\" in its metadata: it was not written by MoE Lab; use a checkpoint "
                                "from `moelab-cli train --out DIR` (DIR/model.safetensors)");
    nlohmann::json j;
    try {
        j = parse_json(it->second, where + ": the stored config");
    } catch (const FileError& e) {
        throw FileError(std::string(e.what()) + " (the file is corrupt); re-save the model");
    }
    if (!j.is_object())
        throw FileError(where + ": the stored config is not a JSON object (the file is corrupt); re-save the model");
    LoadedCheckpoint out;
    // Read strictly, not with j.value(): that throws a bare JSON type_error for {"n_classes": "x"} and casts a
    // 1e20 or a 2^40 to int unchecked.
    if (auto task = j.find("task"); task != j.end()) {
        if (!task->is_string() || (*task != "causal_lm" && *task != "classifier_2d"))
            throw FileError(where + ": \"task\" in its stored config is " + describe_json_value(*task) +
                            ", not \"causal_lm\" or \"classifier_2d\" (the file is corrupt); re-save the model");
        out.language = *task == "causal_lm";
    }
    if (auto classes = j.find("n_classes"); classes != j.end()) {
        if (!classes->is_number_integer() || !std::in_range<int>(classes->get<std::int64_t>()) ||
            classes->get<std::int64_t>() < 2 || classes->get<std::int64_t>() > kMaxCheckpointOutputs)
            throw FileError(where + ": \"n_classes\" in its stored config is " + describe_json_value(*classes) +
                            ", not a whole number from 2 to " + std::to_string(kMaxCheckpointOutputs) +
                            " (the file is corrupt); re-save the model");
        out.n_outputs = classes->get<int>();
    }
    for (const char* extra : {"model_type", "task", "n_classes", "moe_layer_freq", "num_key_value_heads"}) j.erase(extra);
    try {
        out.config = config_from_json(j);
    } catch (const ConfigError& e) {
        throw ConfigError(where + ": its stored config cannot be used: " + e.what());
    }
    // Before anything is allocated: a config claiming a model far larger than the file's tensors is refused, so a
    // small file cannot make the loader build gigabytes. (A near miss, e.g. one missing tensor, goes on to the
    // per-tensor checks below, which name the tensor.)
    int64_t stored = 0;
    for (const auto& named : file.tensors) stored += named.second.numel();
    const int64_t expected = account(out.config, out.language, out.n_outputs).total();
    if (expected > 2 * stored + (1 << 20))
        throw FileError(where + ": its tensors hold " + std::to_string(stored) + " values but its stored config " +
                        "describes a model of " + std::to_string(expected) +
                        " parameters: the file is corrupt or was edited; re-save the model");
    try {
        out.model = make_model(out.config, out.language, out.n_outputs);
    } catch (const ConfigError& e) {  // e.g. a language model whose n_classes is not its vocabulary
        throw ConfigError(where + ": its stored config cannot be used: " + e.what());
    }
    for (Param& p : out.model->params()) {
        auto load_into = [&](const std::string& name, float* dst, int64_t count) {
            const Tensor* t = file.find(name);
            if (!t) throw FileError(where + " lacks tensor \"" + name + "\": the file is incomplete or belongs to another model");
            if (t->shape != p.shape)
                throw FileError(where + ": tensor \"" + name + "\" has a shape that does not match the stored config");
            const std::vector<float> v = tensor_to_f32(*t, "'" + name + "' in " + path.string());
            if (static_cast<int64_t>(v.size()) != count)
                throw FileError(where + ": tensor \"" + name + "\" has the wrong number of values");
            std::copy(v.begin(), v.end(), dst);
        };
        if (p.stacked > 0) {
            const int64_t block = p.w.size() / p.stacked;
            for (int e = 0; e < p.stacked; ++e) load_into(expert_name(p, e), p.w.data() + e * block, block);
        } else {
            load_into(p.name, p.w.data(), p.w.size());
        }
        if (numel(p.shape) * std::max(1, p.stacked) != p.w.size())
            throw Error("internal: parameter " + p.name + " has inconsistent shapes");
    }
    return out;
}

}  // namespace moe
