#include "core/train/optimizer.h"

#include "core/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <vector>

namespace moe {

double learning_rate_at(const TrainConfig& c, int step) {
    const double peak = c.learning_rate;
    if (step < c.warmup_steps) return peak * (step + 1) / c.warmup_steps;
    const int decay_steps = std::max(1, c.steps - c.warmup_steps);
    const double progress = std::min(1.0, static_cast<double>(step - c.warmup_steps) / decay_steps);
    const double floor = peak * c.min_lr_ratio;
    return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

namespace {

// Every parameter cut into fixed chunks of kChunk elements (a parameter's last chunk may be shorter): the unit of
// parallel work for the norm and the update. The partition depends only on the parameters' sizes, never on the
// thread count, so the norm's partial sums, and so every result, are the same for any number of threads. One
// parallel region over all chunks, instead of one per parameter: the model has ~60 parameters, most far smaller
// than a chunk.
constexpr int64_t kChunk = 1 << 14;

struct Chunk {
    size_t param;
    int64_t begin, size;
};

std::vector<Chunk> chunks_of(const std::deque<Param>& params) {
    std::vector<Chunk> out;
    for (size_t i = 0; i < params.size(); ++i)
        if (params[i].trained)  // a tensor with its own update rule (noaux_tc's bias) has no gradient and no AdamW
            for (int64_t b = 0, n = params[i].g.size(); b < n; b += kChunk) out.push_back({i, b, std::min(kChunk, n - b)});
    return out;
}

struct AdamWConstants {
    float b1, b2, bc1, bc2, eps, lr, clip;
};

// One parameter's elements [0, n). Restrict-qualified parameters: w, g, m and v never overlap, so the loop needs
// no reloads and vectorises.
void adamw_update(float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n,
                  const AdamWConstants& k, float wd) {
    const float b1 = k.b1, b2 = k.b2, bc1 = k.bc1, bc2 = k.bc2, eps = k.eps, lr = k.lr, clip = k.clip;
    for (int64_t i = 0; i < n; ++i) {
        const float gi = g[i] * clip;
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        const float mhat = m[i] / bc1, vhat = v[i] / bc2;
        w[i] -= lr * (mhat / (std::sqrt(vhat) + eps) + wd * w[i]);
    }
}

}  // namespace

double global_grad_norm(const std::deque<Param>& params) {
    const std::vector<Chunk> chunks = chunks_of(params);
    std::vector<double> partial(chunks.size());
    parallel_for(static_cast<int64_t>(chunks.size()), 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
            const Chunk& ch = chunks[c];
            const Eigen::Map<const Eigen::ArrayXf> g(params[ch.param].g.data() + ch.begin, ch.size);
            partial[c] = g.cast<double>().square().sum();  // vectorised; its order is fixed for a build
        }
    });
    double sum = 0.0;
    for (double p : partial) sum += p;  // chunks in parameter order
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
    const float decay = static_cast<float>(config_.weight_decay);
    const AdamWConstants k{b1, b2, bc1, bc2, eps, flr, fclip};
    const std::vector<Chunk> chunks = chunks_of(params);
    // Element-wise, so any chunking gives the same result. The same float operations in the same order as
    // gpu/ops/adamw.h, so that the compiler contracts them (FMA) alike. This file is built with -fno-math-errno,
    // so the loop's sqrt vectorises (it is correctly rounded either way: only errno, which nothing reads, is lost).
    parallel_for(static_cast<int64_t>(chunks.size()), 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
            const Chunk& ch = chunks[c];
            Param& p = params[ch.param];
            const float wd = p.decay ? decay : 0.0f;
            adamw_update(p.w.data() + ch.begin, p.g.data() + ch.begin, p.m.data() + ch.begin, p.v.data() + ch.begin,
                         ch.size, k, wd);
        }
    });
}

}  // namespace moe
