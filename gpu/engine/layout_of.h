// Reads a CPU model's structure into the GPU step's ModelLayout (host-only: it includes core headers).
#pragma once

#include "core/model/model.h"
#include "gpu/engine/model_layout.h"

namespace moe::gpu {

// Finds every parameter by its checkpoint name. Throws moe::Error if the model has a layout the GPU step does not
// know (a parameter missing), so a new layer kind cannot silently train wrong on the GPU.
ModelLayout layout_of(const Model& model);

}  // namespace moe::gpu
