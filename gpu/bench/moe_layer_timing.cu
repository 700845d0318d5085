#include "gpu/bench/moe_layer_timing.h"

#include "core/rng.h"
#include "gpu/cuda/cuda_device.cuh"
#include "gpu/ops/moe_layer.h"

#include <chrono>
#include <vector>

namespace moe::gpu {

namespace {

CudaBuffer<float> random_buffer(CudaDevice& dev, size_t n, float scale, uint64_t seed) {
    Rng rng(seed);
    std::vector<float> host(n);
    for (float& x : host) x = static_cast<float>(rng.uniform(-scale, scale));
    CudaBuffer<float> b(n);
    dev.upload(b.data(), host.data(), n);
    return b;
}

}  // namespace

double time_moe_layer(const LayerBenchSpec& s) {
    CudaDevice dev;
    const int d = s.hidden, I = s.inter, E = s.experts, S = s.shared;
    const auto n = static_cast<size_t>(s.tokens);
    MoEDims dims;
    dims.hidden = d;
    dims.inter = I;
    dims.n_shared = S;
    dims.router.n_routed = E;
    dims.router.top_k = s.top_k;
    dims.router.aux_alpha = 0.01;
    dims.router.seq_aux = true;
    dims.router.seq = s.seq;
    dims.router.batch = static_cast<int>(s.tokens / s.seq);

    const float ws = 1.0f / static_cast<float>(d);
    CudaBuffer<float> x = random_buffer(dev, n * d, 1.0f, 1), dy = random_buffer(dev, n * d, 1.0f, 2);
    CudaBuffer<float> gate = random_buffer(dev, size_t(E) * d, ws, 3);
    CudaBuffer<float> wg = random_buffer(dev, size_t(E) * I * d, ws, 4), wu = random_buffer(dev, size_t(E) * I * d, ws, 5);
    CudaBuffer<float> wd = random_buffer(dev, size_t(E) * d * I, ws, 6);
    CudaBuffer<float> sg = random_buffer(dev, size_t(S) * I * d + 1, ws, 7), su = random_buffer(dev, size_t(S) * I * d + 1, ws, 8);
    CudaBuffer<float> sd = random_buffer(dev, size_t(S) * I * d + 1, ws, 9);
    CudaBuffer<float> y(n * d), dx(n * d);
    CudaBuffer<float> dgate(gate.size()), dwg(wg.size()), dwu(wu.size()), dwd(wd.size()), dsg(sg.size()),
        dsu(su.size()), dsd(sd.size());
    MoEWeightPtrs w{gate.data(), wg.data(), wu.data(), wd.data(), S ? sg.data() : nullptr, S ? su.data() : nullptr,
                    S ? sd.data() : nullptr};
    MoEGradPtrs g{dgate.data(), dwg.data(), dwu.data(), dwd.data(), S ? dsg.data() : nullptr,
                  S ? dsu.data() : nullptr, S ? dsd.data() : nullptr};
    MoEWorkspace<CudaDevice> work;

    auto pass = [&] {
        moe_forward(dev, dims, w, x.data(), s.tokens, work, y.data());
        moe_backward(dev, dims, w, x.data(), s.tokens, work, dy.data(), dx.data(), g);
    };
    for (int i = 0; i < 3; ++i) pass();
    dev.synchronize();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < s.iters; ++i) pass();
    dev.synchronize();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / s.iters;
}

}  // namespace moe::gpu
