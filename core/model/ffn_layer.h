// The feed-forward part of a block: a dense SwiGLU FFN, or a DeepSeekMoE layer (routed + shared experts).
// Owns its parameters (registered into the model's list) and the caches of its last forward pass.
#pragma once

#include "core/config.h"
#include "core/layers/swiglu.h"
#include "core/model/param.h"
#include "core/moe/moe_layer.h"

#include <cstdint>
#include <deque>
#include <vector>

namespace moe {

// What the router did in one forward pass of one MoE layer.
struct RoutingStats {
    int layer = 0;
    std::vector<int64_t> load;                      // [N_r] token-slots per routed expert
    std::vector<double> mean_prob;                  // [N_r] mean gate probability s_i over tokens
    double entropy = 0.0;                           // mean over tokens of -sum_i s_i log s_i (nats)
    std::vector<std::vector<int64_t>> domain_load;  // [domain][expert] token-slots
    double aux_loss = 0.0;  // the layer's auxiliary losses (expert-level + device-level + communication + z-loss)
    double z_loss = 0.0;    // the router z-loss part of it
    int64_t tokens = 0;
    std::vector<double> selection_bias;  // [N_r] noaux_tc's bias b_i this pass routed with (empty without it)
    int64_t dropped = 0;  // token-slots over their expert's capacity this pass (capacity_factor > 0; of tokens * k)

    // Simulated expert parallelism (core/moe/traffic.h); with devices = 1 the matrix is [[0]] and all traffic 0.
    int devices = 1;
    std::vector<std::vector<int64_t>> traffic;  // [D][D] token-copies sent src -> dst on dispatch (combine: transpose)
    int64_t dispatch_bytes = 0;                 // token-copies * hidden_size * 4
    int64_t combine_bytes = 0;
    int64_t bytes_per_copy = 0;                 // hidden_size * 4
    double remote_devices_mean = 0.0;           // distinct devices other than home a token visits, mean over tokens
    int remote_devices_max = 0;                 // ... and max
    std::vector<int64_t> device_load;           // [D] token-expert pairs processed on each device
    double device_imbalance = 0.0;              // max / mean device load
    double dev_aux_loss = 0.0;                  // L_DevBal
    double comm_aux_loss = 0.0;                 // L_CommBal
};

class FfnLayer {
public:
    // `prefix` is e.g. "model.layers.3.mlp". Parameters are appended to `params` (a deque: stable addresses).
    FfnLayer(const ModelConfig& config, int layer, const std::string& prefix, std::deque<Param>& params);

    bool is_moe() const { return moe_; }
    int layer() const { return layer_; }

    // x [N,d] normalised input -> y [N,d]. Rows are ordered b*seq + t (seq_aux groups per sequence).
    // Returns this layer's balance loss (0 for dense).
    double forward(const Mat& x, int batch, int seq, Mat& y);
    // dy -> dx (overwritten); parameter gradients accumulated.
    void backward(const Mat& x, const Mat& dy, Mat& dx);

    // Routing statistics of the last forward pass (MoE only); domains[row] gives each row's domain.
    RoutingStats routing_stats(const std::vector<int16_t>& domains, int n_domains) const;

    const MoECache<float>& moe_cache() const { return moe_cache_; }
    const MoESpec& moe_spec() const { return spec_; }
    // New weights of the balance losses and the router z-loss from the next forward pass on
    // (Trainer::set_live_knobs); no-op when dense.
    void set_balance_coefficients(double aux_alpha, double device_alpha, double comm_alpha, double z_coef);
    // noaux_tc (DeepSeek-V3): after an optimiser step, b_i += rate * sign(mean load - load_i) with the loads of the
    // last forward pass (route::bias_step). No-op without a selection bias.
    void update_selection_bias(double rate);
    // The selection bias [1, N_r] (null without noaux_tc).
    const Param* selection_bias() const { return bias_; }

    // Evaluation probe (router.h): applied to every later forward pass until changed; the default probe restores
    // the ordinary layer. Throws ConfigError (with check_routing_probe's reason) when this layer cannot run it, or
    // on a dense layer for a probe that changes anything. Resets probe_shortfall(). backward() throws while set.
    void set_routing_probe(const RoutingProbe& probe);
    const RoutingProbe& routing_probe() const { return spec_.router.probe; }
    // Tokens (summed over the forward passes since set_routing_probe) left with fewer than k candidates by a mask
    // probe under the device limit (RouterCache::probe_shortfall).
    int64_t probe_shortfall() const { return probe_shortfall_; }

    // Time the later passes' phases into `sink` (null: stop timing). For measurement (phase_times.h).
    void time_phases(PhaseTimes* sink) { times_ = sink; }

private:
    MoEWeights<float> weights() const;

    bool moe_;
    int layer_;
    MoEPath path_;
    MoESpec spec_;
    // Dense: w[0..2] = gate, up, down. MoE: gate (router), experts gate/up/down, shared gate/up/down.
    Param *router_ = nullptr, *bias_ = nullptr, *w_gate_ = nullptr, *w_up_ = nullptr, *w_down_ = nullptr;
    Param *s_gate_ = nullptr, *s_up_ = nullptr, *s_down_ = nullptr;
    SwigluCache<float> dense_cache_;
    MoECache<float> moe_cache_;
    int64_t probe_shortfall_ = 0;
    PhaseTimes* times_ = nullptr;
};

}  // namespace moe
