// The MoE router's settings as the GPU backend takes them: a plain copy of moe::RouterSpec (core/moe/router.h) and
// its DeviceSpec (core/moe/device_routing.h) without Eigen or std::string, so nvcc can compile the ops that use it.
// router_dims_from_spec.h converts a RouterSpec (host code only).
#pragma once

#include "core/error.h"
#include "gpu/kernels/portable.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace moe::gpu {

struct RouterDims {
    int n_routed = 1, top_k = 1;
    bool norm_topk_prob = true;
    double aux_alpha = 0.0;  // expert-level balance loss (0 = off)
    double z_loss_coef = 0.0;  // router z-loss c_z (0 = off; softmax scoring only)
    bool sigmoid = false;          // scoring_func = sigmoid (DeepSeek-V3)
    double scaling_factor = 1.0;   // routed_scaling_factor
    bool selection_bias = false;   // noaux_tc: router_forward takes the per-expert bias [N_r]
    double bias_update_rate = 0.0;  // noaux_tc: gamma of the update after each optimiser step (the engine's setting)
    double capacity_factor = 0.0;   // > 0: expert capacity ceil(CF n k / N_r), applied by moe_forward after the sort
    bool drop_by_probs = true;      // over capacity: keep the largest weights (else the earliest slots)
    bool seq_aux = false;    // balance losses per sequence (rows ordered b*seq + t), then averaged
    int batch = 1, seq = 1;
    int devices = 1, device_limit = 0 /*0 = off*/;  // D simulated devices, M devices a token may use
    bool round_robin = false;                       // placement: expert e on e % D (else contiguous blocks)
    bool group_routing = false;                     // device score: top-2 sum (V3) instead of max (V2)
    double dev_alpha = 0.0, comm_alpha = 0.0;       // DeepSeek-V2 device-level / communication balance losses

    bool renorm() const { return norm_topk_prob && top_k > 1; }  // the reference renormalises only for k > 1
    bool limited() const { return device_limit > 0; }
    int effective_limit() const { return device_limit > 0 ? device_limit : devices; }  // the M of f''_i
    bool has_device_balance_loss() const { return dev_alpha > 0.0 || comm_alpha > 0.0; }
};

// Device of routed expert e, as place_experts (core/moe/device_routing.cpp):
//   contiguous: min(e / max(N_r / D, 1), D - 1);  round_robin: e % D.
// Usable on both sides (the placement functor calls it).
MOE_HD int32_t router_expert_device(int e, int n_routed, int devices, bool round_robin) {
    const int d = devices > 1 ? devices : 1;
    if (round_robin) return e % d;
    const int block = n_routed / d > 1 ? n_routed / d : 1;
    const int dev = e / block;
    return dev < d - 1 ? dev : d - 1;
}

// Throws ConfigError when the GPU router could not run these settings on n tokens (it would read out of bounds):
// the same conditions as the CPU router's check (core/moe/router.cpp, check_device_spec), in shorter words; the
// engine has normally validated the config with the CPU checks already.
inline void check_router_dims(const RouterDims& s, int64_t n_tokens) {
    const auto fail = [](const std::string& what) { throw ConfigError("GPU router: " + what); };
    if (s.n_routed < 1) fail("the number of routed experts must be at least 1");
    if (s.top_k < 1 || s.top_k > s.n_routed) fail("top-k must be between 1 and n_routed");
    if (s.devices < 1 || s.devices > s.n_routed) fail("devices must be between 1 and n_routed");
    if (s.device_limit < 0 || s.device_limit > s.devices) fail("device_limit must be between 0 (off) and devices");
    if (!s.round_robin && s.n_routed % s.devices != 0) fail("contiguous placement needs n_routed % devices == 0");
    if (s.aux_alpha < 0 || s.dev_alpha < 0 || s.comm_alpha < 0) fail("balance-loss coefficients must be >= 0");
    if (!(s.z_loss_coef >= 0)) fail("the router z-loss coefficient must be >= 0");
    if (s.sigmoid && s.z_loss_coef > 0) fail("the z-loss needs softmax scoring");
    if (!(s.scaling_factor > 0)) fail("routed_scaling_factor must be > 0");
    if (!(s.bias_update_rate >= 0)) fail("bias_update_rate must be >= 0");
    if (!(s.capacity_factor >= 0)) fail("capacity_factor must be >= 0");
    if (s.capacity_factor > 0 && s.top_k > 256) fail("expert capacity supports top-k up to 256");
    // Every choice of M devices must hold at least k experts: the sum of the M smallest device sizes.
    std::vector<int64_t> size(static_cast<size_t>(s.devices), 0);
    for (int e = 0; e < s.n_routed; ++e) ++size[router_expert_device(e, s.n_routed, s.devices, s.round_robin)];
    std::sort(size.begin(), size.end());
    int64_t avail = 0;
    for (int i = 0; i < s.effective_limit(); ++i) avail += size[static_cast<size_t>(i)];
    if (s.top_k > avail) fail("top-k is larger than the experts on device_limit devices");
    const bool any_aux = s.aux_alpha > 0.0 || s.has_device_balance_loss();
    if (any_aux && s.seq_aux && int64_t(s.batch) * s.seq != n_tokens)
        fail("the sequence-level balance loss needs batch*seq = " + std::to_string(int64_t(s.batch) * s.seq) +
             " to equal the " + std::to_string(n_tokens) + " tokens");
}

}  // namespace moe::gpu
