// Measures of what a router does, as the MoE literature defines them. Pure functions of routing counts and of the
// per-token choices on the fixed validation set, so every view, CSV column, lesson test and sweep computes them the
// same way. Neutral levels: a balanced expert has relative load 1; a domain-blind router has specialisation 0.
//
//   MaxVio         max_i load_i / mean_i load_i - 1                      (Wang et al. 2024, arXiv 2408.15664)
//   balance stat   N_r * sum_i f_i P_i,  f_i = load_i / (N k),  P_i = mean_t s_{i,t}   (1 when balanced; the
//                  expert-level balance loss is alpha times it, per sequence with seq_aux)
//   relative load  load_i / (k N / N_r)                                   (DeepSeek-V3 Fig. 9)
//   domain spec.   I(domain; expert) / H(domain) over token-slots         (0 = domain-blind, 1 = exclusive experts)
//   co-activation  N(i, j) / N(i) over pairs chosen together for a token  (OLMoE)
//   byte spec.     mean over bytes seen >= min_count times of the largest share of their occurrences that go to one
//                  top-1 expert                                           (OLMoE's vocabulary specialisation)
//   saturation     mean over tokens of |TopK_t(earlier) ∩ TopK_t(now)| / k (OLMoE's router saturation)
#pragma once

#include <cstdint>
#include <vector>

namespace moe {

// The routing of one MoE layer over a fixed set of tokens (the validation set), token by token.
struct TokenRouting {
    int layer = 0;
    int n_routed = 0;                // N_r
    int top_k = 0;                   // k
    std::vector<int32_t> topk;       // [tokens * k] each token's experts, best score first
    std::vector<int16_t> domain;     // [tokens] the token's data domain (2-D sets: the point's class)
    std::vector<int32_t> byte;       // [tokens] the input byte (LM), or -1 (2-D sets)
    std::vector<double> prob_sum;    // [N_r] sum over tokens of the gate probability s_i
    int64_t tokens() const { return static_cast<int64_t>(domain.size()); }
};

// max/mean - 1 of the loads (0 when balanced; NaN when every load is 0 or there is none).
double max_violation(const std::vector<int64_t>& load);
// N_r * sum_i f_i P_i with f_i = load_i / (tokens * k) and P_i = mean_prob_i (1 when balanced; NaN when tokens = 0).
double balance_statistic(const std::vector<int64_t>& load, const std::vector<double>& mean_prob, int64_t tokens,
                         int top_k);
// load_i / (k * tokens / N_r): 1 = the balanced share.
std::vector<double> relative_load(const std::vector<int64_t>& load, int64_t tokens, int top_k);

// Token-slots per expert, [N_r].
std::vector<int64_t> expert_load(const TokenRouting& r);
// [domain][expert] token-slots.
std::vector<std::vector<int64_t>> domain_expert_load(const TokenRouting& r, int n_domains);
// I(domain; expert) / H(domain), over token-slots; 0 when H(domain) = 0 (a single domain).
double domain_specialisation(const TokenRouting& r, int n_domains);
// Per domain: the relative load of its most-used expert, (slots of d on its top expert / slots of d) * N_r, i.e.
// the share of d's tokens that pick it over the balanced share k / N_r (1 = no favourite).
// NaN for a domain with no token.
std::vector<double> top_expert_relative_load(const TokenRouting& r, int n_domains);
// The same from a [domain][expert] table of token-slots (a run folder's val_routing.csv).
std::vector<double> top_expert_relative_load(const std::vector<std::vector<double>>& domain_load, int top_k);
// [N_r * N_r] row-major: entry (i, j) = N(i, j) / N(i), N(i, j) = tokens whose top-k holds both i and j (i != j),
// N(i) = tokens whose top-k holds i; the diagonal is 1 for used experts; rows of unused experts are 0.
std::vector<double> coactivation(const TokenRouting& r);
// Mean, over byte values seen at least min_count times, of max_e (occurrences with top-1 expert e) / occurrences.
// NaN when no byte qualifies (2-D sets).
double byte_specialisation(const TokenRouting& r, int min_count = 10);
// Mean over tokens of |earlier_t ∩ now_t| / k; both [tokens * k] of the same tokens. NaN when empty or sizes differ.
double router_saturation(const std::vector<int32_t>& earlier, const std::vector<int32_t>& now, int top_k);

}  // namespace moe
