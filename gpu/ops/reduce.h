// Deterministic sums on the device, in double: the mean loss, the global gradient norm (sum of squares), metrics.
//
// No atomics (see portable.h), so the order of the additions is fixed and the result is the same on every run and on
// both devices: pass 1, one index per chunk of kChunk consecutive elements sums its chunk left to right into a
// partial; pass 2, one index sums the partials in chunk order. The result stays on the device (a double*), so a
// training step can chain it (e.g. into clip_scale_from_sum_squares) without a round trip to the host.
//
// The order differs from a plain left-to-right loop, so results agree with the CPU engine's serial sums to double
// rounding (~1e-16 relative per addition), not bit for bit.
#pragma once

#include "gpu/kernels/portable.h"

#include <cstddef>
#include <cstdint>

namespace moe::gpu {

namespace kernels {

// Elements summed by one index in the first pass. One thread per 1024 elements is little parallelism for a GPU
// (a tree reduction in shared memory per block would be the fast kernel), but the sums here are small (a loss over
// a batch, a norm over ~1e6 parameters) and this keeps the order trivially fixed.
constexpr int64_t kSumChunk = 1024;

// What is summed: the value, or its square, as a double.
struct AsDouble {
    MOE_HD double operator()(float v) const { return static_cast<double>(v); }
    MOE_HD double operator()(double v) const { return v; }
};
struct SquareAsDouble {
    MOE_HD double operator()(float v) const { return static_cast<double>(v) * static_cast<double>(v); }
};

// partials[c] = sum of f(x[j]) for j in chunk c, left to right.
template <class T, class F>
struct SumChunks {
    const T* x;
    int64_t n;
    double* partials;
    F f;
    MOE_HD void operator()(int64_t c) const {
        const int64_t j0 = c * kSumChunk;
        const int64_t j1 = j0 + kSumChunk < n ? j0 + kSumChunk : n;
        double acc = 0.0;
        for (int64_t j = j0; j < j1; ++j) acc += f(x[j]);
        partials[c] = acc;
    }
};

// *out = partials[0] + partials[1] + ... (in order); 0 when there are none. Launched with one index.
struct SumPartials {
    const double* partials;
    int64_t count;
    double* out;
    MOE_HD void operator()(int64_t) const {
        double acc = 0.0;
        for (int64_t c = 0; c < count; ++c) acc += partials[c];
        *out = acc;
    }
};

// *dst = *src, one index (a device scalar moved without the host).
struct CopyScalar {
    const double* src;
    double* dst;
    MOE_HD void operator()(int64_t) const { *dst = *src; }
};

}  // namespace kernels

// Owns the partials buffer (grown, never shrunk, so repeated sums of the same size do not reallocate). Calls on one
// instance must be ordered on the device (one stream), as they share that buffer.
template <class Dev>
class DeviceSum {
public:
    // *out = sum of x[0..n) in double; n = 0 gives 0.
    void sum(Dev& dev, const float* x, int64_t n, double* out) { run(dev, x, n, out, kernels::AsDouble{}); }
    // *out = sum of x[j]^2 (each square taken in double, as global_grad_norm does).
    void sum_squares(Dev& dev, const float* x, int64_t n, double* out) {
        run(dev, x, n, out, kernels::SquareAsDouble{});
    }
    // *out = sum of x[0..n) (e.g. per-parameter sums of squares, added in parameter order).
    void sum_doubles(Dev& dev, const double* x, int64_t n, double* out) { run(dev, x, n, out, kernels::AsDouble{}); }

private:
    template <class T, class F>
    void run(Dev& dev, const T* x, int64_t n, double* out, F f) {
        const int64_t chunks = n > 0 ? (n + kernels::kSumChunk - 1) / kernels::kSumChunk : 0;
        if (partials_.size() < static_cast<size_t>(chunks)) partials_.resize(static_cast<size_t>(chunks));
        dev.launch(chunks, kernels::SumChunks<T, F>{x, n, partials_.data(), f});
        dev.launch(1, kernels::SumPartials{partials_.data(), chunks, out});
    }

    typename Dev::template Buffer<double> partials_;
};

// *dst = *src for device scalars (no host round trip).
template <class Dev>
void copy_scalar(Dev& dev, const double* src, double* dst) {
    dev.launch(1, kernels::CopyScalar{src, dst});
}

}  // namespace moe::gpu
