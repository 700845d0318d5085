// The shape of a model as the GPU step sees it: plain numbers and indices into the flat parameter list (the CPU
// model's params(), in registration order), so the device code needs no core header (nvcc compiles it) and the
// parameters go back and forth as one flat copy each. Built from a CPU model by layout_of (gpu/engine/layout_of.h).
#pragma once

#include "gpu/ops/moe_layer.h"

#include <cstdint>
#include <vector>

namespace moe::gpu {

struct ParamShape {
    int64_t rows = 0, cols = 0;
    bool decay = true;  // AdamW weight decay
    bool trained = true;  // false: AdamW leaves it alone (noaux_tc's selection bias, moved by its own rule)
    int64_t size() const { return rows * cols; }
};

// One block's parameters (indices into ModelLayout::params; -1 = absent).
struct BlockLayout {
    // Language model: x += attn(RMSNorm_ln1(x)); x += FFN(RMSNorm_ln2(x)). Classifier: x += FFN(RMSNorm_ln2(x)).
    int ln1 = -1, q = -1, k = -1, v = -1, o = -1, ln2 = -1;
    bool moe = false;
    int inter = 0;  // dense FFN width (intermediate_size)
    // Dense: w_gate, w_up, w_down. MoE: router, stacked experts, shared experts (-1 when K_s = 0).
    int router = -1, gate_bias = -1 /*noaux_tc only*/, w_gate = -1, w_up = -1, w_down = -1, s_gate = -1, s_up = -1, s_down = -1;
    MoEDims moe_dims;  // router batch/seq are set per batch
};

struct ModelLayout {
    bool language = true;
    int hidden = 0;     // d
    int outputs = 0;    // vocabulary (LM) or classes
    int heads = 1;
    bool rope = true;
    double rope_theta = 10000.0;
    float eps = 1e-6f;
    // Language model: embed [V,d], pos [P,d] (learned positions) or -1. Classifier: in_w [d,2], in_b [1,d].
    int embed = -1, pos = -1, in_w = -1, in_b = -1;
    int norm = -1, head = -1, head_b = -1;  // final RMSNorm, lm_head / classifier head [outputs,d], its bias
    std::vector<BlockLayout> blocks;
    std::vector<ParamShape> params;
    int moe_layers() const {
        int n = 0;
        for (const auto& b : blocks) n += b.moe;
        return n;
    }
};

// A batch in host memory, as plain pointers (datasets/dataset.h's Batch without its containers).
struct BatchView {
    int batch = 0, seq = 0;            // LM: B sequences of T tokens; classifier: B points (seq = 1)
    const int32_t* inputs = nullptr;   // [B*T] token ids (LM)
    const float* points = nullptr;     // [B*2] (classifier)
    const int32_t* targets = nullptr;  // [B*T] or [B]
    const int16_t* domains = nullptr;  // [rows] or null
    int n_domains = 0;
    int64_t rows() const { return static_cast<int64_t>(batch) * (points ? 1 : seq); }
};

// What one forward + backward hands back, from one transfer.
struct DeviceStepResult {
    double loss = 0, aux_loss = 0, grad_norm = 0;
    int64_t correct = 0, rows = 0;
    std::vector<std::vector<double>> routing;  // per MoE layer: its packed routing record (gpu/ops/routing_stats.h)
};

struct AdamWSettings {
    double beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.1, grad_clip = 1.0;
};

// The GPU training step on one device, with no core types in its interface (implemented by DeviceModel<Dev>).
class DeviceModelApi {
public:
    virtual ~DeviceModelApi() = default;
    virtual const char* device_name() const = 0;
    // host[i] holds params[i] (rows*cols floats), for w and for the AdamW moments m and v.
    virtual void upload(const std::vector<const float*>& w, const std::vector<const float*>& m,
                        const std::vector<const float*>& v) = 0;
    virtual void download(const std::vector<float*>& w, const std::vector<float*>& m, const std::vector<float*>& v) = 0;
    virtual DeviceStepResult forward_backward(const BatchView& batch) = 0;
    // For the parity tests: the gradients of the last forward_backward, and its logits [rows, outputs].
    virtual void download_grads(const std::vector<float*>& g) = 0;
    virtual std::vector<float> download_logits() = 0;
    // One AdamW step (t counts from 1), clipping with the gradient norm of the last forward_backward (computed on
    // the device from the same sum of squares, so the host's copy is not sent back).
    virtual void apply_update(double lr, int t, const AdamWSettings& s) = 0;
    virtual double loss(const BatchView& batch) = 0;
};

}  // namespace moe::gpu
