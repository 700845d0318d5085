// What one training step measured: losses, optimiser state, speed, and per MoE layer what the router did.
#pragma once

#include "core/model/ffn_layer.h"

#include <cstdint>
#include <limits>
#include <vector>

namespace moe {

// Load-balance summaries of one MoE layer's routing.
struct LayerBalance {
    int layer = 0;
    double imbalance = 0.0;   // max load / mean load (1 = perfectly balanced)
    double load_cv = 0.0;     // coefficient of variation of the loads (std / mean)
    int dead_experts = 0;     // routed experts that received no token this step
    double entropy = 0.0;     // mean routing entropy per token (nats)
    double aux_loss = 0.0;
};

LayerBalance balance_of(const RoutingStats& stats);

struct StepMetrics {
    int step = 0;  // 1-based: the number of optimiser steps taken
    double loss = 0.0;
    double aux_loss = 0.0;
    double val_loss = std::numeric_limits<double>::quiet_NaN();  // NaN when not evaluated this step
    double accuracy = 0.0;  // share of next bytes / classes predicted right (argmax) in the batch
    double lr = 0.0;
    double grad_norm = 0.0;
    double tokens_per_s = 0.0;  // wall-clock: the only field that differs between identical runs
    std::vector<LayerBalance> balance;
    std::vector<RoutingStats> routing;  // filled every routing_interval steps (and the last), else empty
};

}  // namespace moe
