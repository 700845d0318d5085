// Turns --preset / --config FILE / --set options into a resolved config (shared by train and params).
#pragma once

#include "core/config.h"

#include <string>
#include <vector>

namespace moe::cli {

Config load_cli_config(const std::string& preset, const std::string& config_file, const std::vector<std::string>& settings);

}  // namespace moe::cli
