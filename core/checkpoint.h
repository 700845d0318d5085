// Model checkpoints as safetensors with the Hugging Face DeepSeek-MoE parameter names
// (model.layers.{l}.mlp.gate.weight, model.layers.{l}.mlp.experts.{i}.{gate,up,down}_proj.weight,
// model.layers.{l}.mlp.shared_experts.{...}, ...). The header's __metadata__ holds "config": the full config as
// JSON (HF keys plus MoE Lab's own), so a checkpoint is self-describing.
#pragma once

#include "core/config.h"
#include "core/model/model.h"

#include <filesystem>
#include <memory>

namespace moe {

// The HF-style config JSON stored in the metadata (all config keys plus model_type, task, n_classes, ...).
nlohmann::json checkpoint_config_json(const Model& model, bool language, int n_outputs);

// Writes atomically. Throws FileError.
void save_checkpoint(const std::filesystem::path& path, const Model& model, bool language, int n_outputs);

struct LoadedCheckpoint {
    Config config;
    bool language = true;
    int n_outputs = 256;
    std::unique_ptr<Model> model;
};

// Throws FileError (missing, truncated or corrupt file; a tensor missing or of the wrong shape) or ConfigError
// (a stored config that cannot work), each naming the file.
LoadedCheckpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace moe
