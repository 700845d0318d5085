// One (strided-batched) matrix product as the GPU backend asks for it, row-major like the CPU engine:
//   for b in [0, batch):  C_b = alpha * op(A_b) op(B_b) + beta * C_b
// op(A) is [m,k] and op(B) is [k,n]; C is [m,n]. A stored matrix has a row stride (lda: elements between rows as
// stored, so lda >= k for A untransposed and lda >= m for A transposed). X_b = X + b * stride_x.
// The CUDA device maps it onto cuBLAS (column-major: C^T = op(B)^T op(A)^T), the emulated one onto plain loops.
#pragma once

#include <stdint.h>

namespace moe::gpu {

struct Gemm {
    bool trans_a = false, trans_b = false;
    int m = 0, n = 0, k = 0;
    float alpha = 1.0f, beta = 0.0f;
    const float* a = nullptr;
    int64_t lda = 0, stride_a = 0;
    const float* b = nullptr;
    int64_t ldb = 0, stride_b = 0;
    float* c = nullptr;
    int64_t ldc = 0, stride_c = 0;
    int batch = 1;
};

// The linear-layer products of core/gemm.h with W stored [out, in], on contiguous row-major buffers:
//   y [m,n]  = x [m,k] W^T (W [n,k])        linear_nt
//   dx [m,k] = dy [m,n] W  (W [n,k])        linear_nn
//   dW [n,k] += dy^T [n,m] x [m,k]          linear_tn (accumulate: beta = 1)
inline Gemm gemm_nt(int m, int n, int k, const float* x, const float* w, float* y, float beta = 0.0f) {
    Gemm g;
    g.trans_b = true;
    g.m = m, g.n = n, g.k = k, g.beta = beta;
    g.a = x, g.lda = k, g.b = w, g.ldb = k, g.c = y, g.ldc = n;
    return g;
}
inline Gemm gemm_nn(int m, int n, int k, const float* a, const float* b, float* c, float beta = 0.0f) {
    Gemm g;
    g.m = m, g.n = n, g.k = k, g.beta = beta;
    g.a = a, g.lda = k, g.b = b, g.ldb = n, g.c = c, g.ldc = n;
    return g;
}
// C [m,n] (+)= A^T B with A stored [k,m], B stored [k,n].
inline Gemm gemm_tn(int m, int n, int k, const float* a, const float* b, float* c, float beta = 1.0f) {
    Gemm g;
    g.trans_a = true;
    g.m = m, g.n = n, g.k = k, g.beta = beta;
    g.a = a, g.lda = m, g.b = b, g.ldb = n, g.c = c, g.ldc = n;
    return g;
}

}  // namespace moe::gpu
