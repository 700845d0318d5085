#include "core/gemm.h"

#include "core/parallel.h"

namespace moe {
namespace {

// Rows of C per chunk. Fixed (not derived from the thread count) so the partition, and so every sum, is the same
// for any number of threads.
constexpr int64_t kRowGrain = 32;

}  // namespace

template <class T>
void matmul_nt_serial(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate) {
    if (accumulate)
        C.noalias() += A * B.transpose();
    else
        C.noalias() = A * B.transpose();
}

template <class T>
void matmul_nn_serial(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate) {
    if (accumulate)
        C.noalias() += A * B;
    else
        C.noalias() = A * B;
}

template <class T>
void matmul_tn_serial(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate) {
    if (accumulate)
        C.noalias() += A.transpose() * B;
    else
        C.noalias() = A.transpose() * B;
}

template <class T>
void matmul_nt(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate) {
    parallel_for(C.rows(), kRowGrain, [&](int64_t b, int64_t e) {
        matmul_nt_serial<T>(A.middleRows(b, e - b), B, C.middleRows(b, e - b), accumulate);
    });
}

template <class T>
void matmul_nn(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate) {
    parallel_for(C.rows(), kRowGrain, [&](int64_t b, int64_t e) {
        matmul_nn_serial<T>(A.middleRows(b, e - b), B, C.middleRows(b, e - b), accumulate);
    });
}

template <class T>
void matmul_tn(CRef<T> A, CRef<T> B, MRef<T> C, bool accumulate) {
    parallel_for(C.rows(), kRowGrain, [&](int64_t b, int64_t e) {
        matmul_tn_serial<T>(A.middleCols(b, e - b), B, C.middleRows(b, e - b), accumulate);
    });
}

#define MOE_INSTANTIATE(T)                                             \
    template void matmul_nt<T>(CRef<T>, CRef<T>, MRef<T>, bool);        \
    template void matmul_nn<T>(CRef<T>, CRef<T>, MRef<T>, bool);        \
    template void matmul_tn<T>(CRef<T>, CRef<T>, MRef<T>, bool);        \
    template void matmul_nt_serial<T>(CRef<T>, CRef<T>, MRef<T>, bool); \
    template void matmul_nn_serial<T>(CRef<T>, CRef<T>, MRef<T>, bool); \
    template void matmul_tn_serial<T>(CRef<T>, CRef<T>, MRef<T>, bool);
MOE_INSTANTIATE(float)
MOE_INSTANTIATE(double)
#undef MOE_INSTANTIATE

}  // namespace moe
