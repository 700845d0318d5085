// The probe of a build without the CUDA backend: never a GPU, and the reason says how to get one.
#include "gpu/device_probe.h"

namespace moe::gpu {

DeviceProbe probe_device() {
    DeviceProbe p;
    p.reason = "this build has no CUDA backend (no CUDA compiler was found when it was configured; install the CUDA "
               "toolkit and configure again)";
    return p;
}

}  // namespace moe::gpu
