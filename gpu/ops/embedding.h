// Token (and learned position) embedding on the device, as core/layers/embedding.{h,cpp}: a table lookup forward,
// a deterministic scatter-add backward. table [V,d] row-major, ids [N] in [0,V) (checked on the host by the caller).
#pragma once

#include "gpu/kernels/portable.h"

#include <cstdint>

namespace moe::gpu {

namespace kernels {

// out[r, j] = table[ids[r], j]; one index per output element (i = r * d + j).
struct EmbeddingGather {
    const float* table;
    const int32_t* ids;
    int d;
    float* out;
    MOE_HD void operator()(int64_t i) const {
        const int64_t r = i / d, j = i % d;
        out[i] = table[static_cast<int64_t>(ids[r]) * d + j];
    }
};

// dtable[v, j] += dout[r, j] for every row r with ids[r] == v, in row order (so the float additions happen in the
// same order as the CPU's serial loop, bit for bit). One index per (v, j) = i; no two indices write the same element.
// Cost: every index scans all N ids, O(V * d * N) compares (the ids reads are shared by the threads of a warp, which
// all have the same v). Fine for a byte vocabulary (V = 256) and position tables; a large vocabulary would want the
// rows grouped by id first (counting sort of ids, then one index per (v, j) over its own rows: O(N * d)).
struct EmbeddingScatterAdd {
    const int32_t* ids;
    const float* dout;
    int64_t n;
    int d;
    float* dtable;
    MOE_HD void operator()(int64_t i) const {
        const int64_t v = i / d, j = i % d;
        float acc = dtable[i];
        for (int64_t r = 0; r < n; ++r)
            if (ids[r] == v) acc += dout[r * d + j];
        dtable[i] = acc;
    }
};

}  // namespace kernels

// out [n,d] = table[ids] (table [V,d]).
template <class Dev>
void embedding_forward(Dev& dev, const float* table, const int32_t* ids, int64_t n, int d, float* out) {
    dev.launch(n * d, kernels::EmbeddingGather{table, ids, d, out});
}

// dtable [vocab,d] += scatter of dout [n,d] by ids, accumulated in row order (deterministic).
template <class Dev>
void embedding_backward(Dev& dev, const int32_t* ids, const float* dout, int64_t n, int d, int vocab, float* dtable) {
    if (n <= 0) return;
    dev.launch(static_cast<int64_t>(vocab) * d, kernels::EmbeddingScatterAdd{ids, dout, n, d, dtable});
}

}  // namespace moe::gpu
