// The GPU backend's device on a real NVIDIA GPU: memory from cudaMalloc, kernels launched on one stream, GEMMs by
// cuBLAS in full float32 (no TF32, so results stay within float rounding of the CPU engine). Same contract as
// EmulatedDevice (emulated/emulated_device.h); only nvcc sees this header.
#pragma once

#include "core/error.h"
#include "gpu/kernels/gemm_desc.h"
#include "gpu/kernels/portable.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace moe::gpu {

// Throws moe::Error naming the operation and the CUDA runtime's message.
void cuda_check(cudaError_t status, const char* what);

template <class T>
class CudaBuffer {
public:
    CudaBuffer() = default;
    explicit CudaBuffer(size_t n) { resize(n); }
    CudaBuffer(CudaBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
    CudaBuffer& operator=(CudaBuffer&& o) noexcept {
        if (this != &o) {
            release();
            p_ = std::exchange(o.p_, nullptr);
            n_ = std::exchange(o.n_, 0);
        }
        return *this;
    }
    CudaBuffer(const CudaBuffer&) = delete;
    CudaBuffer& operator=(const CudaBuffer&) = delete;
    ~CudaBuffer() { release(); }

    void resize(size_t n) {
        release();
        if (n == 0) return;
        cuda_check(cudaMalloc(reinterpret_cast<void**>(&p_), n * sizeof(T)), "allocating GPU memory");
        n_ = n;
        cuda_check(cudaMemset(p_, 0, n * sizeof(T)), "clearing GPU memory");
    }
    T* data() { return p_; }
    const T* data() const { return p_; }
    size_t size() const { return n_; }

private:
    void release() {
        if (p_) cudaFree(p_);
        p_ = nullptr;
        n_ = 0;
    }
    T* p_ = nullptr;
    size_t n_ = 0;
};

// One thread per index, grid-stride so any n fits in a bounded grid.
template <class F>
__global__ void run_functor(F f, int64_t n) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) f(i);
}

class CudaDevice {
public:
    template <class T>
    using Buffer = CudaBuffer<T>;

    CudaDevice();
    ~CudaDevice();
    CudaDevice(const CudaDevice&) = delete;
    CudaDevice& operator=(const CudaDevice&) = delete;

    static const char* name() { return "CUDA"; }

    template <class F>
    void launch(int64_t n, const F& f) {
        if (n <= 0) return;
        constexpr int threads = 256;
        const int64_t blocks = (n + threads - 1) / threads;
        run_functor<<<static_cast<unsigned>(blocks < 65536 ? blocks : 65536), threads, 0, stream_>>>(f, n);
        cuda_check(cudaGetLastError(), "launching a kernel");
    }

    void gemm(const Gemm& g);

    template <class T>
    void upload(T* dst, const T* src, size_t n) {
        if (n) cuda_check(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyHostToDevice, stream_), "copying to GPU");
    }
    template <class T>
    void download(T* dst, const T* src, size_t n) {
        if (!n) return;
        cuda_check(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyDeviceToHost, stream_), "copying from GPU");
        synchronize();
    }
    template <class T>
    void copy(T* dst, const T* src, size_t n) {
        if (n) cuda_check(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyDeviceToDevice, stream_), "GPU copy");
    }
    template <class T>
    void zero(T* dst, size_t n) {
        if (n) cuda_check(cudaMemsetAsync(dst, 0, n * sizeof(T), stream_), "clearing GPU memory");
    }
    void synchronize();

private:
    cudaStream_t stream_ = nullptr;
    cublasHandle_t blas_ = nullptr;
};

}  // namespace moe::gpu
