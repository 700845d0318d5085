// The GPU backend's device, emulated on the CPU: same contract as CudaDevice (cuda/cuda_device.cuh), memory in
// ordinary host vectors, kernels called as loops. It lets CI (which has no GPU) run every kernel body and the whole
// GPU training step, and check them against the CPU engine; it is not meant to be fast.
//
// The device contract (what the ops in gpu/ops/ may use):
//   Buffer<T>                    owning, move-only, zero-filled on (re)size; data(), size(), resize(n)
//   launch(n, f)                 calls f(i) for every i in [0, n), in any order or in parallel (see portable.h)
//   gemm(g)                      one strided-batched row-major product (kernels/gemm_desc.h)
//   upload(dst, src, n)          host -> device;  download(dst, src, n): device -> host, waits for the device
//   copy(dst, src, n)            device -> device; zero(dst, n)
//   synchronize()                waits for everything launched so far
#pragma once

#include "gpu/kernels/gemm_desc.h"
#include "gpu/kernels/portable.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace moe::gpu {

template <class T>
class HostBuffer {
public:
    HostBuffer() = default;
    explicit HostBuffer(size_t n) : v_(n, T{}) {}
    HostBuffer(HostBuffer&&) noexcept = default;
    HostBuffer& operator=(HostBuffer&&) noexcept = default;
    HostBuffer(const HostBuffer&) = delete;
    HostBuffer& operator=(const HostBuffer&) = delete;

    void resize(size_t n) { v_.assign(n, T{}); }
    T* data() { return v_.data(); }
    const T* data() const { return v_.data(); }
    size_t size() const { return v_.size(); }

private:
    std::vector<T> v_;
};

class EmulatedDevice {
public:
    template <class T>
    using Buffer = HostBuffer<T>;

    static const char* name() { return "emulated (CPU)"; }

    template <class F>
    void launch(int64_t n, const F& f) {
        for (int64_t i = 0; i < n; ++i) f(i);
    }

    void gemm(const Gemm& g);

    template <class T>
    void upload(T* dst, const T* src, size_t n) {
        if (n) std::memcpy(dst, src, n * sizeof(T));
    }
    template <class T>
    void download(T* dst, const T* src, size_t n) {
        if (n) std::memcpy(dst, src, n * sizeof(T));
    }
    template <class T>
    void copy(T* dst, const T* src, size_t n) {
        if (n) std::memmove(dst, src, n * sizeof(T));
    }
    template <class T>
    void zero(T* dst, size_t n) {
        if (n) std::memset(static_cast<void*>(dst), 0, n * sizeof(T));
    }
    void synchronize() {}
};

}  // namespace moe::gpu
