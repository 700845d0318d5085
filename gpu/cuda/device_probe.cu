#include "gpu/device_probe.h"

#include <cuda_runtime.h>

namespace moe::gpu {

DeviceProbe probe_device() {
    DeviceProbe p;
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        p.reason = cudaGetErrorString(err);
        cudaGetLastError();  // clear the sticky error
        return p;
    }
    if (count == 0) {
        p.reason = "no CUDA device found";
        return p;
    }
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
        p.reason = "could not read the properties of CUDA device 0";
        return p;
    }
    p.usable = true;
    p.name = prop.name;
    return p;
}

}  // namespace moe::gpu
