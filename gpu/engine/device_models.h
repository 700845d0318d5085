// The DeviceModel instantiations: one per device, each compiled by its own compiler (the emulated one by the host
// compiler, the CUDA one by nvcc in gpu/cuda/).
#pragma once

#include "gpu/engine/model_layout.h"

#include <memory>

namespace moe::gpu {

std::unique_ptr<DeviceModelApi> make_emulated_model(const ModelLayout& layout);
#if defined(MOELAB_HAVE_CUDA)
// Throws moe::Error when the GPU cannot be used (no driver, out of memory, ...).
std::unique_ptr<DeviceModelApi> make_cuda_model(const ModelLayout& layout);
#endif

}  // namespace moe::gpu
