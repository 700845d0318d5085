// Times the CUDA backend's MoE layer alone (forward + backward of gpu/ops/moe_layer.h on random tokens), for the
// comparison with the seeds' reference layer in PyTorch (torch_moe_reference.py prints the same line).
#pragma once

#include <cstdint>

namespace moe::gpu {

struct LayerBenchSpec {
    int64_t tokens = 16384;
    int seq = 256;  // tokens per sequence (seq_aux groups)
    int hidden = 512, experts = 64, top_k = 6, inter = 128, shared = 2;
    int iters = 20;
};

// Milliseconds per forward + backward (mean over `iters` after 3 warm-up passes). Throws moe::Error without a GPU.
double time_moe_layer(const LayerBenchSpec& spec);

}  // namespace moe::gpu
