// Where a training step's arithmetic runs. The CPU model that the Trainer owns is the reference; a backend (the
// GPU, gpu/gpu_backend.h) keeps its own copy of the parameters and optimizer state on its device, runs
// forward + backward + clipping + AdamW there, and copies the parameters back when the Trainer needs them
// (checkpoints, probes, inspection). The core knows only this interface, so it never depends on CUDA.
#pragma once

#include "core/model/ffn_layer.h"
#include "core/model/model.h"
#include "datasets/dataset.h"

#include <string>
#include <vector>

namespace moe {

struct BackendStep {
    ForwardResult forward;              // loss, aux_loss, tokens, correct of the batch
    double grad_norm = 0.0;             // before clipping
    std::vector<RoutingStats> routing;  // one per MoE layer, as Model::routing_stats gives them
};

class StepBackend {
public:
    virtual ~StepBackend() = default;

    // For messages and the GUI ("CUDA (NVIDIA H100 80GB HBM3)", "emulated (CPU)").
    virtual std::string name() const = 0;

    // Forward and backward on `batch`; the gradient norm and the loss come back in one small transfer. The
    // parameters are not changed yet: the Trainer checks the numbers first, then calls apply_update().
    virtual BackendStep forward_backward(const Batch& batch, int n_domains) = 0;
    // Clip to `grad_clip` given the norm, then one AdamW step with learning rate `lr` (core/train/optimizer.h).
    virtual void apply_update(double lr, double grad_norm) = 0;
    // Mean cross-entropy of a batch (validation), no gradients.
    virtual double loss(const Batch& batch) = 0;
    // Copies the parameters into the CPU model (same order and shapes as model.params()).
    virtual void download_params(Model& model) = 0;
};

}  // namespace moe
