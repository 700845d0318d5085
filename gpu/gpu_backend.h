// Choosing where training runs: the CPU engine (the reference), a CUDA GPU, or the GPU code path emulated on the
// CPU (for tests). The GPU step runs behind core's StepBackend interface (core/train/step_backend.h).
#pragma once

#include "core/train/step_backend.h"
#include "gpu/engine/model_layout.h"

#include <memory>
#include <string>

namespace moe::gpu {

enum class ComputeDevice { Cpu, Cuda, Auto, Emulated };

// "cpu" | "cuda" | "auto" | "emulated". Throws ConfigError listing the valid names.
ComputeDevice parse_compute_device(const std::string& name);
const char* compute_device_name(ComputeDevice device);

struct BackendChoice {
    std::unique_ptr<StepBackend> backend;  // null: train on the CPU
    std::string note;                      // why CUDA was not used (auto, or the GUI's fallback); empty otherwise
};

// The GPU step itself for `layout` on Cuda or Emulated (the parity tests use it to read gradients and logits).
// Throws moe::Error when the device cannot be used.
std::unique_ptr<DeviceModelApi> make_device_model(ComputeDevice device, const ModelLayout& layout);

// Builds the backend for `model` (its current parameters are copied to the device). Cuda without a usable GPU
// throws moe::Error naming the reason and what to do; Auto then falls back to the CPU with a note instead.
BackendChoice make_step_backend(ComputeDevice device, Model& model);

}  // namespace moe::gpu
