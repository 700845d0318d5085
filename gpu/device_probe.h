// Is a usable CUDA GPU present? Used to choose a backend and to skip GPU tests with a visible reason.
#pragma once

#include <string>

namespace moe::gpu {

struct DeviceProbe {
    bool usable = false;
    std::string name;    // e.g. "NVIDIA H100 80GB HBM3"
    std::string reason;  // why not usable (no driver, no device, ...)
};

// Never throws: any CUDA runtime error means "no GPU", with the runtime's message as the reason.
DeviceProbe probe_device();

}  // namespace moe::gpu
