// Any bytes as a safetensors file: parse_safetensors either returns tensors or throws moe::Error.
#include "core/error.h"
#include "core/io/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const moe::SafetensorsFile file = moe::parse_safetensors(moe::fuzz::as_text(data, size), "fuzz input");
        for (const auto& [name, tensor] : file.tensors) (void)moe::tensor_to_f64(tensor, name);
    } catch (const moe::Error&) {
    }
    return 0;
}
