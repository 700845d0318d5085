#include "gpu/emulated/emulated_device.h"

#include <Eigen/Core>

namespace moe::gpu {

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstView = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;
using View = Eigen::Map<RowMat, 0, Eigen::OuterStride<>>;

}  // namespace

void EmulatedDevice::gemm(const Gemm& g) {
    if (g.m <= 0 || g.n <= 0) return;
    for (int b = 0; b < g.batch; ++b) {
        // Stored shapes: A is [m,k] or, transposed, [k,m]; B is [k,n] or [n,k].
        ConstView A(g.a + b * g.stride_a, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, Eigen::OuterStride<>(g.lda));
        ConstView B(g.b + b * g.stride_b, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, Eigen::OuterStride<>(g.ldb));
        View C(g.c + b * g.stride_c, g.m, g.n, Eigen::OuterStride<>(g.ldc));
        RowMat product(g.m, g.n);
        if (g.k <= 0) {
            product.setZero();
        } else if (g.trans_a && g.trans_b) {
            product.noalias() = A.transpose() * B.transpose();
        } else if (g.trans_a) {
            product.noalias() = A.transpose() * B;
        } else if (g.trans_b) {
            product.noalias() = A * B.transpose();
        } else {
            product.noalias() = A * B;
        }
        // As in BLAS, beta == 0 means C is not read (it may hold garbage, even NaN).
        if (g.beta == 0.0f)
            C = g.alpha * product;
        else
            C = g.alpha * product + g.beta * C;
    }
}

}  // namespace moe::gpu
