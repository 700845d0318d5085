#include "app/cli_config.h"

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace moe::cli {

Config load_cli_config(const std::string& preset, const std::string& config_file, const std::vector<std::string>& settings) {
    std::string text;
    if (!config_file.empty()) {
        try {
            text = read_file(config_file);
        } catch (const FileError& e) {
            throw ConfigError(std::string("cannot read the config file: ") + e.what());
        }
        if (text.find_first_not_of(" \t\r\n") == std::string::npos)
            throw ConfigError("the config file \"" + config_file + "\" is empty: give a JSON object such as {\"hidden_size\": 64}");
    }
    try {
        return resolve_config(preset, text, settings);
    } catch (const ConfigError& e) {
        if (!config_file.empty() && std::string(e.what()).find("config file") != std::string::npos)
            throw ConfigError(std::string(e.what()) + " [" + config_file + "]");
        throw;
    }
}

}  // namespace moe::cli
