// The DeepSeekMoE gate (MoEGate in the reference code), forward and backward side by side.
//
//   logits  = u e_i                 (u: token [d], gate weight e: [N_r, d])
//   s_i     = softmax_i(logits)     (scoring_func = softmax)
//   top-k   = the k largest s_i; ties go to the lower expert index
//   g_i     = s_i, or s_i / sum_topk s_j when norm_topk_prob and k > 1 (+1e-20 in the denominator, as the reference)
//   aux     = alpha * N_r * sum_i f_i P_i   (expert-level balance loss, only its P_i path carries gradient)
//     token-level: f_i = (#assignments to i) / (N k),  P_i = mean over all N tokens of s_i
//     seq_aux:     the same per sequence (f_i and P_i over that sequence's T tokens), then averaged over sequences
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace moe {

struct RouterSpec {
    int n_routed = 1;
    int top_k = 1;
    bool norm_topk_prob = true;
    double aux_alpha = 0.0;  // 0 = no balance loss (and no gradient from it)
    bool seq_aux = false;
    int batch = 1;  // rows are ordered b*seq + t; seq_aux groups them per sequence
    int seq = 1;
};

template <class T>
struct RouterCache {
    MatT<T> scores;                 // [N, N_r] softmax probabilities
    std::vector<int32_t> topk_idx;  // [N*k], each token's experts in descending score order
    MatT<T> topk_weight;            // [N, k] combine weights g (after optional renormalisation)
    double aux_loss = 0.0;          // alpha * N_r * sum f_i P_i (0 when alpha == 0)
    MatT<T> aux_f;                  // [S, N_r] the f_i (per sequence for seq_aux, S = 1 otherwise), times N_r
};

// x [N,d], gate [N_r,d]. Fills cache.
template <class T>
void router_forward(const RouterSpec& spec, const MatT<T>& x, const MatT<T>& gate, RouterCache<T>& cache);

// dtopk_weight [N,k]: gradient of the loss w.r.t. the combine weights. The balance loss's own gradient (weight 1 in
// the total loss, as AddAuxiliaryLoss does) is added inside. dx is accumulated into (+=), dgate accumulated.
template <class T>
void router_backward(const RouterSpec& spec, const MatT<T>& x, const MatT<T>& gate, const RouterCache<T>& cache,
                     const MatT<T>& dtopk_weight, MatT<T>& dx, MatT<T>& dgate);

}  // namespace moe
