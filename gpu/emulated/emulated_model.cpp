// The GPU training step on the emulated device (CPU), for tests and for checking the GPU code path anywhere.
#include "gpu/emulated/emulated_device.h"
#include "gpu/engine/device_model.h"
#include "gpu/engine/device_models.h"

namespace moe::gpu {

std::unique_ptr<DeviceModelApi> make_emulated_model(const ModelLayout& layout) {
    return std::make_unique<DeviceModel<EmulatedDevice>>(layout);
}

}  // namespace moe::gpu
