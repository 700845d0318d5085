// The GPU backend's attention (gpu/ops/attention.h) on the emulated device against the CPU engine's
// moe::attention_forward / attention_backward (core/layers/attention.h, itself finite-difference-checked), on random
// inputs and weights, for several shapes: with RoPE (default and another theta), without (learned positions), odd
// sequence lengths and head_dim with an odd half.
#include "core/layers/attention.h"
#include "gpu/emulated/emulated_device.h"
#include "gpu/ops/attention.h"
#include "tests/gpu_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace moe {
namespace {

using gpu::EmulatedDevice;
using testing::all_close;
using testing::from_device;
using testing::random_mat;
using testing::to_device;
using Buf = EmulatedDevice::Buffer<float>;

// Tolerances. The GPU path does the same float operations as the CPU engine in the same order (same RoPE table,
// same softmax loops) except inside the GEMMs, whose summation order over k may differ (cuBLAS, FMA contraction on
// a real GPU), and expf (a few ulp apart between libm and CUDA). On the emulated device the results are in fact
// bit-identical today; the tolerances allow rounding-level differences: ~1e-7 relative per term of sums of at most
// d = 32 (or T = 16) O(1) terms, so forward values (out, probs, ctx) must agree to rtol 1e-5, with atol 1e-6 for
// entries that are small after cancellation. Gradients pass through four more dependent products, the softmax
// backward's cancellation, and dW sums over all B*T = 48 rows (|dW| up to ~5), so they get rtol 1e-4 / atol 1e-5.
// A wrong op (mask, RoPE angle or direction, theta, head layout, scale, overwrite vs accumulate) is off by O(0.01..1)
// and fails either.
constexpr double kFwdRtol = 1e-5, kFwdAtol = 1e-6;
constexpr double kGradRtol = 1e-4, kGradAtol = 1e-5;

struct Case {
    int B, T, H, d;
    bool rope;
    double theta = 10000.0;
};

struct Inputs {
    Mat x, Wq, Wk, Wv, Wo, dout, dW0;
};

// x like normalised activations; weights scaled like an initialised layer but large enough that the softmax is far
// from uniform; dW0 a non-zero start so accumulation is checked.
Inputs make_inputs(const Case& c, uint64_t seed) {
    const int n = c.B * c.T;
    const float w = 1.5f / std::sqrt(static_cast<float>(c.d));
    return {random_mat(n, c.d, seed), random_mat(c.d, c.d, seed + 1, w), random_mat(c.d, c.d, seed + 2, w),
            random_mat(c.d, c.d, seed + 3, w), random_mat(c.d, c.d, seed + 4, w), random_mat(n, c.d, seed + 5),
            random_mat(c.d, c.d, seed + 6, 0.1f)};
}

gpu::AttentionDims dims_of(const Case& c) {
    gpu::AttentionDims s;
    s.batch = c.B, s.seq = c.T, s.heads = c.H, s.d = c.d, s.rope = c.rope, s.rope_theta = c.theta;
    return s;
}

// Runs forward and backward on both engines (the GPU one with the given, possibly reused, workspace) and compares.
void check_case(const Case& c, uint64_t seed, gpu::AttentionWorkspace<EmulatedDevice>& ws) {
    SCOPED_TRACE(::testing::Message() << "B=" << c.B << " T=" << c.T << " H=" << c.H << " d=" << c.d
                                      << " rope=" << c.rope << " theta=" << c.theta);
    const Inputs in = make_inputs(c, seed);
    const int n = c.B * c.T;

    // CPU engine.
    AttentionShape shape;
    shape.batch = c.B, shape.seq = c.T, shape.heads = c.H, shape.rope = c.rope, shape.rope_theta = c.theta;
    AttentionCache<float> cache;
    Mat out_cpu;
    attention_forward<float>(in.x, in.Wq, in.Wk, in.Wv, in.Wo, shape, cache, out_cpu);
    Mat dx_cpu, dWq = in.dW0, dWk = in.dW0, dWv = in.dW0, dWo = in.dW0;
    attention_backward<float>(in.x, in.Wq, in.Wk, in.Wv, in.Wo, shape, cache, in.dout, dx_cpu, dWq, dWk, dWv, dWo);

    // GPU backend on the emulated device.
    EmulatedDevice dev;
    const gpu::AttentionDims s = dims_of(c);
    Buf x = to_device(dev, in.x), Wq = to_device(dev, in.Wq), Wk = to_device(dev, in.Wk), Wv = to_device(dev, in.Wv),
        Wo = to_device(dev, in.Wo), dout = to_device(dev, in.dout);
    Buf out(static_cast<size_t>(n) * c.d);
    gpu::attention_forward(dev, s, x.data(), Wq.data(), Wk.data(), Wv.data(), Wo.data(), ws, out.data());

    EXPECT_TRUE(all_close(from_device(dev, out.data(), n, c.d), out_cpu, kFwdRtol, kFwdAtol)) << "out";
    const Mat probs = from_device(dev, ws.probs.data(), c.B * c.H * c.T, c.T);
    EXPECT_TRUE(all_close(probs, cache.probs, kFwdRtol, kFwdAtol)) << "probs";
    EXPECT_TRUE(all_close(from_device(dev, ws.ctx.data(), n, c.d), cache.ctx, kFwdRtol, kFwdAtol)) << "ctx";
    // The future is masked to exactly zero; the visible part is a proper distribution.
    for (int r = 0; r < probs.rows(); ++r) {
        const int t = r % c.T;
        double sum = 0;
        for (int j = 0; j < c.T; ++j) {
            if (j > t) {
                EXPECT_EQ(probs(r, j), 0.0f) << "row " << r << " col " << j;
            } else {
                EXPECT_GT(probs(r, j), 0.0f) << "row " << r << " col " << j;
                sum += probs(r, j);
            }
        }
        EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << r;
    }

    // dx starts as NaN: it must be overwritten, not accumulated. The weight gradients start at dW0: accumulated.
    Mat nan_mat = Mat::Constant(n, c.d, std::numeric_limits<float>::quiet_NaN());
    Buf dx = to_device(dev, nan_mat), gWq = to_device(dev, in.dW0), gWk = to_device(dev, in.dW0),
        gWv = to_device(dev, in.dW0), gWo = to_device(dev, in.dW0);
    gpu::attention_backward(dev, s, x.data(), Wq.data(), Wk.data(), Wv.data(), Wo.data(), ws, dout.data(), dx.data(),
                            gWq.data(), gWk.data(), gWv.data(), gWo.data());
    EXPECT_TRUE(all_close(from_device(dev, dx.data(), n, c.d), dx_cpu, kGradRtol, kGradAtol)) << "dx";
    EXPECT_TRUE(all_close(from_device(dev, gWq.data(), c.d, c.d), dWq, kGradRtol, kGradAtol)) << "dWq";
    EXPECT_TRUE(all_close(from_device(dev, gWk.data(), c.d, c.d), dWk, kGradRtol, kGradAtol)) << "dWk";
    EXPECT_TRUE(all_close(from_device(dev, gWv.data(), c.d, c.d), dWv, kGradRtol, kGradAtol)) << "dWv";
    EXPECT_TRUE(all_close(from_device(dev, gWo.data(), c.d, c.d), dWo, kGradRtol, kGradAtol)) << "dWo";
}

TEST(GpuAttention, SmallWithRope) {
    gpu::AttentionWorkspace<EmulatedDevice> ws;
    check_case({2, 5, 2, 8, true}, 101, ws);
}

TEST(GpuAttention, LargerWithRope) {
    gpu::AttentionWorkspace<EmulatedDevice> ws;
    check_case({3, 16, 4, 32, true}, 202, ws);
}

TEST(GpuAttention, LearnedPositionsNoRope) {
    gpu::AttentionWorkspace<EmulatedDevice> ws;
    check_case({1, 7, 1, 6, false}, 303, ws);
}

// head_dim 6 (an odd half of 3) and a non-default theta, so the frequencies' exponent and theta are exercised.
TEST(GpuAttention, OddHalfHeadDimOtherTheta) {
    gpu::AttentionWorkspace<EmulatedDevice> ws;
    check_case({2, 9, 3, 18, true, 500.0}, 404, ws);
}

// One workspace through changing shapes (and RoPE tables): the forward resizes and rebuilds what it must.
TEST(GpuAttention, WorkspaceReusedAcrossShapes) {
    gpu::AttentionWorkspace<EmulatedDevice> ws;
    check_case({3, 16, 4, 32, true}, 505, ws);
    check_case({2, 5, 2, 8, true}, 506, ws);
    check_case({1, 7, 1, 6, false}, 507, ws);
    check_case({2, 5, 2, 8, true, 100.0}, 508, ws);  // same shape, other theta
    check_case({3, 16, 4, 32, true}, 509, ws);
}

TEST(GpuAttention, RejectsBadShapesAndStaleWorkspace) {
    EmulatedDevice dev;
    gpu::AttentionWorkspace<EmulatedDevice> ws;
    Buf buf(64 * 64);
    float* p = buf.data();
    gpu::AttentionDims s;
    s.batch = 1, s.seq = 4, s.heads = 3, s.d = 8;  // d not a multiple of heads
    EXPECT_THROW(gpu::attention_forward(dev, s, p, p, p, p, p, ws, p), std::invalid_argument);
    s.heads = 2, s.d = 6;  // head_dim 3 is odd: no RoPE
    EXPECT_THROW(gpu::attention_forward(dev, s, p, p, p, p, p, ws, p), std::invalid_argument);
    s.d = 8;
    // No forward yet.
    EXPECT_THROW(gpu::attention_backward(dev, s, p, p, p, p, p, ws, p, p, p, p, p, p), std::invalid_argument);
    const Mat in = random_mat(64 * 64, 1, 9);
    dev.upload(p, in.data(), 64 * 64);
    Buf o(4 * 8);
    gpu::attention_forward(dev, s, p, p, p, p, p, ws, o.data());
    s.seq = 3;  // backward with another shape than the forward
    EXPECT_THROW(gpu::attention_backward(dev, s, p, p, p, p, p, ws, p, p, p, p, p, p), std::invalid_argument);
}

}  // namespace
}  // namespace moe
