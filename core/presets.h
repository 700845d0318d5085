// Built-in presets: the paper's ablation ladder scaled down (equal total and activated expert parameters: 16 and
// 2 standard FFNs of width ffn_base_width), the seed document's default, a Switch-style top-1 and a dense baseline.
#pragma once

#include "core/config.h"

#include <string>
#include <vector>

namespace moe {

struct PresetInfo {
    std::string name;
    std::string description;
    bool on_ladder;  // part of the equal-budget ladder (gshard, shared, fine2, deepseek)
};

const std::vector<PresetInfo>& presets();

// Applies a preset's model keys to `config` (other keys are left as they are). Throws ConfigError for an unknown
// name, listing the valid ones.
void apply_preset(const std::string& name, Config& config);

}  // namespace moe
