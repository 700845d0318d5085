// The speed baseline every benchmark here is compared with: y = x W^T, x [m, k] and W [n, k], on all cores.
#pragma once

#include "core/gemm.h"
#include "core/parallel.h"
#include "core/rng.h"

#include <benchmark/benchmark.h>

#include <cstdint>

namespace moe {

// Times the GEMM once per iteration of `state` (random inputs, weights with std 0.02). The caller sets counters.
inline void time_dense_gemm(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
    const ParallelScope threads(0);  // all cores
    Rng rng(7);
    Mat x(m, k), W(n, k), y(m, n);
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = float(rng.normal(0.0, 1.0));
    for (int64_t i = 0; i < W.size(); ++i) W.data()[i] = float(rng.normal(0.0, 0.02));
    for (auto _ : state) {
        matmul_nt<float>(x, W, y);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
}

}  // namespace moe
