// The GPU backend's dense ops (gpu/ops/{reduce,elementwise,embedding,rmsnorm,cross_entropy,swiglu,adamw}.h) on the
// emulated device, against the CPU engine's own functions on random inputs (several shapes, odd sizes included).
// The CPU layers are finite-difference checked elsewhere (test_layers_grad), so agreeing with them is enough.
//
// Tolerances. Where the op does exactly the CPU's float operations in the same order with nothing a compiler could
// contract (lookups, scatter-adds, single adds/multiplies, the cross-entropy gradient) the results must be equal
// bit for bit (rtol = atol = 0). Row-local math (RMSNorm, softmax, AdamW) is the same formula in the same order, so
// it is at most an FMA contraction or a libm ulp away: rtol 1e-5 / atol 1e-6 for forward values. Products go through
// dev.gemm (one Eigen product) where the CPU splits rows into chunks of 32, so sums of K terms may be rounded in a
// different order: error ~ K * 2^-24 * sum|terms|, i.e. ~1e-6 relative for K <= 96 with our O(1) values; forward
// products get rtol 1e-5 / atol 1e-5, gradients summed over up to 64 rows and then pushed through two more products
// rtol 1e-4 / atol 1e-5. Double sums (DeviceSum) are compared to a serial double loop within 1e-12 * sum|x|
// (a different addition order of <= 1e4 doubles moves the result by ~n * 2^-53 * sum|x|).
#include "gpu/emulated/emulated_device.h"
#include "gpu/ops/adamw.h"
#include "gpu/ops/cross_entropy.h"
#include "gpu/ops/elementwise.h"
#include "gpu/ops/embedding.h"
#include "gpu/ops/reduce.h"
#include "gpu/ops/rmsnorm.h"
#include "gpu/ops/swiglu.h"
#include "gpu_test_util.h"

#include "core/config.h"
#include "core/layers/cross_entropy.h"
#include "core/layers/embedding.h"
#include "core/layers/rmsnorm.h"
#include "core/layers/swiglu.h"
#include "core/model/param.h"
#include "core/rng.h"
#include "core/train/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <deque>
#include <vector>

namespace moe {
namespace {

using gpu::EmulatedDevice;
using testing::all_close;
using testing::from_device;
using testing::random_mat;
using testing::to_device;
using testing::vector_from_device;
using DevBuf = EmulatedDevice::Buffer<float>;

struct Shape {
    int n, d;
};
const Shape kShapes[] = {{7, 5}, {64, 32}, {33, 96}};

std::vector<int32_t> random_ids(int64_t n, int vocab, uint64_t seed) {
    Rng rng(seed);
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (auto& id : ids) id = static_cast<int32_t>(rng.below(static_cast<uint64_t>(vocab)));
    return ids;
}

double device_scalar(EmulatedDevice& dev, const double* p) { return vector_from_device(dev, p, 1)[0]; }

// ---------------------------------------------------------------------------------------------------------------
// DeviceSum

TEST(GpuDenseReduce, SumsMatchASerialDoubleLoop) {
    EmulatedDevice dev;
    gpu::DeviceSum<EmulatedDevice> summer;
    EmulatedDevice::Buffer<double> out(1);
    // Exact multiples of the 1024 chunk, one past, a single element, and the big one last and first (buffer reuse).
    for (int n : {10000, 1, 1024, 1025, 3000, 2048, 10000}) {
        SCOPED_TRACE(n);
        const Mat x = random_mat(1, n, 100 + n, 2.0f);
        double sum = 0, sq = 0, abs_sum = 0;
        for (int j = 0; j < n; ++j) {
            const double v = x.data()[j];
            sum += v;
            sq += v * v;
            abs_sum += std::abs(v);
        }
        auto xd = to_device(dev, x);
        summer.sum(dev, xd.data(), n, out.data());
        EXPECT_NEAR(device_scalar(dev, out.data()), sum, 1e-12 * abs_sum);
        summer.sum_squares(dev, xd.data(), n, out.data());
        EXPECT_NEAR(device_scalar(dev, out.data()), sq, 1e-12 * sq);

        std::vector<double> xs(static_cast<size_t>(n));
        for (int j = 0; j < n; ++j) xs[static_cast<size_t>(j)] = 1e3 * x.data()[j] + 1e-4 * j;  // not float values
        double dsum = 0, dabs = 0;
        for (double v : xs) dsum += v, dabs += std::abs(v);
        auto xsd = to_device(dev, xs);
        summer.sum_doubles(dev, xsd.data(), n, out.data());
        EXPECT_NEAR(device_scalar(dev, out.data()), dsum, 1e-12 * dabs);
    }
}

TEST(GpuDenseReduce, EmptySumIsZeroAndCopyScalarMovesIt) {
    EmulatedDevice dev;
    gpu::DeviceSum<EmulatedDevice> summer;
    auto out = to_device(dev, std::vector<double>{42.0, -7.5});
    summer.sum(dev, nullptr, 0, out.data());
    EXPECT_EQ(device_scalar(dev, out.data()), 0.0);
    gpu::copy_scalar(dev, out.data(), out.data() + 1);
    EXPECT_EQ(vector_from_device(dev, out.data(), 2)[1], 0.0);
    // After a non-empty sum (partials allocated), an empty one still gives 0, not the stale partials.
    const Mat x = random_mat(1, 2000, 7);
    auto xd = to_device(dev, x);
    summer.sum(dev, xd.data(), 2000, out.data());
    EXPECT_NE(device_scalar(dev, out.data()), 0.0);
    summer.sum_squares(dev, xd.data(), 0, out.data());
    EXPECT_EQ(device_scalar(dev, out.data()), 0.0);
}

// ---------------------------------------------------------------------------------------------------------------
// Elementwise (one float operation per element: exact)

TEST(GpuDenseElementwise, AddAddIntoScaleAreExact) {
    EmulatedDevice dev;
    for (Shape s : kShapes) {
        const Mat a = random_mat(s.n, s.d, 1), b = random_mat(s.n, s.d, 2);
        const int64_t n = a.size();
        auto ad = to_device(dev, a), bd = to_device(dev, b);
        DevBuf out(static_cast<size_t>(n));
        gpu::add(dev, ad.data(), bd.data(), out.data(), n);
        EXPECT_TRUE(all_close(from_device(dev, out.data(), s.n, s.d), a + b, 0, 0));
        gpu::add_into(dev, ad.data(), bd.data(), n);
        EXPECT_TRUE(all_close(from_device(dev, ad.data(), s.n, s.d), a + b, 0, 0));
        gpu::scale(dev, bd.data(), -0.37f, n);
        EXPECT_TRUE(all_close(from_device(dev, bd.data(), s.n, s.d), b * -0.37f, 0, 0));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding (lookups and the CPU's serial adds in the same order: exact)

TEST(GpuDenseEmbedding, ForwardAndBackwardMatchCpuWithRepeatedIds) {
    EmulatedDevice dev;
    gpu::EmbeddingGradWorkspace<EmulatedDevice> grad_ws;  // reused across the shapes, as the model does
    const int vocabs[] = {3, 256, 17};  // 3 rows for 7 ids: repeats guaranteed
    for (int k = 0; k < 3; ++k) {
        const Shape s = kShapes[k];
        const int V = vocabs[k];
        SCOPED_TRACE(s.n);
        const Mat table = random_mat(V, s.d, 10 + k);
        std::vector<int32_t> ids = random_ids(s.n, V, 20 + k);
        ids[1] = ids[0];  // a repeat in every case
        ids.back() = V - 1;  // the last vocabulary row is reachable
        Mat expected;
        embedding_forward<float>(table, ids, expected);
        auto td = to_device(dev, table);
        auto idd = to_device(dev, ids);
        DevBuf out(static_cast<size_t>(s.n) * s.d);
        gpu::embedding_forward(dev, td.data(), idd.data(), s.n, s.d, out.data());
        EXPECT_TRUE(all_close(from_device(dev, out.data(), s.n, s.d), expected, 0, 0));

        // Accumulates into a non-zero gradient.
        const Mat dout = random_mat(s.n, s.d, 30 + k);
        Mat dtable = random_mat(V, s.d, 40 + k);
        auto dtd = to_device(dev, dtable);
        auto doutd = to_device(dev, dout);
        embedding_backward<float>(ids, dout, dtable);
        gpu::embedding_backward(dev, idd.data(), doutd.data(), s.n, s.d, V, dtd.data(), grad_ws);
        EXPECT_TRUE(all_close(from_device(dev, dtd.data(), V, s.d), dtable, 0, 0));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// RMSNorm

TEST(GpuDenseRmsNorm, ForwardAndBackwardMatchCpu) {
    EmulatedDevice dev;
    int seed = 0;
    for (Shape s : kShapes) {
        // scale 0.01: mean(x^2) ~ 3e-5 is close to eps, so a misplaced eps would show.
        for (float xscale : {1.0f, 0.01f}) {
            SCOPED_TRACE(::testing::Message() << s.n << "x" << s.d << " scale " << xscale);
            const float eps = 1e-5f;
            const Mat x = random_mat(s.n, s.d, ++seed, xscale);
            const Mat w = random_mat(1, s.d, ++seed, 1.5f);
            Mat y;
            Vec rstd;
            rmsnorm_forward<float>(x, w, eps, y, rstd);
            auto xd = to_device(dev, x), wd = to_device(dev, w);
            DevBuf yd(static_cast<size_t>(x.size())), rd(static_cast<size_t>(s.n));
            gpu::rmsnorm_forward(dev, xd.data(), wd.data(), eps, s.n, s.d, yd.data(), rd.data());
            EXPECT_TRUE(all_close(from_device(dev, yd.data(), s.n, s.d), y));
            EXPECT_TRUE(all_close(from_device(dev, rd.data(), s.n, 1), Mat(rstd)));

            const Mat dy = random_mat(s.n, s.d, ++seed);
            Mat dw = random_mat(1, s.d, ++seed);  // accumulated into
            auto dyd = to_device(dev, dy), dwd = to_device(dev, dw);
            DevBuf dxd = to_device(dev, random_mat(s.n, s.d, ++seed));  // overwritten
            Mat dx;
            rmsnorm_backward<float>(x, w, rstd, dy, dx, dw);
            gpu::rmsnorm_backward(dev, xd.data(), wd.data(), rd.data(), dyd.data(), s.n, s.d, dxd.data(), dwd.data());
            // dx is row-local (rtol 1e-5); at x scale 0.01 it is ~1/rstd larger, still relative.
            EXPECT_TRUE(all_close(from_device(dev, dxd.data(), s.n, s.d), dx, 1e-5, 1e-5));
            EXPECT_TRUE(all_close(from_device(dev, dwd.data(), 1, s.d), dw, 1e-5, 1e-5));
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Cross-entropy

void check_cross_entropy(EmulatedDevice& dev, const Mat& logits, const std::vector<int32_t>& targets) {
    const int n = static_cast<int>(logits.rows()), V = static_cast<int>(logits.cols());
    Mat probs;
    std::vector<double> row_loss;
    cross_entropy_forward<float>(logits, targets, probs, &row_loss);
    auto ld = to_device(dev, logits);
    auto td = to_device(dev, targets);
    DevBuf pd(static_cast<size_t>(logits.size())), lossd(static_cast<size_t>(n));
    EmulatedDevice::Buffer<int32_t> cd(static_cast<size_t>(n));
    gpu::cross_entropy_forward(dev, ld.data(), td.data(), n, V, pd.data(), lossd.data(), cd.data());
    EXPECT_TRUE(all_close(from_device(dev, pd.data(), n, V), probs));
    Mat expected_loss(n, 1);
    for (int i = 0; i < n; ++i) expected_loss(i, 0) = static_cast<float>(row_loss[static_cast<size_t>(i)]);
    EXPECT_TRUE(all_close(from_device(dev, lossd.data(), n, 1), expected_loss));
    const auto correct = vector_from_device(dev, cd.data(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        Eigen::Index arg;
        logits.row(i).maxCoeff(&arg);  // the models' accuracy rule
        EXPECT_EQ(correct[static_cast<size_t>(i)], arg == targets[static_cast<size_t>(i)] ? 1 : 0) << "row " << i;
    }

    // Backward with a loss weight: the same two float operations per element as the CPU, so exact.
    const float scale = 0.7f;
    Mat dlogits;
    cross_entropy_backward<float>(probs, targets, scale, dlogits);
    DevBuf dd = to_device(dev, random_mat(n, V, 99));  // overwritten
    gpu::cross_entropy_backward(dev, pd.data(), td.data(), n, V, scale, dd.data());
    // From the device's own probs (equal to the CPU's within rtol 1e-5 above), so compare with the same tolerance.
    EXPECT_TRUE(all_close(from_device(dev, dd.data(), n, V), dlogits));
    Mat dlogits_from_gpu_probs;
    cross_entropy_backward<float>(from_device(dev, pd.data(), n, V), targets, scale, dlogits_from_gpu_probs);
    EXPECT_TRUE(all_close(from_device(dev, dd.data(), n, V), dlogits_from_gpu_probs, 0, 0));
}

TEST(GpuDenseCrossEntropy, ForwardAndBackwardMatchCpu) {
    EmulatedDevice dev;
    int seed = 0;
    for (Shape s : kShapes) {
        SCOPED_TRACE(::testing::Message() << s.n << "x" << s.d);
        Mat logits = random_mat(s.n, s.d, ++seed, 4.0f);
        std::vector<int32_t> targets = random_ids(s.n, s.d, ++seed);
        // Make a few rows correct so both outcomes of the accuracy flag are checked.
        for (int i = 0; i < s.n; i += 3) logits.row(i).maxCoeff(&targets[static_cast<size_t>(i)]);
        check_cross_entropy(dev, logits, targets);
    }
}

TEST(GpuDenseCrossEntropy, ArgmaxTiesPickTheFirstMaximum) {
    EmulatedDevice dev;
    Mat logits = random_mat(4, 9, 5);
    for (int i = 0; i < 4; ++i) logits(i, 2) = logits(i, 6) = 3.0f;  // tied maximum at columns 2 and 6
    logits(3, 0) = 3.0f;                                                 // and at 0, 2, 6 in the last row
    // Target the first tied column (correct) or a later one (not correct, as Eigen's maxCoeff says).
    check_cross_entropy(dev, logits, {2, 6, 5, 0});
    auto ld = to_device(dev, logits);
    auto td = to_device(dev, std::vector<int32_t>{2, 6, 5, 0});
    DevBuf pd(36), lossd(4);
    EmulatedDevice::Buffer<int32_t> cd(4);
    gpu::cross_entropy_forward(dev, ld.data(), td.data(), 4, 9, pd.data(), lossd.data(), cd.data());
    EXPECT_EQ(vector_from_device(dev, cd.data(), 4), (std::vector<int32_t>{1, 0, 0, 1}));
}

// ---------------------------------------------------------------------------------------------------------------
// SwiGLU

TEST(GpuDenseSwiglu, ActivationAndItsBackwardFollowTheFormulas) {
    EmulatedDevice dev;
    Mat a = random_mat(3, 11, 1, 4.0f);
    a(0, 0) = -100.0f;  // exp(100) overflows to inf: silu must still be a clean 0, and its derivative 0
    a(0, 1) = 100.0f;
    const Mat b = random_mat(3, 11, 2), dh = random_mat(3, 11, 3);
    auto ad = to_device(dev, a), bd = to_device(dev, b), dhd = to_device(dev, dh);
    DevBuf h(33), da(33), db(33);
    gpu::swiglu_act_forward(dev, ad.data(), bd.data(), 33, h.data());
    gpu::swiglu_act_backward(dev, ad.data(), bd.data(), dhd.data(), 33, da.data(), db.data());
    Mat eh(3, 11), eda(3, 11), edb(3, 11);  // in double from the formulas
    for (int i = 0; i < 33; ++i) {
        const double x = a.data()[i], s = 1.0 / (1.0 + std::exp(-x));
        eh.data()[i] = static_cast<float>(x * s * b.data()[i]);
        edb.data()[i] = static_cast<float>(dh.data()[i] * x * s);
        eda.data()[i] = static_cast<float>(dh.data()[i] * b.data()[i] * s * (1.0 + x * (1.0 - s)));
    }
    // A handful of float operations per element: a few ulps.
    EXPECT_TRUE(all_close(from_device(dev, h.data(), 3, 11), eh, 1e-5, 1e-6));
    EXPECT_TRUE(all_close(from_device(dev, db.data(), 3, 11), edb, 1e-5, 1e-6));
    EXPECT_TRUE(all_close(from_device(dev, da.data(), 3, 11), eda, 1e-5, 1e-6));
}

struct FfnShape {
    int n, d, I;
};

TEST(GpuDenseSwiglu, FfnForwardAndBackwardMatchCpu) {
    EmulatedDevice dev;
    int seed = 0;
    for (FfnShape s : {FfnShape{7, 5, 9}, FfnShape{64, 32, 48}, FfnShape{33, 96, 20}}) {
        for (float beta : {0.0f, 1.0f, 0.5f}) {
            SCOPED_TRACE(::testing::Message() << s.n << "x" << s.d << " I " << s.I << " beta " << beta);
            const float wscale = 1.0f / std::sqrt(static_cast<float>(s.d));
            const Mat x = random_mat(s.n, s.d, ++seed);
            const Mat Wg = random_mat(s.I, s.d, ++seed, wscale), Wu = random_mat(s.I, s.d, ++seed, wscale);
            const Mat Wd = random_mat(s.d, s.I, ++seed, 1.0f / std::sqrt(static_cast<float>(s.I)));
            const Mat y0 = random_mat(s.n, s.d, ++seed);
            SwigluCache<float> cache;
            Mat y(s.n, s.d);
            swiglu_forward<float>(x, Wg, Wu, Wd, cache, y);

            auto xd = to_device(dev, x), Wgd = to_device(dev, Wg), Wud = to_device(dev, Wu), Wdd = to_device(dev, Wd);
            auto yd = to_device(dev, y0);  // beta = 0 must ignore it; otherwise y = beta * y0 + ffn(x)
            gpu::SwigluWorkspace<EmulatedDevice> ws;
            gpu::swiglu_forward(dev, xd.data(), s.n, s.d, s.I, Wgd.data(), Wud.data(), Wdd.data(), ws, yd.data(),
                                beta);
            EXPECT_TRUE(all_close(from_device(dev, ws.a.data(), s.n, s.I), cache.a, 1e-5, 1e-5));
            EXPECT_TRUE(all_close(from_device(dev, ws.b.data(), s.n, s.I), cache.b, 1e-5, 1e-5));
            EXPECT_TRUE(all_close(from_device(dev, ws.h.data(), s.n, s.I), cache.h, 1e-5, 1e-5));
            const Mat expected_y = beta * y0 + y;
            EXPECT_TRUE(all_close(from_device(dev, yd.data(), s.n, s.d), expected_y, 1e-5, 1e-5));

            // Backward: weight gradients accumulate into random values, dx = dx_beta * dx0 + ...
            const Mat dy = random_mat(s.n, s.d, ++seed);
            const Mat dx0 = random_mat(s.n, s.d, ++seed);
            Mat dWg = random_mat(s.I, s.d, ++seed), dWu = random_mat(s.I, s.d, ++seed);
            Mat dWd = random_mat(s.d, s.I, ++seed);
            auto dyd = to_device(dev, dy), dxd = to_device(dev, dx0);
            auto dWgd = to_device(dev, dWg), dWud = to_device(dev, dWu), dWdd = to_device(dev, dWd);
            Mat dx(s.n, s.d);
            swiglu_backward<float>(x, Wg, Wu, Wd, cache, dy, dx, dWg, dWu, dWd);
            const float dx_beta = beta;  // the same three cases: 0 (overwrite), 1 (accumulate), 0.5
            gpu::swiglu_backward(dev, xd.data(), s.n, s.d, s.I, Wgd.data(), Wud.data(), Wdd.data(), ws, dyd.data(),
                                 dxd.data(), dWgd.data(), dWud.data(), dWdd.data(), dx_beta);
            const Mat expected_dx = dx_beta * dx0 + dx;
            EXPECT_TRUE(all_close(from_device(dev, dxd.data(), s.n, s.d), expected_dx, 1e-4, 1e-5));
            EXPECT_TRUE(all_close(from_device(dev, dWgd.data(), s.I, s.d), dWg, 1e-4, 1e-5));
            EXPECT_TRUE(all_close(from_device(dev, dWud.data(), s.I, s.d), dWu, 1e-4, 1e-5));
            EXPECT_TRUE(all_close(from_device(dev, dWdd.data(), s.d, s.I), dWd, 1e-4, 1e-5));
        }
    }
}

TEST(GpuDenseSwiglu, WorkspaceIsReusedAcrossRowCounts) {
    // One workspace, a big forward then a small one (buffers larger than n*I): the small one must be right.
    EmulatedDevice dev;
    const int d = 6, I = 10;
    const Mat Wg = random_mat(I, d, 1, 0.4f), Wu = random_mat(I, d, 2, 0.4f), Wd = random_mat(d, I, 3, 0.3f);
    auto Wgd = to_device(dev, Wg), Wud = to_device(dev, Wu), Wdd = to_device(dev, Wd);
    gpu::SwigluWorkspace<EmulatedDevice> ws;
    for (int n : {40, 3}) {
        const Mat x = random_mat(n, d, 10 + n), dy = random_mat(n, d, 20 + n);
        SwigluCache<float> cache;
        Mat y(n, d), dx(n, d), dWg = Mat::Zero(I, d), dWu = Mat::Zero(I, d), dWd = Mat::Zero(d, I);
        swiglu_forward<float>(x, Wg, Wu, Wd, cache, y);
        swiglu_backward<float>(x, Wg, Wu, Wd, cache, dy, dx, dWg, dWu, dWd);
        auto xd = to_device(dev, x), dyd = to_device(dev, dy);
        DevBuf yd(static_cast<size_t>(n) * d), dxd(static_cast<size_t>(n) * d);
        DevBuf dWgd(I * d), dWud(I * d), dWdd(d * I);
        gpu::swiglu_forward(dev, xd.data(), n, d, I, Wgd.data(), Wud.data(), Wdd.data(), ws, yd.data());
        gpu::swiglu_backward(dev, xd.data(), n, d, I, Wgd.data(), Wud.data(), Wdd.data(), ws, dyd.data(), dxd.data(),
                             dWgd.data(), dWud.data(), dWdd.data());
        EXPECT_GE(ws.a.size(), static_cast<size_t>(40 * I));
        EXPECT_TRUE(all_close(from_device(dev, yd.data(), n, d), y, 1e-5, 1e-5));
        EXPECT_TRUE(all_close(from_device(dev, dxd.data(), n, d), dx, 1e-4, 1e-5));
        EXPECT_TRUE(all_close(from_device(dev, dWgd.data(), I, d), dWg, 1e-4, 1e-5));
        EXPECT_TRUE(all_close(from_device(dev, dWud.data(), I, d), dWu, 1e-4, 1e-5));
        EXPECT_TRUE(all_close(from_device(dev, dWdd.data(), d, I), dWd, 1e-4, 1e-5));
    }
}

TEST(GpuDenseSwiglu, ZeroRowsIsANoOp) {
    // An expert that received no tokens: nothing is written, weight gradients keep their values.
    EmulatedDevice dev;
    const int d = 8, I = 12;
    const Mat W = random_mat(I, d, 1), Wd = random_mat(d, I, 2), g0 = random_mat(I, d, 3), gd0 = random_mat(d, I, 4);
    auto Wgd = to_device(dev, W), Wud = to_device(dev, W), Wdd = to_device(dev, Wd);
    auto dWg = to_device(dev, g0), dWu = to_device(dev, g0), dWd = to_device(dev, gd0);
    DevBuf x(1), y(1), dy(1), dx(1);  // one-element stand-ins that must stay untouched
    dev.upload(y.data(), std::vector<float>{5.0f}.data(), 1);
    dev.upload(dx.data(), std::vector<float>{6.0f}.data(), 1);
    gpu::SwigluWorkspace<EmulatedDevice> ws;
    gpu::swiglu_forward(dev, x.data(), 0, d, I, Wgd.data(), Wud.data(), Wdd.data(), ws, y.data(), 1.0f);
    gpu::swiglu_backward(dev, x.data(), 0, d, I, Wgd.data(), Wud.data(), Wdd.data(), ws, dy.data(), dx.data(),
                         dWg.data(), dWu.data(), dWd.data());
    EXPECT_EQ(vector_from_device(dev, y.data(), 1)[0], 5.0f);
    EXPECT_EQ(vector_from_device(dev, dx.data(), 1)[0], 6.0f);
    EXPECT_TRUE(all_close(from_device(dev, dWg.data(), I, d), g0, 0, 0));
    EXPECT_TRUE(all_close(from_device(dev, dWu.data(), I, d), g0, 0, 0));
    EXPECT_TRUE(all_close(from_device(dev, dWd.data(), d, I), gd0, 0, 0));
    EXPECT_EQ(ws.a.size(), 0u);
}

// ---------------------------------------------------------------------------------------------------------------
// AdamW with global-norm clipping

// Runs `steps` AdamW steps on CPU params and on a device copy with the same random gradients, comparing after each.
void check_adamw(double grad_clip, float grad_scale, bool expect_clipped) {
    TrainConfig cfg;
    cfg.grad_clip = grad_clip;
    cfg.weight_decay = 0.1;
    AdamW opt(cfg);
    std::deque<Param> params;
    const Shape shapes[] = {{7, 5}, {1, 33}, {64, 32}};
    const bool decay[] = {true, false, true};
    for (int k = 0; k < 3; ++k) {
        Param& p = params.emplace_back();
        p.w = random_mat(shapes[k].n, shapes[k].d, 500 + k);
        p.decay = decay[k];
        p.init_zero_state();
    }
    EmulatedDevice dev;
    std::vector<DevBuf> w, g, m, v;
    for (auto& p : params) {
        w.push_back(to_device(dev, p.w));
        g.push_back(DevBuf(static_cast<size_t>(p.w.size())));
        m.push_back(DevBuf(static_cast<size_t>(p.w.size())));
        v.push_back(DevBuf(static_cast<size_t>(p.w.size())));
    }
    gpu::DeviceSum<EmulatedDevice> summer;
    EmulatedDevice::Buffer<double> per_param(params.size()), total(1), norm(1), clip(1);

    for (int step = 0; step < 6; ++step) {
        SCOPED_TRACE(step);
        for (size_t k = 0; k < params.size(); ++k) {
            Param& p = params[k];
            p.g = random_mat(static_cast<int>(p.w.rows()), static_cast<int>(p.w.cols()), 1000 * step + k, grad_scale);
            dev.upload(g[k].data(), p.g.data(), static_cast<size_t>(p.g.size()));
        }
        const double lr = 3e-3 * (1.0 + 0.1 * step);
        const double cpu_norm = global_grad_norm(params);
        opt.step(params, lr, cpu_norm);

        // Device: per-parameter sums of squares, their sum in parameter order, the clip factor, the updates.
        for (size_t k = 0; k < params.size(); ++k)
            summer.sum_squares(dev, g[k].data(), static_cast<int64_t>(g[k].size()), per_param.data() + k);
        summer.sum_doubles(dev, per_param.data(), static_cast<int64_t>(params.size()), total.data());
        gpu::clip_scale_from_sum_squares(dev, total.data(), cfg.grad_clip, norm.data(), clip.data());
        const double dev_norm = device_scalar(dev, norm.data()), dev_clip = device_scalar(dev, clip.data());
        EXPECT_NEAR(dev_norm, cpu_norm, 1e-12 * cpu_norm);
        if (expect_clipped) {
            EXPECT_GT(cpu_norm, grad_clip);
            EXPECT_NEAR(dev_clip, grad_clip / (cpu_norm + 1e-6), 1e-12);
            EXPECT_LT(dev_clip, 1.0);
        } else {
            EXPECT_EQ(dev_clip, 1.0);
        }
        for (size_t k = 0; k < params.size(); ++k) {
            const Param& p = params[k];
            const gpu::AdamWStep s = gpu::adamw_step_constants(lr, cfg.adam_beta1, cfg.adam_beta2, cfg.adam_eps,
                                                               p.decay ? cfg.weight_decay : 0.0, opt.steps_taken());
            gpu::adamw_update(dev, w[k].data(), g[k].data(), m[k].data(), v[k].data(),
                              static_cast<int64_t>(w[k].size()), s, clip.data());
            const int r = static_cast<int>(p.w.rows()), c = static_cast<int>(p.w.cols());
            // Same float operations in the same order, and the same float clip factor: equal to 1e-6 relative
            // (in practice bit for bit); atol only covers m, v elements that are themselves ~0.
            EXPECT_TRUE(all_close(from_device(dev, w[k].data(), r, c), p.w, 1e-6, 1e-12));
            EXPECT_TRUE(all_close(from_device(dev, m[k].data(), r, c), p.m, 1e-6, 1e-12));
            EXPECT_TRUE(all_close(from_device(dev, v[k].data(), r, c), p.v, 1e-6, 1e-12));
        }
    }
}

TEST(GpuDenseAdamW, MatchesCpuWithClippingActive) { check_adamw(/*grad_clip=*/0.5, 1.0f, /*clipped=*/true); }

TEST(GpuDenseAdamW, MatchesCpuWithClippingInactive) {
    check_adamw(/*grad_clip=*/1e6, 1.0f, /*clipped=*/false);  // norm below the threshold
    check_adamw(/*grad_clip=*/0.0, 5.0f, /*clipped=*/false);  // clipping switched off
}

TEST(GpuDenseAdamW, NullClipScaleMeansNoClipping) {
    EmulatedDevice dev;
    const Mat w0 = random_mat(3, 7, 1), g = random_mat(3, 7, 2);
    auto w = to_device(dev, w0), gd = to_device(dev, g);
    DevBuf m(21), v(21), w2 = to_device(dev, w0), m2(21), v2(21);
    auto one = to_device(dev, std::vector<double>{1.0});
    const gpu::AdamWStep s = gpu::adamw_step_constants(1e-2, 0.9, 0.95, 1e-8, 0.1, 1);
    gpu::adamw_update(dev, w.data(), gd.data(), m.data(), v.data(), 21, s, nullptr);
    gpu::adamw_update(dev, w2.data(), gd.data(), m2.data(), v2.data(), 21, s, one.data());
    EXPECT_TRUE(all_close(from_device(dev, w.data(), 3, 7), from_device(dev, w2.data(), 3, 7), 0, 0));
    EXPECT_FALSE(all_close(from_device(dev, w.data(), 3, 7), w0, 1e-6, 0));  // it did move
}

}  // namespace
}  // namespace moe
