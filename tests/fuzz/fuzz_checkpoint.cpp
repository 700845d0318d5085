// Any bytes as model.safetensors: load_checkpoint either returns a model that matches its header or throws
// moe::Error, and never allocates more than the file's own size implies (libFuzzer's memory limit catches that).
#include "core/checkpoint.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = moe::fuzz::scratch_folder() / "model.safetensors";
    moe::fuzz::write_bytes(path, moe::fuzz::as_text(data, size));
    try {
        (void)moe::load_checkpoint(path);
    } catch (const moe::Error&) {
    }
    return 0;
}
