// Token (and learned position) embedding on the device, as core/layers/embedding.{h,cpp}: a table lookup forward,
// a deterministic scatter-add backward. table [V,d] row-major, ids [N] in [0,V) (checked on the host by the caller).
#pragma once

#include "gpu/kernels/portable.h"
#include "gpu/ops/permute.h"

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
// same order as the CPU's serial loop, bit for bit). The rows were grouped by id first (a stable counting sort:
// rows[offsets[v] .. offsets[v+1]) are id v's rows, ascending), so each index (v, j) = i reads only its own rows:
// O(N * d) work in all, and no two indices write the same element.
struct EmbeddingScatterAddSorted {
    const int32_t* offsets;
    const int32_t* rows;
    const float* dout;
    int d;
    float* dtable;
    MOE_HD void operator()(int64_t i) const {
        const int64_t v = i / d, j = i % d;
        float acc = dtable[i];
        for (int32_t p = offsets[v]; p < offsets[v + 1]; ++p) acc += dout[static_cast<int64_t>(rows[p]) * d + j];
        dtable[i] = acc;
    }
};

}  // namespace kernels

// out [n,d] = table[ids] (table [V,d]).
template <class Dev>
void embedding_forward(Dev& dev, const float* table, const int32_t* ids, int64_t n, int d, float* out) {
    dev.launch(n * d, kernels::EmbeddingGather{table, ids, d, out});
}

// Scratch of the backward: the rows grouped by id (the MoE layer's counting sort, with ids as the "experts").
template <class Dev>
struct EmbeddingGradWorkspace {
    typename Dev::template Buffer<int32_t> hist, offsets, rows, row_pos;
};

// dtable [vocab,d] += scatter of dout [n,d] by ids, accumulated in row order (deterministic).
template <class Dev>
void embedding_backward(Dev& dev, const int32_t* ids, const float* dout, int64_t n, int d, int vocab, float* dtable,
                        EmbeddingGradWorkspace<Dev>& ws) {
    if (n <= 0) return;
    auto grow = [](auto& b, size_t size) {
        if (b.size() < size) b.resize(size);
    };
    grow(ws.hist, sort_scratch_size(n, vocab));
    grow(ws.offsets, static_cast<size_t>(vocab) + 1);
    grow(ws.rows, static_cast<size_t>(n));
    grow(ws.row_pos, static_cast<size_t>(n));
    sort_slots_by_expert(dev, ids, n, vocab, ws.hist.data(), ws.offsets.data(), ws.rows.data(), ws.row_pos.data());
    dev.launch(static_cast<int64_t>(vocab) * d,
               kernels::EmbeddingScatterAddSorted{ws.offsets.data(), ws.rows.data(), dout, d, dtable});
}

}  // namespace moe::gpu
