// MOE_HD marks a small function that is compiled for the host and, under nvcc, for the GPU too: the per-token math
// that the CPU engine and the GPU kernels share (core/moe/route_stages.h) is written once with it.
#pragma once

#if defined(__CUDACC__)
#define MOE_HD __host__ __device__ inline
#else
#define MOE_HD inline
#endif
