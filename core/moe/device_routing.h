// Simulated expert parallelism: where the routed experts live, device-limited routing, and the two device-level
// balance losses of DeepSeek-V2, forward and backward side by side.
//
// Placement. D simulated devices; routed expert e lives on
//   contiguous:   device e / (N_r / D)        (needs N_r % D == 0: blocks of N_r / D experts)
//   round_robin:  device e % D
// Shared experts are replicated on every device: they are never routed and cost no traffic.
//
// Device-limited routing (DeepSeek-V2, seed 004). With a device limit M (1 <= M <= D) each token t
//   1. scores every device i from the affinities s_{j,t} (the softmax over ALL routed experts) of its experts E_i:
//        device routing (V2):  score_i = max_{j in E_i} s_{j,t}
//        group routing  (V3):  score_i = sum of the two largest s_{j,t}, j in E_i (one expert: that one)
//   2. keeps the M devices with the highest score (ties: the lower device index)
//   3. takes its top-k among the experts on those M devices (ties: the lower expert index).
// The scores themselves stay the softmax over all N_r experts: the limit only restricts WHICH experts can be
// chosen, and g_{j,t} = s_{j,t} for a chosen expert (renormalised over the chosen k when norm_topk_prob), as
// DeepSeek-V2 writes it. With norm_topk_prob this is exactly seed 004's softmax over the masked logits (the
// softmax's normaliser cancels in the renormalisation); without it the weights stay on the scale of the
// unlimited model. M = D (or no limit) gives bit for bit the unlimited routing.
//
// Balance losses (DeepSeek-V2, beside the expert-level one). Per group of T tokens (one per sequence with
// seq_aux, then averaged over the S sequences; else one group of all tokens), with
//   f_j  = N_r / (K T) * #(tokens of the group choosing expert j)        (RouterCache::aux_f)
//   P_j  = (1/T) sum_t s_{j,t}
//   L_DevBal  = alpha_dev  * sum_{i=1..D} f'_i  P'_i,   f'_i  = (1/|E_i|) sum_{j in E_i} f_j,
//                                                       P'_i  = sum_{j in E_i} P_j
//   L_CommBal = alpha_comm * sum_{i=1..D} f''_i P''_i,  f''_i = D / (M T) * #(tokens sent to device i),
//                                                       P''_i = sum_{j in E_i} P_j
// "Sent to device i": at least one of the token's k experts lives on device i (M = D when the limit is off).
// The f terms are counts: as for the expert-level loss, only the P terms carry gradient:
//   d L / d s_{j,t} = (alpha_dev f'_{dev(j)} + alpha_comm f''_{dev(j)}) / (S T)     for token t of its group.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

enum class Placement { Contiguous, RoundRobin };
enum class DeviceRouting { Device, Group };

struct DeviceSpec {
    int devices = 1;  // D; 1 = no expert parallelism
    int limit = 0;    // M; 0 = off (a token may use every device)
    Placement placement = Placement::Contiguous;
    DeviceRouting routing = DeviceRouting::Device;
    double dev_alpha = 0.0;   // alpha_dev of L_DevBal (0 = off)
    double comm_alpha = 0.0;  // alpha_comm of L_CommBal (0 = off)

    bool limited() const { return limit > 0; }
    int effective_limit() const { return limit > 0 ? limit : devices; }  // the M of f''_i
    bool has_balance_loss() const { return dev_alpha > 0.0 || comm_alpha > 0.0; }
};

// "contiguous" | "round_robin", "device" | "group". Unknown names throw ConfigError listing the valid ones.
Placement parse_placement(const std::string& name);
DeviceRouting parse_device_routing(const std::string& name);
const char* placement_name(Placement p);
const char* device_routing_name(DeviceRouting r);

// Throws ConfigError, in the words of the config keys (devices, device_limit, placement, ...), when the device
// settings cannot work with N_r routed experts and top-k: D outside [1, N_r], M outside [0 = off, D], contiguous
// placement with N_r % D != 0, fewer than k experts on some choice of M devices, a negative coefficient.
void check_device_spec(const DeviceSpec& spec, int n_routed, int top_k);

// The device of each routed expert [N_r] (assumes check_device_spec passed).
std::vector<int32_t> place_experts(const DeviceSpec& spec, int n_routed);

// The fewest routed experts that any m devices hold together (the sum of the m smallest device sizes).
int64_t min_experts_on_devices(const DeviceSpec& spec, int n_routed, int m);

// One token, scores s [N_r]: the device scores [D] (device: max, group: sum of the top 2 of its experts).
template <class T>
void device_scores(const DeviceSpec& spec, const int32_t* expert_device, const T* s, int n_routed, T* score,
                   T* second);

// One token: writes the M devices with the highest score into chosen [M], in descending score order, ties to the
// lower device index, and sets allowed[i] (size D) to 1 for them and 0 for the others. score and second are
// scratch of size D. M = spec.effective_limit().
template <class T>
void choose_devices(const DeviceSpec& spec, const int32_t* expert_device, const T* s, int n_routed, T* score,
                    T* second, int32_t* chosen, uint8_t* allowed);

// The device-level and communication balance losses of one forward pass. groups x group_size == tokens;
// topk_idx [N*k]; aux_f [S, N_r] the expert-level f_j per group (N_r / (K T) * counts).
template <class T>
struct DeviceBalance {
    double dev_loss = 0.0;   // L_DevBal  (0 when alpha_dev == 0)
    double comm_loss = 0.0;  // L_CommBal (0 when alpha_comm == 0)
    MatT<T> dev_f;           // [S, D] f'_i
    MatT<T> comm_f;          // [S, D] f''_i
};

template <class T>
void device_balance_forward(const DeviceSpec& spec, const std::vector<int32_t>& expert_device, const MatT<T>& scores,
                            const std::vector<int32_t>& topk_idx, int top_k, const MatT<T>& aux_f, int64_t groups,
                            int64_t group_size, DeviceBalance<T>& out);

// coef [S, N_r]: d (L_DevBal + L_CommBal) / d s_{j,t} for a token t of group g (the same for every token of it):
//   coef(g, j) = (alpha_dev f'_{g,dev(j)} + alpha_comm f''_{g,dev(j)}) / (S T).
template <class T>
void device_balance_backward(const DeviceSpec& spec, const std::vector<int32_t>& expert_device,
                             const DeviceBalance<T>& bal, int64_t groups, int64_t group_size, MatT<T>& coef);

}  // namespace moe
