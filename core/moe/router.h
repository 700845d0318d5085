// The DeepSeekMoE gate (MoEGate in the reference code), forward and backward side by side.
//
//   logits  = u e_i                 (u: token [d], gate weight e: [N_r, d])
//   s_i     = softmax_i(logits)     (scoring_func = softmax)
//   top-k   = the k largest s_i; ties go to the lower expert index
//   g_i     = s_i, or s_i / sum_topk s_j when norm_topk_prob and k > 1 (+1e-20 in the denominator, as the reference)
//   aux     = alpha * N_r * sum_i f_i P_i   (expert-level balance loss, only its P_i path carries gradient)
//   z-loss  = c_z * mean_t (logsumexp_i logits_ti)^2   (ST-MoE router z-loss, router_z_loss_coef; 0 = off): it
//             keeps the logits small, d/dlogit_ti = 2 c_z lse_t s_ti / N
//     token-level: f_i = (#assignments to i) / (N k),  P_i = mean over all N tokens of s_i
//     seq_aux:     the same per sequence (f_i and P_i over that sequence's T tokens), then averaged over sequences
//
// DeepSeek-V3 variants (all off by default; each stage is in route_stages.h):
//   scoring_func = sigmoid  a_i = sigmoid(logits_i) are the affinities the top-k and the weights use; `scores` holds
//                           their normalised form p_i = a_i / sum_j a_j (the V3 paper's s'_i), which the balance
//                           losses, the statistics and the views use as they use the softmax otherwise
//   routed_scaling_factor   g_i is multiplied by r after the optional renormalisation
//   capacity                (capacity_factor CF > 0, GShard / Switch) after the weights: each expert keeps at most
//                           C = ceil(CF N k / N_r) of the batch's slots (drop policy probs or position); a dropped
//                           slot keeps its topk_idx (f_i and the statistics count the choice), its weight becomes 0
//                           and no gradient flows through it
//   selection bias          (topk_method = noaux_tc) the device choice and the top-k rank a_i + b_i (or s_i + b_i);
//                           g_i uses the unbiased a_i. b is not trained by gradients: bias_step (route_stages.h)
//                           moves it after each optimiser step (FfnLayer::update_selection_bias)
//
// Simulated expert parallelism (device_routing.h): with a device limit M, the top-k is taken only among the
// experts on the token's M best devices (the scores stay the softmax over all N_r experts), and the device-level
// and communication balance losses of DeepSeek-V2 are added to aux beside the expert-level one:
//   aux = L_ExpBal + L_DevBal + L_CommBal      (each 0 when its coefficient is 0)
//
// Evaluation probes (DeepSeekMoE §4.5, Figs. 4 and 5), forward only, off by default (RoutingProbe):
//   mask top-r  each token's r routed experts with the highest s_i are excluded, and the top-k is re-picked from
//               the other N_r - r (the scores stay the softmax over all N_r; the weights are the re-picked s_i,
//               renormalised over them when norm_topk_prob). With a device limit the masked experts are removed
//               first: the device scores are taken over the unmasked experts only, then the top-k among the
//               unmasked experts on the chosen devices. A token left with fewer than k candidates that way keeps
//               the ones it has (the empty slots get weight 0) and is counted in RouterCache::probe_shortfall.
//   active k'   only the first k' of the (ordered) top-k keep a weight, rescaled so that they sum to what all k
//               weights summed to; the other k - k' slots stay in topk_idx with weight 0.
// With the probe off (or r = 0 and k' = k) the routing is the ordinary one, bit for bit.
#pragma once

#include "core/moe/device_routing.h"
#include "core/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

// What an evaluation probe changes in the MoE layers. Every field at its default = the ordinary model. A probe is
// for measuring a trained model: the backward pass refuses to run while one is set.
struct RoutingProbe {
    int mask_top_r = 0;       // exclude each token's r best routed experts, re-pick the top-k from the rest (0 = off)
    int active_k = 0;         // keep only the top-k' of the top-k, weights rescaled to the same sum (0 = all k)
    bool shared_off = false;  // the shared experts' output is zero (applied by the MoE layer, moe_layer.h)

    // True when the probe changes anything on a router with top-k = top_k (active_k = top_k changes nothing).
    bool active(int top_k) const { return mask_top_r > 0 || (active_k > 0 && active_k < top_k) || shared_off; }
    bool any() const { return mask_top_r != 0 || active_k != 0 || shared_off; }
};

// Whether a probe setting can run, with the reason in words for a person either way, e.g.
// "masking 4 of 16 experts leaves 12 >= k = 2: fine" or "cannot mask r = 15 of 16 experts: only 1 left for top-2".
struct ProbeCheck {
    bool ok = true;
    std::string reason;
};
// r in [0, N_r - k]: after the r best are excluded at least k experts must remain to re-pick a top-k from.
ProbeCheck check_mask_top_r(int r, int n_routed, int top_k);
// k' in [1, k], or 0 for all k.
ProbeCheck check_active_k(int active_k, int top_k);

struct RouterSpec {
    int n_routed = 1;
    int top_k = 1;
    bool norm_topk_prob = true;
    double aux_alpha = 0.0;  // 0 = no balance loss (and no gradient from it)
    double z_loss_coef = 0.0;  // router z-loss c_z (0 = off; softmax scoring only)
    bool sigmoid = false;        // scoring_func = sigmoid (DeepSeek-V3) instead of softmax
    double scaling_factor = 1.0;  // routed_scaling_factor r
    bool selection_bias = false;  // noaux_tc: router_forward is given the per-expert bias b [N_r]
    double capacity_factor = 0.0;  // > 0: each expert keeps at most ceil(CF N k / N_r) slots (route::capacity_keep)
    bool drop_by_probs = true;     // over capacity: keep the largest weights (probs) or the earliest slots (position)
    bool seq_aux = false;
    int batch = 1;  // rows are ordered b*seq + t; seq_aux groups them per sequence
    int seq = 1;
    DeviceSpec device;  // D devices, placement, device limit M, the two device-level balance losses
    RoutingProbe probe;  // evaluation probes (off by default); router_forward applies mask_top_r and active_k
};

template <class T>
struct RouterCache {
    MatT<T> scores;                 // [N, N_r] softmax probabilities (sigmoid: the normalised affinities p)
    MatT<T> affinity;               // [N, N_r] sigmoid affinities a (sigmoid scoring only, else empty)
    std::vector<T> affinity_sum;    // [N] sum_i a_i per token (sigmoid scoring only)
    std::vector<T> bias;            // [N_r] the selection bias this pass used (noaux_tc only, else empty)
    std::vector<uint8_t> kept;      // [N*k] 1 = within its expert's capacity, 0 = dropped (capacity only, else empty)
    int64_t dropped = 0;            // token-slots dropped this pass (their topk_weight is 0)
    std::vector<int32_t> topk_idx;  // [N*k], each token's experts in descending score order
    MatT<T> topk_weight;            // [N, k] combine weights g (after optional renormalisation)
    double aux_loss = 0.0;          // the layer's auxiliary losses: expert_aux_loss + dev_aux_loss + comm_aux_loss
                                    // + z_loss (what the training loss adds)
    double expert_aux_loss = 0.0;   // alpha * N_r * sum f_i P_i (0 when alpha == 0)
    double dev_aux_loss = 0.0;      // L_DevBal (0 when device_aux_alpha == 0)
    double comm_aux_loss = 0.0;     // L_CommBal (0 when comm_aux_alpha == 0)
    double z_loss = 0.0;            // c_z * mean_t lse_t^2 (0 when z_loss_coef == 0)
    std::vector<T> lse;             // [N] logsumexp of each token's logits (z-loss only, else empty)
    MatT<T> aux_f;                  // [S, N_r] the f_i (per sequence for seq_aux, S = 1 otherwise), times N_r
    std::vector<int32_t> expert_device;   // [N_r] the device of each routed expert (all 0 when D = 1)
    std::vector<int32_t> chosen_devices;  // [N*M] each token's M devices, best first (empty when no limit)
    DeviceBalance<T> device_balance;      // f'_i and f''_i per group [S, D] (zero when both alphas are 0)
    // Probes only: tokens that kept fewer than k candidates after masking under the device limit (their empty
    // slots hold their best expert with weight 0). Always 0 without a probe. A probe's zero-weight slots (these,
    // and the slots beyond k') still appear in topk_idx, aux_f and the expert loads.
    int64_t probe_shortfall = 0;
};

// x [N,d], gate [N_r,d]; selection_bias [N_r] when spec.selection_bias (else ignored, may be null). Fills cache.
template <class T>
void router_forward(const RouterSpec& spec, const MatT<T>& x, const MatT<T>& gate, RouterCache<T>& cache,
                    const T* selection_bias = nullptr);

// dtopk_weight [N,k]: gradient of the loss w.r.t. the combine weights. Throws ConfigError while a probe is set
// (spec.probe): probes are forward-only measurements. The balance loss's own gradient (weight 1 in
// the total loss, as AddAuxiliaryLoss does) is added inside. dx is accumulated into (+=), dgate accumulated.
template <class T>
void router_backward(const RouterSpec& spec, const MatT<T>& x, const MatT<T>& gate, const RouterCache<T>& cache,
                     const MatT<T>& dtopk_weight, MatT<T>& dx, MatT<T>& dgate);

}  // namespace moe
