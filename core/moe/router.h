// The DeepSeekMoE gate (MoEGate in the reference code), forward and backward side by side.
//
//   logits  = u e_i                 (u: token [d], gate weight e: [N_r, d])
//   s_i     = softmax_i(logits)     (scoring_func = softmax)
//   top-k   = the k largest s_i; ties go to the lower expert index
//   g_i     = s_i, or s_i / sum_topk s_j when norm_topk_prob and k > 1 (+1e-20 in the denominator, as the reference)
//   aux     = alpha * N_r * sum_i f_i P_i   (expert-level balance loss, only its P_i path carries gradient)
//     token-level: f_i = (#assignments to i) / (N k),  P_i = mean over all N tokens of s_i
//     seq_aux:     the same per sequence (f_i and P_i over that sequence's T tokens), then averaged over sequences
//
// Simulated expert parallelism (device_routing.h): with a device limit M, the top-k is taken only among the
// experts on the token's M best devices (the scores stay the softmax over all N_r experts), and the device-level
// and communication balance losses of DeepSeek-V2 are added to aux beside the expert-level one:
//   aux = L_ExpBal + L_DevBal + L_CommBal      (each 0 when its coefficient is 0)
#pragma once

#include "core/moe/device_routing.h"
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
    DeviceSpec device;  // D devices, placement, device limit M, the two device-level balance losses
};

template <class T>
struct RouterCache {
    MatT<T> scores;                 // [N, N_r] softmax probabilities
    std::vector<int32_t> topk_idx;  // [N*k], each token's experts in descending score order
    MatT<T> topk_weight;            // [N, k] combine weights g (after optional renormalisation)
    double aux_loss = 0.0;          // the layer's whole balance loss: expert_aux_loss + dev_aux_loss + comm_aux_loss
    double expert_aux_loss = 0.0;   // alpha * N_r * sum f_i P_i (0 when alpha == 0)
    double dev_aux_loss = 0.0;      // L_DevBal (0 when device_aux_alpha == 0)
    double comm_aux_loss = 0.0;     // L_CommBal (0 when comm_aux_alpha == 0)
    MatT<T> aux_f;                  // [S, N_r] the f_i (per sequence for seq_aux, S = 1 otherwise), times N_r
    std::vector<int32_t> expert_device;   // [N_r] the device of each routed expert (all 0 when D = 1)
    std::vector<int32_t> chosen_devices;  // [N*M] each token's M devices, best first (empty when no limit)
    DeviceBalance<T> device_balance;      // f'_i and f''_i per group [S, D] (zero when both alphas are 0)
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
