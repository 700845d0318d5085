// Host-only: the GPU router's RouterDims from the CPU engine's RouterSpec. It includes core/moe/router.h (Eigen),
// so .cu files must not include it; they take a RouterDims made on the host.
#pragma once

#include "core/moe/router.h"
#include "gpu/ops/router_dims.h"

namespace moe::gpu {

inline RouterDims router_dims_of(const moe::RouterSpec& spec) {
    RouterDims d;
    d.n_routed = spec.n_routed;
    d.top_k = spec.top_k;
    d.norm_topk_prob = spec.norm_topk_prob;
    d.aux_alpha = spec.aux_alpha;
    d.z_loss_coef = spec.z_loss_coef;
    d.sigmoid = spec.sigmoid;
    d.scaling_factor = spec.scaling_factor;
    d.selection_bias = spec.selection_bias;
    d.capacity_factor = spec.capacity_factor;
    d.drop_by_probs = spec.drop_by_probs;
    d.seq_aux = spec.seq_aux;
    d.batch = spec.batch;
    d.seq = spec.seq;
    d.devices = spec.device.devices;
    d.device_limit = spec.device.limit;
    d.round_robin = spec.device.placement == moe::Placement::RoundRobin;
    d.group_routing = spec.device.routing == moe::DeviceRouting::Group;
    d.dev_alpha = spec.device.dev_alpha;
    d.comm_alpha = spec.device.comm_alpha;
    return d;
}

}  // namespace moe::gpu
