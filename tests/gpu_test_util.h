// Helpers for the GPU backend's tests: random host matrices, copies to and from a device, and a comparison that
// reports the worst element. Used with EmulatedDevice (test_gpu_*) and CudaDevice (test_cuda_*).
#pragma once

#include "core/rng.h"
#include "core/tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace moe::testing {

// Uniform in [-scale, scale), never all zeros (fast paths are checked on random data).
inline Mat random_mat(int rows, int cols, uint64_t seed, float scale = 1.0f) {
    Rng rng(seed);
    Mat m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.uniform(-scale, scale));
    return m;
}

template <class Dev>
typename Dev::template Buffer<float> to_device(Dev& dev, const Mat& m) {
    typename Dev::template Buffer<float> b(static_cast<size_t>(m.size()));
    dev.upload(b.data(), m.data(), static_cast<size_t>(m.size()));
    return b;
}

template <class Dev, class T>
typename Dev::template Buffer<T> to_device(Dev& dev, const std::vector<T>& v) {
    typename Dev::template Buffer<T> b(v.size());
    dev.upload(b.data(), v.data(), v.size());
    return b;
}

template <class Dev>
Mat from_device(Dev& dev, const float* p, int rows, int cols) {
    Mat m(rows, cols);
    dev.download(m.data(), p, static_cast<size_t>(m.size()));
    return m;
}

template <class Dev, class T>
std::vector<T> vector_from_device(Dev& dev, const T* p, size_t n) {
    std::vector<T> v(n);
    dev.download(v.data(), p, n);
    return v;
}

// Every element within atol + rtol * |expected|; on failure names the worst element.
inline ::testing::AssertionResult all_close(const Mat& got, const Mat& expected, double rtol = 1e-5,
                                            double atol = 1e-6) {
    if (got.rows() != expected.rows() || got.cols() != expected.cols())
        return ::testing::AssertionFailure() << "shape " << got.rows() << "x" << got.cols() << " != "
                                             << expected.rows() << "x" << expected.cols();
    double worst = 0;
    Eigen::Index at = -1;
    for (Eigen::Index i = 0; i < got.size(); ++i) {
        const double g = got.data()[i], e = expected.data()[i];
        const double excess = std::abs(g - e) - (atol + rtol * std::abs(e));
        if (!(excess <= 0) && (at < 0 || !(excess <= worst))) {
            worst = std::isnan(excess) ? INFINITY : excess;
            at = i;
        }
    }
    if (at < 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "element (" << at / got.cols() << "," << at % got.cols()
                                         << "): got " << got.data()[at] << ", expected " << expected.data()[at];
}

}  // namespace moe::testing
