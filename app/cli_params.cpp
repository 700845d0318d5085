#include "app/cli_commands.h"
#include "app/cli_config.h"
#include "core/accounting.h"
#include "core/presets.h"

#include <iostream>

namespace moe::cli {

int run_params(const ParamsOptions& o) {
    std::vector<std::string> names;
    if (o.all_presets)
        for (const auto& p : presets()) names.push_back(p.name);
    else
        names.push_back(o.preset);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& name : names) {
        const Config config = load_cli_config(name, o.config_file, o.settings);
        const Accounting a = account(config);
        if (o.json) {
            all.push_back({{"preset", config.preset},
                           {"attention", a.attention},
                           {"experts_total", a.experts_total},
                           {"experts_activated", a.experts_activated},
                           {"routed_total", a.routed_total},
                           {"shared_total", a.shared_total},
                           {"dense_ffn", a.dense_ffn},
                           {"router", a.router},
                           {"other", a.other},
                           {"total", a.total()},
                           {"activated", a.activated()},
                           {"flops_per_token_forward",
                            {{"attention", a.flops_attention}, {"experts", a.flops_experts}, {"other", a.flops_other},
                             {"total", a.flops_total()}}}});
        } else {
            std::cout << accounting_table(config, a) << "\n";
        }
    }
    if (o.json) std::cout << (o.all_presets ? all.dump(2) : all[0].dump(2)) << "\n";
    return 0;
}

}  // namespace moe::cli
