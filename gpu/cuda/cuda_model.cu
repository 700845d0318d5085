// The GPU training step on a CUDA GPU.
#include "gpu/cuda/cuda_device.cuh"
#include "gpu/engine/device_model.h"
#include "gpu/engine/device_models.h"

namespace moe::gpu {

std::unique_ptr<DeviceModelApi> make_cuda_model(const ModelLayout& layout) {
    return std::make_unique<DeviceModel<CudaDevice>>(layout);
}

}  // namespace moe::gpu
