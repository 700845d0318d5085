// Any text as a JSON config file on top of a preset: resolve_config either returns a valid config or throws
// moe::Error (ConfigError naming the key), and never builds anything large.
#include "core/config.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const moe::Config c = moe::resolve_config("deepseek", std::string(moe::fuzz::as_text(data, size)), {});
        (void)moe::config_to_json(c).dump();
    } catch (const moe::Error&) {
    }
    return 0;
}
