// moelab-gpu-bench: the CUDA backend's MoE layer alone, forward + backward, on random tokens. Prints one line in the
// format of torch_moe_reference.py, so the two can be compared on the same GPU (gpu/bench/run_gpu_bench.sh).
#include "core/error.h"
#include "gpu/bench/moe_layer_timing.h"
#include "gpu/device_probe.h"

#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    moe::gpu::LayerBenchSpec s;
    CLI::App app{"Times the CUDA backend's MoE layer (forward + backward)"};
    app.add_option("--tokens", s.tokens, "tokens in the batch");
    app.add_option("--seq", s.seq, "tokens per sequence");
    app.add_option("--hidden", s.hidden, "d_model");
    app.add_option("--experts", s.experts, "routed experts");
    app.add_option("--top-k", s.top_k, "experts per token");
    app.add_option("--inter", s.inter, "width of each routed expert");
    app.add_option("--shared", s.shared, "shared experts");
    app.add_option("--iters", s.iters, "timed passes");
    CLI11_PARSE(app, argc, argv);
    const moe::gpu::DeviceProbe probe = moe::gpu::probe_device();
    if (!probe.usable) {
        std::fprintf(stderr, "moelab-gpu-bench: no usable CUDA GPU: %s\n", probe.reason.c_str());
        return 1;
    }
    try {
        const double ms = moe::gpu::time_moe_layer(s);
        std::printf("moelab-cuda moe_layer tokens=%lld hidden=%d experts=%d top_k=%d inter=%d shared=%d: %.3f ms per "
                    "forward+backward, %.0f tokens/s (%s)\n",
                    static_cast<long long>(s.tokens), s.hidden, s.experts, s.top_k, s.inter, s.shared, ms,
                    static_cast<double>(s.tokens) / ms * 1e3, probe.name.c_str());
    } catch (const moe::Error& e) {
        std::fprintf(stderr, "moelab-gpu-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
