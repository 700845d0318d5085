// Matrix products for layers, row-parallel over fixed chunks (see parallel.h for why that keeps results
// bit-identical across thread counts). Shapes follow the linear layer y = x W^T with W stored [out, in]:
//   forward          y  = x  W^T   matmul_nt(x, W, y)
//   input gradient   dx = dy W     matmul_nn(dy, W, dx)
//   weight gradient  dW += dy^T x  matmul_tn(dy, x, dW, /*accumulate=*/true)
#pragma once

#include "core/tensor.h"

namespace moe {

// C = A B^T (or C += A B^T). A [m,k], B [n,k], C [m,n].
template <class T>
void matmul_nt(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate = false);

// C = A B (or C += A B). A [m,k], B [k,n], C [m,n].
template <class T>
void matmul_nn(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate = false);

// C = A^T B (or C += A^T B). A [k,m], B [k,n], C [m,n]. Parallel over rows of C; each element sums over k in order.
template <class T>
void matmul_tn(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate = false);

// Single-threaded variants, for callers that already run inside a parallel chunk (one expert per chunk).
template <class T>
void matmul_nt_serial(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate = false);
template <class T>
void matmul_nn_serial(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate = false);
template <class T>
void matmul_tn_serial(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate = false);

}  // namespace moe
