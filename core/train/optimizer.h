// AdamW with decoupled weight decay, warmup + cosine learning rate, and global gradient-norm clipping.
#pragma once

#include "core/config.h"
#include "core/model/param.h"

#include <deque>

namespace moe {

// Linear warmup from 0 to the peak over warmup_steps, then cosine decay to peak * min_lr_ratio at `steps`.
double learning_rate_at(const TrainConfig& config, int step);

// sqrt(sum of squared gradients) over all parameters, accumulated in double: per fixed chunk of each parameter, then
// over the chunks in parameter order (deterministic, the same for any thread count).
double global_grad_norm(const std::deque<Param>& params);

class AdamW {
public:
    explicit AdamW(const TrainConfig& config) : config_(config) {}

    // Clips the gradients to config.grad_clip (if > 0; grad_norm is their global norm, from global_grad_norm)
    // and takes one AdamW step with learning rate lr.
    void step(std::deque<Param>& params, double lr, double grad_norm);
    int steps_taken() const { return t_; }

private:
    TrainConfig config_;
    int t_ = 0;
};

}  // namespace moe
