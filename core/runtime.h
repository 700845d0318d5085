// Process-wide settings every MoE Lab program makes at start-up.
#pragma once

namespace moe {

// Keeps freed memory in the process instead of returning it to the system after every step: a training step
// allocates and frees the same large buffers (GEMM blocking, activations) again and again, and glibc's default
// thresholds turn each of those into fresh pages and page faults (measured: up to 2x on a layer's step).
void configure_allocator();

}  // namespace moe
