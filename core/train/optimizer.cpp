#include "core/train/optimizer.h"

#include "core/parallel.h"

#include <cmath>

namespace moe {

double learning_rate_at(const TrainConfig& c, int step) {
    const double peak = c.learning_rate;
    if (step < c.warmup_steps) return peak * (step + 1) / c.warmup_steps;
    const int decay_steps = std::max(1, c.steps - c.warmup_steps);
    const double progress = std::min(1.0, static_cast<double>(step - c.warmup_steps) / decay_steps);
    const double floor = peak * c.min_lr_ratio;
    return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

double global_grad_norm(const std::deque<Param>& params) {
    double sum = 0.0;
    for (const auto& p : params) {
        const float* g = p.g.data();
        for (Eigen::Index i = 0; i < p.g.size(); ++i) sum += static_cast<double>(g[i]) * g[i];
    }
    return std::sqrt(sum);
}

void AdamW::step(std::deque<Param>& params, double lr, double norm) {
    const double clip = (config_.grad_clip > 0 && norm > config_.grad_clip) ? config_.grad_clip / (norm + 1e-6) : 1.0;
    ++t_;
    const float b1 = static_cast<float>(config_.adam_beta1), b2 = static_cast<float>(config_.adam_beta2);
    const float bc1 = static_cast<float>(1.0 - std::pow(config_.adam_beta1, t_));
    const float bc2 = static_cast<float>(1.0 - std::pow(config_.adam_beta2, t_));
    const float eps = static_cast<float>(config_.adam_eps), flr = static_cast<float>(lr);
    const float fclip = static_cast<float>(clip);
    for (auto& p : params) {
        const float wd = p.decay ? static_cast<float>(config_.weight_decay) : 0.0f;
        float *w = p.w.data(), *g = p.g.data(), *m = p.m.data(), *v = p.v.data();
        // Element-wise: any chunking gives the same result.
        parallel_for(p.w.size(), 1 << 14, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                const float gi = g[i] * fclip;
                m[i] = b1 * m[i] + (1.0f - b1) * gi;
                v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
                const float mhat = m[i] / bc1, vhat = v[i] / bc2;
                w[i] -= flr * (mhat / (std::sqrt(vhat) + eps) + wd * w[i]);
            }
        });
    }
}

}  // namespace moe
