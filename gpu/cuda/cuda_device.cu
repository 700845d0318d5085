#include "gpu/cuda/cuda_device.cuh"

namespace moe::gpu {

void cuda_check(cudaError_t status, const char* what) {
    if (status == cudaSuccess) return;
    throw Error(std::string("CUDA error while ") + what + ": " + cudaGetErrorString(status) +
                ". Use --device cpu to train on the CPU.");
}

namespace {

void blas_check(cublasStatus_t status, const char* what) {
    if (status == CUBLAS_STATUS_SUCCESS) return;
    throw Error(std::string("cuBLAS error while ") + what + " (status " + std::to_string(static_cast<int>(status)) +
                "). Use --device cpu to train on the CPU.");
}

}  // namespace

CudaDevice::CudaDevice() {
    // A blocking stream: it waits for the legacy default stream, where CudaBuffer clears new allocations, so a
    // fresh buffer is zero before any kernel of ours reads it.
    cuda_check(cudaStreamCreate(&stream_), "creating a CUDA stream");
    blas_check(cublasCreate(&blas_), "starting cuBLAS");
    blas_check(cublasSetStream(blas_, stream_), "binding cuBLAS to the stream");
    // Full float32 products: TF32 would make the GPU disagree with the CPU engine by ~1e-3.
    blas_check(cublasSetMathMode(blas_, CUBLAS_PEDANTIC_MATH), "setting cuBLAS math mode");
}

CudaDevice::~CudaDevice() {
    if (blas_) cublasDestroy(blas_);
    if (stream_) cudaStreamDestroy(stream_);
}

void CudaDevice::synchronize() { cuda_check(cudaStreamSynchronize(stream_), "waiting for the GPU"); }

void CudaDevice::gemm(const Gemm& g) {
    if (g.m <= 0 || g.n <= 0 || g.batch <= 0) return;
    // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T, and a row-major stored matrix read
    // column-major is its transpose: so B goes first, and each keeps its own transpose flag.
    const cublasOperation_t op_b = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_a = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (g.k <= 0) {
        // cuBLAS rejects k = 0 on some versions; the product is then beta * C.
        if (g.beta == 0.0f)
            for (int b = 0; b < g.batch; ++b)
                cuda_check(cudaMemset2DAsync(g.c + b * g.stride_c, g.ldc * sizeof(float), 0, g.n * sizeof(float), g.m,
                                             stream_),
                           "clearing a GEMM result");
        return;
    }
    blas_check(cublasSgemmStridedBatched(blas_, op_b, op_a, g.n, g.m, g.k, &g.alpha, g.b, static_cast<int>(g.ldb),
                                         g.stride_b, g.a, static_cast<int>(g.lda), g.stride_a, &g.beta, g.c,
                                         static_cast<int>(g.ldc), g.stride_c, g.batch),
               "multiplying matrices");
}

}  // namespace moe::gpu
