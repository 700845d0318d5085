#include "core/accounting.h"

#include <cstdio>

namespace moe {

Accounting account(const Config& config, bool language, int n_outputs) {
    const ModelConfig& m = config.model;
    const int64_t d = m.hidden_size, L = m.num_hidden_layers;
    Accounting a;
    for (int l = 0; l < L; ++l) {
        if (language) a.attention += 4 * d * d;
        a.other += (language ? 2 : 1) * d;  // RMSNorm weights
        if (is_moe_layer(m, l)) {
            const int64_t expert = 3 * d * m.moe_intermediate_size;
            a.routed_total += m.n_routed_experts * expert;
            a.shared_total += m.n_shared_experts * expert;
            a.experts_activated += (m.num_experts_per_tok + m.n_shared_experts) * expert;
            a.router += m.n_routed_experts * d;
            if (uses_selection_bias(m)) a.other += m.n_routed_experts;  // noaux_tc's bias (not trained by gradients)
        } else {
            a.dense_ffn += 3 * d * m.intermediate_size;
            a.experts_activated += 3 * d * m.intermediate_size;
        }
    }
    a.experts_total = a.routed_total + a.shared_total + a.dense_ffn;
    a.other += a.router + d;  // final norm
    if (language) {
        a.other += 2 * static_cast<int64_t>(m.vocab_size) * d;  // embedding + lm_head
        if (m.position_embedding == "learned") a.other += static_cast<int64_t>(m.max_position_embeddings) * d;
        const double keys = (config.train.seq_len + 1) / 2.0;
        a.flops_attention = 2.0 * a.attention + L * 2.0 * 2.0 * d * keys;  // projections + QK^T and PV
        a.flops_other = 2.0 * (a.router + static_cast<double>(m.vocab_size) * d);  // router + head (lookup is free)
    } else {
        a.other += 3 * d + static_cast<int64_t>(n_outputs) * (d + 1);  // input projection + head with biases
        a.flops_other = 2.0 * (a.router + 2.0 * d + static_cast<double>(n_outputs) * d);
    }
    a.flops_experts = 2.0 * a.experts_activated;
    return a;
}

std::string accounting_table(const Config& config, const Accounting& a) {
    char buf[4096];
    auto pct = [&](int64_t x, int64_t total) { return total > 0 ? 100.0 * x / total : 0.0; };
    std::snprintf(buf, sizeof buf,
                  "preset %s: %d layers, d=%d, %d routed experts (top-%d) + %d shared of width %d\n"
                  "%-12s %14s %14s %16s\n"
                  "%-12s %14lld %14lld %16.0f\n"
                  "%-12s %14lld %14lld %16.0f\n"
                  "%-12s %14lld %14lld %16.0f\n"
                  "%-12s %14lld %14lld %16.0f\n"
                  "experts split: routed %lld, shared %lld, dense FFN %lld; router %lld (in other)\n"
                  "activated share of all parameters: %.1f%%; training FLOPs per token ~ 3 x forward = %.0f\n",
                  config.preset.c_str(), config.model.num_hidden_layers, config.model.hidden_size,
                  config.model.n_routed_experts, config.model.num_experts_per_tok, config.model.n_shared_experts,
                  config.model.moe_intermediate_size, "", "total params", "activated", "fwd FLOPs/token",
                  "attention", (long long)a.attention, (long long)a.attention, a.flops_attention, "experts",
                  (long long)a.experts_total, (long long)a.experts_activated, a.flops_experts, "other",
                  (long long)a.other, (long long)a.other, a.flops_other, "total", (long long)a.total(),
                  (long long)a.activated(), a.flops_total(), (long long)a.routed_total, (long long)a.shared_total,
                  (long long)a.dense_ffn, (long long)a.router, pct(a.activated(), a.total()), 3.0 * a.flops_total());
    return buf;
}

}  // namespace moe
