// Parameter and FLOP accounting, split into attention / experts / other, so a student can check the paper's claim
// that the ladder presets have equal total and equal activated expert parameters.
#pragma once

#include "core/config.h"

#include <cstdint>
#include <string>

namespace moe {

struct Accounting {
    // Parameters. "experts" holds every FFN weight: routed + shared experts, and dense FFN layers.
    int64_t attention = 0;
    int64_t experts_total = 0;
    int64_t experts_activated = 0;  // per token: shared + top-k routed (+ dense FFNs)
    int64_t routed_total = 0, shared_total = 0, dense_ffn = 0;
    int64_t router = 0;             // the gates (counted in "other")
    int64_t other = 0;              // embeddings, norms, head, router, input projection
    int64_t total() const { return attention + experts_total + other; }
    int64_t activated() const { return attention + experts_activated + other; }
    // Forward FLOPs per token (2 per multiply-add), for a sequence of seq_len tokens (causal attention averages
    // (seq_len + 1) / 2 keys per query). A training step costs about 3x this.
    double flops_attention = 0, flops_experts = 0, flops_other = 0;
    double flops_total() const { return flops_attention + flops_experts + flops_other; }
};

// language: the byte LM (else the 2-D classifier with n_outputs classes).
Accounting account(const Config& config, bool language = true, int n_outputs = 256);

// A readable table (used by `moelab-cli params`).
std::string accounting_table(const Config& config, const Accounting& a);

}  // namespace moe
