// What one training step measured: losses, optimiser state, speed, and per MoE layer what the router did.
#pragma once

#include "core/model/ffn_layer.h"

#include <cstdint>
#include <memory>
#include <limits>
#include <vector>

namespace moe {

struct Evaluation;  // core/train/evaluation.h

// Load-balance summaries of one MoE layer's routing.
struct LayerBalance {
    int layer = 0;
    double imbalance = 0.0;   // max load / mean load (1 = perfectly balanced)
    double max_violation = 0.0;      // MaxVio_batch = imbalance - 1 (core/moe/routing_measures.h)
    double balance_statistic = 0.0;  // N_r * sum_i f_i P_i, unweighted by alpha (1 when balanced)
    double load_cv = 0.0;     // coefficient of variation of the loads (std / mean)
    int dead_experts = 0;     // routed experts that received no token this step
    double entropy = 0.0;     // mean routing entropy per token (nats)
    double aux_loss = 0.0;    // the layer's whole balance loss (expert-level + device-level + communication)
    double z_loss = 0.0;      // the layer's router z-loss (also added to the training loss)
    double dropped_fraction = 0.0;  // share of the token-slots dropped over expert capacity (0 when dropless)

    // Simulated expert parallelism (RoutingStats, core/moe/traffic.h), every step; all 0 with one device.
    int devices = 1;
    int64_t dispatch_bytes = 0;        // bytes sent on dispatch this step (token-copies * hidden_size * 4)
    int64_t combine_bytes = 0;         // bytes sent back on combine
    double remote_devices_mean = 0.0;  // distinct remote devices a token visits, mean over tokens
    int remote_devices_max = 0;        // ... and max
    double device_imbalance = 0.0;     // max / mean token-expert pairs per device
    double dev_aux_loss = 0.0;         // L_DevBal
    double comm_aux_loss = 0.0;        // L_CommBal
};

// The balance summaries of one layer, the traffic summaries included.
LayerBalance balance_of(const RoutingStats& stats);

struct StepMetrics {
    int step = 0;  // 1-based: the number of optimiser steps taken
    double loss = 0.0;
    double aux_loss = 0.0;  // the balance losses added to the loss, summed over the MoE layers
    double z_loss = 0.0;    // the router z-loss added to the loss, summed over the MoE layers
    double val_loss = std::numeric_limits<double>::quiet_NaN();  // NaN when not evaluated this step
    double accuracy = 0.0;  // share of next bytes / classes predicted right (argmax) in the batch
    double lr = 0.0;
    double grad_norm = 0.0;
    double tokens_per_s = 0.0;  // wall-clock: the only field that differs between identical runs
    std::vector<LayerBalance> balance;
    // The evaluation on the fixed validation set at evaluation steps (val_loss == eval->loss), else null.
    std::shared_ptr<const Evaluation> eval;
    std::vector<RoutingStats> routing;  // filled every routing_interval steps (and the last), else empty; holds
                                        // each layer's [D][D] traffic matrix
};

}  // namespace moe
