// The DeepSeekMoE gate on the GPU backend, forward and backward: the same math, layouts and tie rules as
// core/moe/router.{h,cpp} and core/moe/device_routing.{h,cpp} (see router.h there for the formulas):
//   logits = x gate^T (GEMM)  ->  per token: softmax scores, device limit, top-k, renormalised weights
//   -> per group: expert loads f and mean scores P, device loads  ->  balance losses (kept on the device)
// Backward: d topk_weight and the balance losses' gradient (weight 1) -> d logits per token -> dx, dgate (GEMMs).
#pragma once

#include "gpu/kernels/gemm_desc.h"
#include "gpu/ops/balance_loss.h"
#include "gpu/ops/router_dims.h"
#include "gpu/ops/router_kernels.h"

#include <cstddef>
#include <cstdint>

namespace moe::gpu {

template <class Dev>
struct RouterWorkspace {
    template <class T>
    using Buf = typename Dev::template Buffer<T>;

    Buf<float> logits, scores;      // [n, N_r]
    Buf<int32_t> topk_idx;          // [n*k] descending score order
    Buf<float> topk_weight;         // [n, k]
    Buf<int32_t> expert_device;     // [N_r]
    Buf<double> aux;                // [5]: total, expert-level, device-level, communication, z-loss (device scalars)
    Buf<float> lse;                 // [n] logsumexp of each token's logits (z-loss only)
    Buf<float> affinity;            // [n, N_r] sigmoid affinities (sigmoid scoring only; scores holds a / sum a)
    Buf<float> affinity_sum;        // [n]
    Buf<float> sel, sel_top;        // [n, N_r], [n, k] selection scores and their chosen values (noaux_tc only)
    Buf<uint8_t> kept;              // [n*k] 1 = within its expert's capacity (capacity_factor > 0 only; moe_forward)
    Buf<float> aux_f;               // [S, N_r] f_i (times N_r), as RouterCache::aux_f: expert loads
    Buf<double> aux_p;              // [S, N_r] P_i, the group's mean scores
    Buf<double> dev_f, comm_f;      // [S, D] f'_i and f''_i (0 when both device coefficients are 0)
    Buf<double> dev_p;              // [S, D] P'_i
    Buf<int32_t> chosen_devices;    // [n*M] each token's M devices, best first (empty without a limit)
    Buf<float> dev_score, dev_second;  // [n, D] per-token scratch of the device choice (limit only)
    Buf<uint8_t> allowed;              // [n, D] 1 for the token's chosen devices (limit only)
    Buf<float> dlogits;                // [n, N_r] backward scratch
    int64_t groups = 0, group_size = 0;  // the grouping of the last forward (S, T)
};

namespace router_detail {

template <class B>
void ensure_size(B& b, size_t n) {
    if (b.size() != n) b.resize(n);
}

// The balance-loss groups, as aux_groups in core/moe/router.cpp: one per sequence with seq_aux when batch*seq
// matches the tokens, else one group of all tokens.
inline void aux_groups(const RouterDims& s, int64_t n, int64_t& groups, int64_t& size) {
    if (s.seq_aux && s.batch >= 1 && int64_t(s.batch) * s.seq == n) {
        groups = s.batch, size = s.seq;
    } else {
        groups = 1, size = n;
    }
}

}  // namespace router_detail

// x [n, d], gate [N_r, d] on the device; bias [N_r] with s.selection_bias (else ignored). Fills ws (the aux values
// stay on the device: ws.aux).
template <class Dev>
void router_forward(Dev& dev, const RouterDims& s, const float* x, int64_t n, int d, const float* gate,
                    RouterWorkspace<Dev>& ws, const float* bias = nullptr) {
    using router_detail::ensure_size;
    check_router_dims(s, n);
    if (s.selection_bias && !bias) throw InternalError("GPU router: noaux_tc needs the selection bias");
    const int nr = s.n_routed, k = s.top_k, D = s.devices, M = s.effective_limit();
    const bool limited = s.limited(), device_loss = s.has_device_balance_loss();
    int64_t S = 0, T = 0;
    router_detail::aux_groups(s, n, S, T);
    ws.groups = S, ws.group_size = T;

    const size_t rows = static_cast<size_t>(n);
    ensure_size(ws.logits, rows * nr);
    ensure_size(ws.scores, rows * nr);
    ensure_size(ws.topk_idx, rows * k);
    ensure_size(ws.topk_weight, rows * k);
    ensure_size(ws.expert_device, static_cast<size_t>(nr));
    ensure_size(ws.aux, 5);
    const bool z_loss = s.z_loss_coef > 0.0;
    ensure_size(ws.lse, z_loss ? rows : 0);
    ensure_size(ws.affinity, s.sigmoid ? rows * nr : 0);
    ensure_size(ws.affinity_sum, s.sigmoid ? rows : 0);
    ensure_size(ws.sel, s.selection_bias ? rows * nr : 0);
    ensure_size(ws.sel_top, s.selection_bias ? rows * k : 0);
    ensure_size(ws.aux_f, static_cast<size_t>(S) * nr);
    ensure_size(ws.aux_p, static_cast<size_t>(S) * nr);
    ensure_size(ws.dev_f, static_cast<size_t>(S) * D);
    ensure_size(ws.comm_f, static_cast<size_t>(S) * D);
    ensure_size(ws.dev_p, static_cast<size_t>(S) * D);
    ensure_size(ws.chosen_devices, limited ? rows * M : 0);
    ensure_size(ws.dev_score, limited ? rows * D : 0);
    ensure_size(ws.dev_second, limited ? rows * D : 0);
    ensure_size(ws.allowed, limited ? rows * D : 0);

    dev.launch(nr, kernels::RouterPlaceExperts{ws.expert_device.data(), nr, D, s.round_robin});
    dev.zero(ws.aux.data(), 5);
    if (n == 0) {  // no tokens: no routing, every load and loss 0
        dev.zero(ws.aux_f.data(), ws.aux_f.size());
        dev.zero(ws.aux_p.data(), ws.aux_p.size());
        dev.zero(ws.dev_f.data(), ws.dev_f.size());
        dev.zero(ws.comm_f.data(), ws.comm_f.size());
        dev.zero(ws.dev_p.data(), ws.dev_p.size());
        return;
    }

    dev.gemm(gemm_nt(static_cast<int>(n), nr, d, x, gate, ws.logits.data()));
    dev.launch(n, kernels::RouterTokenRoute{ws.logits.data(), ws.scores.data(), ws.expert_device.data(),
                                            ws.dev_score.data(), ws.dev_second.data(), ws.allowed.data(),
                                            ws.chosen_devices.data(), ws.topk_idx.data(), ws.topk_weight.data(),
                                            z_loss ? ws.lse.data() : nullptr, s.selection_bias ? bias : nullptr,
                                            ws.sel.data(), ws.sel_top.data(),
                                            s.sigmoid ? ws.affinity.data() : nullptr, ws.affinity_sum.data(), nr, k, D,
                                            M, limited, s.group_routing, s.renorm(),
                                            static_cast<float>(s.scaling_factor)});

    // f is always computed (the utilisation metrics read it); the losses only when their coefficient is > 0.
    const float f_scale = static_cast<float>(double(nr) / double(T * k));
    dev.launch(S * nr, kernels::RouterExpertLoad{ws.scores.data(), ws.topk_idx.data(), ws.aux_f.data(),
                                                 ws.aux_p.data(), T, nr, k, f_scale});
    if (device_loss) {
        dev.launch(S * D, kernels::RouterDeviceLoad{ws.topk_idx.data(), ws.expert_device.data(), ws.aux_f.data(),
                                                    ws.aux_p.data(), ws.dev_f.data(), ws.comm_f.data(),
                                                    ws.dev_p.data(), T, nr, k, D, M});
    } else {
        dev.zero(ws.dev_f.data(), ws.dev_f.size());
        dev.zero(ws.comm_f.data(), ws.comm_f.size());
        dev.zero(ws.dev_p.data(), ws.dev_p.size());
    }
    dev.launch(1, kernels::RouterBalanceLoss{ws.aux_f.data(), ws.aux_p.data(), ws.dev_f.data(), ws.comm_f.data(),
                                             ws.dev_p.data(), ws.aux.data(), S, nr, D, s.aux_alpha, s.dev_alpha,
                                             s.comm_alpha, s.aux_alpha > 0.0, device_loss});
    if (z_loss) dev.launch(1, kernels::RouterZLoss{ws.lse.data(), ws.aux.data(), n, s.z_loss_coef});
}

// dtopk_weight [n, k]: gradient of the loss w.r.t. the combine weights. The balance losses' own gradient (weight 1
// in the total loss) is added inside. dx [n, d] and dgate [N_r, d] are accumulated into (+=).
template <class Dev>
void router_backward(Dev& dev, const RouterDims& s, const float* x, int64_t n, int d, const float* gate,
                     RouterWorkspace<Dev>& ws, const float* dtopk_weight, float* dx, float* dgate) {
    check_router_dims(s, n);
    const int nr = s.n_routed, k = s.top_k;
    int64_t S = 0, T = 0;
    router_detail::aux_groups(s, n, S, T);
    if (ws.scores.size() != static_cast<size_t>(n) * nr || ws.topk_idx.size() != static_cast<size_t>(n) * k ||
        ws.groups != S || ws.group_size != T || ws.dev_f.size() != static_cast<size_t>(S) * s.devices)
        throw ConfigError("GPU router_backward: called without a matching forward pass");
    if (n == 0) return;
    router_detail::ensure_size(ws.dlogits, static_cast<size_t>(n) * nr);

    const bool expert_aux = s.aux_alpha > 0.0;
    // d aux / d s_{t,i} = alpha / S * (f_i N_r) / T;  device losses: (alpha_dev f' + alpha_comm f'') / (S T).
    const float aux_scale = expert_aux ? static_cast<float>(s.aux_alpha / double(S * T)) : 0.0f;
    const double dev_scale = 1.0 / (double(S) * double(T));
    const bool z_loss = s.z_loss_coef > 0.0;
    if (s.capacity_factor > 0.0 && ws.kept.size() != static_cast<size_t>(n) * k)
        throw ConfigError("GPU router_backward: the capacity needs moe_forward's kept slots");
    if (s.sigmoid && ws.affinity.size() != static_cast<size_t>(n) * nr)
        throw ConfigError("GPU router_backward: sigmoid scoring needs the forward pass's affinities");
    if (z_loss && ws.lse.size() != static_cast<size_t>(n))
        throw ConfigError("GPU router_backward: the z-loss needs the forward pass's logsumexp");
    const float z_scale = z_loss ? static_cast<float>(2.0 * s.z_loss_coef / double(n)) : 0.0f;
    dev.launch(n, kernels::RouterTokenBackward{ws.scores.data(), ws.topk_idx.data(), ws.topk_weight.data(),
                                               dtopk_weight, ws.aux_f.data(), ws.dev_f.data(), ws.comm_f.data(),
                                               ws.expert_device.data(), ws.dlogits.data(), T, nr, k, s.devices,
                                               s.renorm(), expert_aux, s.has_device_balance_loss(), aux_scale,
                                               s.dev_alpha, s.comm_alpha, dev_scale,
                                               z_loss ? ws.lse.data() : nullptr, z_scale,
                                               s.sigmoid ? ws.affinity.data() : nullptr, ws.affinity_sum.data(),
                                               static_cast<float>(s.scaling_factor),
                                               s.capacity_factor > 0.0 ? ws.kept.data() : nullptr});

    dev.gemm(gemm_nn(static_cast<int>(n), d, nr, ws.dlogits.data(), gate, dx, 1.0f));  // dx += dl gate
    dev.gemm(gemm_tn(nr, d, static_cast<int>(n), ws.dlogits.data(), x, dgate, 1.0f));  // dgate += dl^T x
}

}  // namespace moe::gpu
