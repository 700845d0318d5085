// Code shared by the CUDA kernels and their CPU emulation.
//
// The GPU backend is written once, against a "device" type (see emulated/emulated_device.h for the contract):
// every elementwise or per-row step is a small functor whose `operator()(int64_t i)` handles index i, marked MOE_HD
// so nvcc compiles it for the GPU and the host compiler for the CPU. CudaDevice launches it as a grid of threads;
// EmulatedDevice calls it in a loop. CI has no GPU, so the emulation is what lets it test every kernel body and the
// whole GPU training step against the CPU engine; on a GPU the same code runs for real.
//
// Rules for a functor (they make both launchers give identical, deterministic results):
//   - trivially copyable (raw pointers and numbers only): it is passed to the kernel by value;
//   - index i writes only outputs that belong to i (no atomics, no races): sums over many indices are done by
//     one index looping in a fixed order, or in two passes (partials, then their sum);
//   - only the math helpers below (float functions available on both sides).
#pragma once

#include "core/portable.h"  // MOE_HD

#include <math.h>
#include <stdint.h>

namespace moe::gpu {

MOE_HD float fexp(float x) { return expf(x); }
MOE_HD float flog(float x) { return logf(x); }
MOE_HD float fsqrt(float x) { return sqrtf(x); }
MOE_HD float fmaxf2(float a, float b) { return a > b ? a : b; }
MOE_HD float fminf2(float a, float b) { return a < b ? a : b; }
MOE_HD float fsigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
MOE_HD float fpow(float x, float y) { return powf(x, y); }
MOE_HD float fcos(float x) { return cosf(x); }
MOE_HD float fsin(float x) { return sinf(x); }
MOE_HD double dsqrt(double x) { return sqrt(x); }
MOE_HD double dlog(double x) { return log(x); }  // where the CPU engine takes its log in double

}  // namespace moe::gpu
