// The token-slot permutation of the MoE fast path on the device (core/moe/moe_fast.cpp, steps 1 and 3):
//
//   sort:     the N*k token-slots (slot s = token*k + j, expert topk_idx[s]) sorted by expert with a STABLE
//             counting sort: expert e owns rows [offsets[e], offsets[e+1]) of the permuted buffers, perm[row] = slot,
//             slot_row[slot] = row (its inverse). Inside an expert the slots stay in ascending order, exactly as the
//             CPU's serial loop leaves them, so perm and offsets are equal to the CPU's.
//   gather:   xp[row] = x[perm[row] / k]
//   combine:  routed[t] = sum_j g[t,j] yp[slot_row[t*k+j]]   (j in order), y = routed (+ shared)
//   and the backward of both: dg[t,j] = dy[t] . yp[row], dyp[row] = g[t,j] dy[t], dx[t] (+)= sum_j dxp[row of t,j].
//
// The sort without atomics (portable.h): the slots are cut into chunks of kSortChunk; one index per chunk counts its
// slots per expert (a histogram row of its own), one index per expert turns its column into exclusive starts per
// chunk, one index scans the expert totals into offsets, and one index per chunk writes its slots in order from
// offsets[e] + its start. O(N k + chunks * N_r) work, deterministic. (A real GPU would do the histogram in shared
// memory per block and the scans with a block-wide scan; at our sizes this is not where the time goes.)
#pragma once

#include "gpu/kernels/portable.h"

#include <stddef.h>
#include <stdint.h>

namespace moe::gpu {

// Slots per chunk of the counting sort's histogram pass.
constexpr int64_t kSortChunk = 256;

inline int64_t sort_chunks(int64_t n_slots) { return (n_slots + kSortChunk - 1) / kSortChunk; }

// Scratch of the counting sort: a histogram row of N_r counts per chunk.
inline size_t sort_scratch_size(int64_t n_slots, int n_routed) { return size_t(sort_chunks(n_slots)) * size_t(n_routed); }

namespace kernels {

// Index c: hist[c, e] = number of slots of chunk c routed to expert e.
struct CountSlotsPerChunk {
    const int32_t* topk_idx;
    int64_t n_slots, chunk;
    int n_routed;
    int32_t* hist;
    MOE_HD void operator()(int64_t c) const {
        int32_t* h = hist + c * n_routed;
        for (int e = 0; e < n_routed; ++e) h[e] = 0;
        const int64_t end = (c + 1) * chunk < n_slots ? (c + 1) * chunk : n_slots;
        for (int64_t s = c * chunk; s < end; ++s) ++h[topk_idx[s]];
    }
};

// Index e: column e of hist becomes the exclusive start of each chunk inside expert e's block; the expert's total
// goes to offsets[e + 1] (scanned by ScanExpertCounts).
struct ChunkStartsPerExpert {
    int64_t chunks;
    int n_routed;
    int32_t* hist;
    int32_t* offsets;
    MOE_HD void operator()(int64_t e) const {
        int32_t run = 0;
        for (int64_t c = 0; c < chunks; ++c) {
            int32_t& h = hist[c * n_routed + e];
            const int32_t count = h;
            h = run;
            run += count;
        }
        offsets[e + 1] = run;
    }
};

// One index: offsets[0] = 0, offsets[e+1] = offsets[e] + count[e] (N_r is small: a serial scan is fine).
struct ScanExpertCounts {
    int n_routed;
    int32_t* offsets;
    MOE_HD void operator()(int64_t) const {
        offsets[0] = 0;
        for (int e = 0; e < n_routed; ++e) offsets[e + 1] += offsets[e];
    }
};

// Index c: the slots of chunk c, in order, go to row offsets[e] + (chunk start inside e) + (earlier slots of the
// chunk with expert e); the chunk's histogram row serves as its cursor.
struct ScatterSlotsPerChunk {
    const int32_t* topk_idx;
    const int32_t* offsets;
    int64_t n_slots, chunk;
    int n_routed;
    int32_t* hist;
    int32_t* perm;
    int32_t* slot_row;
    MOE_HD void operator()(int64_t c) const {
        int32_t* cursor = hist + c * n_routed;
        const int64_t end = (c + 1) * chunk < n_slots ? (c + 1) * chunk : n_slots;
        for (int64_t s = c * chunk; s < end; ++s) {
            const int32_t e = topk_idx[s];
            const int32_t r = offsets[e] + cursor[e]++;
            perm[r] = int32_t(s);
            slot_row[s] = r;
        }
    }
};

// Index i = row*d + c: xp[row, c] = x[perm[row] / k, c].
struct GatherSlotRows {
    const float* x;
    const int32_t* perm;
    int d, k;
    float* xp;
    MOE_HD void operator()(int64_t i) const {
        const int64_t row = i / d, c = i % d;
        xp[i] = x[int64_t(perm[row] / k) * d + c];
    }
};

// Index i = t*d + c: routed[t,c] = g[t,0] yp[r0,c] + g[t,1] yp[r1,c] + ... (slots in order, as the CPU);
// y[t,c] = routed[t,c] + shared[t,c] when there are shared experts (shared may be null).
struct CombineSlots {
    const float* yp;
    const float* topk_weight;
    const int32_t* slot_row;
    const float* shared;
    int d, k;
    float* routed;
    float* y;
    MOE_HD void operator()(int64_t i) const {
        const int64_t t = i / d, c = i % d;
        const float* g = topk_weight + t * k;
        const int32_t* rows = slot_row + t * k;
        float acc = g[0] * yp[int64_t(rows[0]) * d + c];
        for (int j = 1; j < k; ++j) acc += g[j] * yp[int64_t(rows[j]) * d + c];
        routed[i] = acc;
        y[i] = shared ? acc + shared[i] : acc;
    }
};

// Index s (slot t*k + j): dg[t,j] = dy[t] . yp[slot_row[s]], summed over the d features in order.
struct CombineWeightGrad {
    const float* dy;
    const float* yp;
    const int32_t* slot_row;
    int d, k;
    float* dtopk_weight;
    MOE_HD void operator()(int64_t s) const {
        const float* a = dy + (s / k) * d;
        const float* b = yp + int64_t(slot_row[s]) * d;
        float acc = 0.0f;
        for (int c = 0; c < d; ++c) acc += a[c] * b[c];
        dtopk_weight[s] = acc;
    }
};

// Index i = row*d + c: dyp[row, c] = g[slot] dy[token, c], slot = perm[row].
struct CombineRowGrad {
    const float* dy;
    const float* topk_weight;
    const int32_t* perm;
    int d, k;
    float* dyp;
    MOE_HD void operator()(int64_t i) const {
        const int64_t row = i / d, c = i % d;
        const int32_t s = perm[row];
        dyp[i] = topk_weight[s] * dy[int64_t(s / k) * d + c];
    }
};

// Index i = t*d + c: dx[t,c] = (accumulate ? dx[t,c] : 0) + dxp[r0,c] + dxp[r1,c] + ... (slots in order).
struct ScatterSlotGrads {
    const float* dxp;
    const int32_t* slot_row;
    int d, k;
    bool accumulate;
    float* dx;
    MOE_HD void operator()(int64_t i) const {
        const int64_t t = i / d, c = i % d;
        float acc = accumulate ? dx[i] : 0.0f;
        for (int j = 0; j < k; ++j) acc += dxp[int64_t(slot_row[t * k + j]) * d + c];
        dx[i] = acc;
    }
};

}  // namespace kernels

// Stable counting sort of the n_slots token-slots by expert. offsets [N_r+1], perm and slot_row [n_slots];
// hist is scratch of sort_scratch_size(n_slots, n_routed) ints.
template <class Dev>
void sort_slots_by_expert(Dev& dev, const int32_t* topk_idx, int64_t n_slots, int n_routed, int32_t* hist,
                          int32_t* offsets, int32_t* perm, int32_t* slot_row) {
    const int64_t chunks = sort_chunks(n_slots);
    if (chunks == 0) {
        dev.zero(offsets, size_t(n_routed) + 1);
        return;
    }
    dev.launch(chunks, kernels::CountSlotsPerChunk{topk_idx, n_slots, kSortChunk, n_routed, hist});
    dev.launch(n_routed, kernels::ChunkStartsPerExpert{chunks, n_routed, hist, offsets});
    dev.launch(1, kernels::ScanExpertCounts{n_routed, offsets});
    dev.launch(chunks,
               kernels::ScatterSlotsPerChunk{topk_idx, offsets, n_slots, kSortChunk, n_routed, hist, perm, slot_row});
}

// xp [n_slots, d] = the token rows of the slots, in permuted order.
template <class Dev>
void gather_slot_rows(Dev& dev, const float* x, const int32_t* perm, int64_t n_slots, int d, int k, float* xp) {
    dev.launch(n_slots * d, kernels::GatherSlotRows{x, perm, d, k, xp});
}

// routed [n,d] = the weighted sum of each token's expert outputs; y = routed + shared (shared may be null).
template <class Dev>
void combine_slots(Dev& dev, const float* yp, const float* topk_weight, const int32_t* slot_row, const float* shared,
                   int64_t n, int d, int k, float* routed, float* y) {
    dev.launch(n * d, kernels::CombineSlots{yp, topk_weight, slot_row, shared, d, k, routed, y});
}

// The backward of combine_slots: dtopk_weight [n,k] and dyp [n*k, d] (both overwritten).
template <class Dev>
void combine_slots_backward(Dev& dev, const float* dy, const float* yp, const float* topk_weight,
                            const int32_t* perm, const int32_t* slot_row, int64_t n, int d, int k,
                            float* dtopk_weight, float* dyp) {
    dev.launch(n * k, kernels::CombineWeightGrad{dy, yp, slot_row, d, k, dtopk_weight});
    dev.launch(n * k * d, kernels::CombineRowGrad{dy, topk_weight, perm, d, k, dyp});
}

// The backward of gather_slot_rows: dx [n,d] (+)= the sum of each token's slot gradients.
template <class Dev>
void scatter_slot_grads(Dev& dev, const float* dxp, const int32_t* slot_row, int64_t n, int d, int k, bool accumulate,
                        float* dx) {
    dev.launch(n * d, kernels::ScatterSlotGrads{dxp, slot_row, d, k, accumulate, dx});
}

}  // namespace moe::gpu
