#include "core/moe/routing_measures.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace moe {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Entropy (nats) of a distribution given by counts.
double entropy_of(const std::vector<double>& counts) {
    double total = 0.0;
    for (double c : counts) total += c;
    if (total <= 0.0) return 0.0;
    double h = 0.0;
    for (double c : counts)
        if (c > 0.0) h -= (c / total) * std::log(c / total);
    return h;
}

}  // namespace

double max_violation(const std::vector<int64_t>& load) {
    if (load.empty()) return kNaN;
    double sum = 0.0, max = 0.0;
    for (int64_t x : load) {
        sum += static_cast<double>(x);
        max = std::max(max, static_cast<double>(x));
    }
    if (sum <= 0.0) return kNaN;
    return max / (sum / static_cast<double>(load.size())) - 1.0;
}

double balance_statistic(const std::vector<int64_t>& load, const std::vector<double>& mean_prob, int64_t tokens,
                         int top_k) {
    if (tokens <= 0 || top_k <= 0 || load.empty() || load.size() != mean_prob.size()) return kNaN;
    const double slots = static_cast<double>(tokens) * top_k;
    double s = 0.0;
    for (size_t i = 0; i < load.size(); ++i) s += static_cast<double>(load[i]) / slots * mean_prob[i];
    return static_cast<double>(load.size()) * s;
}

std::vector<double> relative_load(const std::vector<int64_t>& load, int64_t tokens, int top_k) {
    std::vector<double> rel(load.size(), kNaN);
    if (tokens <= 0 || top_k <= 0 || load.empty()) return rel;
    const double balanced = static_cast<double>(tokens) * top_k / static_cast<double>(load.size());
    for (size_t i = 0; i < load.size(); ++i) rel[i] = static_cast<double>(load[i]) / balanced;
    return rel;
}

std::vector<int64_t> expert_load(const TokenRouting& r) {
    std::vector<int64_t> load(static_cast<size_t>(std::max(r.n_routed, 0)), 0);
    for (int32_t e : r.topk)
        if (e >= 0 && e < r.n_routed) ++load[static_cast<size_t>(e)];
    return load;
}

std::vector<std::vector<int64_t>> domain_expert_load(const TokenRouting& r, int n_domains) {
    std::vector<std::vector<int64_t>> load(static_cast<size_t>(std::max(n_domains, 0)),
                                           std::vector<int64_t>(static_cast<size_t>(std::max(r.n_routed, 0)), 0));
    const int64_t n = r.tokens();
    for (int64_t t = 0; t < n; ++t) {
        const int d = r.domain[static_cast<size_t>(t)];
        if (d < 0 || d >= n_domains) continue;
        for (int j = 0; j < r.top_k; ++j) {
            const int32_t e = r.topk[static_cast<size_t>(t * r.top_k + j)];
            if (e >= 0 && e < r.n_routed) ++load[static_cast<size_t>(d)][static_cast<size_t>(e)];
        }
    }
    return load;
}

double domain_specialisation(const TokenRouting& r, int n_domains) {
    // Joint distribution of (domain, expert) over token-slots: I = H(D) + H(E) - H(D, E).
    const auto joint = domain_expert_load(r, n_domains);
    if (n_domains <= 0 || r.n_routed <= 0) return 0.0;
    std::vector<double> pd(static_cast<size_t>(n_domains), 0.0), pe(static_cast<size_t>(r.n_routed), 0.0), pj;
    for (int d = 0; d < n_domains; ++d)
        for (int e = 0; e < r.n_routed; ++e) {
            const double c = static_cast<double>(joint[static_cast<size_t>(d)][static_cast<size_t>(e)]);
            pd[static_cast<size_t>(d)] += c;
            pe[static_cast<size_t>(e)] += c;
            pj.push_back(c);
        }
    const double hd = entropy_of(pd);
    if (hd <= 0.0) return 0.0;
    const double mi = hd + entropy_of(pe) - entropy_of(pj);
    return std::clamp(mi / hd, 0.0, 1.0);
}

std::vector<double> top_expert_relative_load(const std::vector<std::vector<double>>& domain_load, int top_k) {
    std::vector<double> out(domain_load.size(), kNaN);
    for (size_t d = 0; d < domain_load.size(); ++d) {
        const auto& row = domain_load[d];
        double total = 0.0, best = 0.0;
        for (double c : row) {
            total += c;
            best = std::max(best, c);
        }
        if (total <= 0.0 || top_k <= 0 || row.empty()) continue;
        // Against the balanced share of the domain's *tokens*, k / N_r: the domain has total / k tokens (each gives k
        // slots), so (best / (total / k)) / (k / N_r) = (best / total) * N_r. Dividing the share of *slots* by k / N_r
        // would put a balanced router at 1/k instead of relative_load's neutral 1.
        out[d] = (best / total) * static_cast<double>(row.size());
    }
    return out;
}

std::vector<double> top_expert_relative_load(const TokenRouting& r, int n_domains) {
    const auto joint = domain_expert_load(r, n_domains);
    std::vector<std::vector<double>> table(joint.size());
    for (size_t d = 0; d < joint.size(); ++d) table[d].assign(joint[d].begin(), joint[d].end());
    return top_expert_relative_load(table, r.top_k);
}

std::vector<double> coactivation(const TokenRouting& r) {
    const auto n = static_cast<size_t>(std::max(r.n_routed, 0));
    std::vector<double> pairs(n * n, 0.0);
    std::vector<double> single(n, 0.0);
    const int64_t tokens = r.tokens();
    for (int64_t t = 0; t < tokens; ++t) {
        const int32_t* chosen = r.topk.data() + t * r.top_k;
        for (int a = 0; a < r.top_k; ++a) {
            const int32_t i = chosen[a];
            if (i < 0 || i >= r.n_routed) continue;
            single[static_cast<size_t>(i)] += 1.0;
            for (int b = 0; b < r.top_k; ++b) {
                const int32_t j = chosen[b];
                if (b != a && j >= 0 && j < r.n_routed) pairs[static_cast<size_t>(i) * n + static_cast<size_t>(j)] += 1.0;
            }
        }
    }
    for (size_t i = 0; i < n; ++i) {
        if (single[i] == 0.0) continue;
        for (size_t j = 0; j < n; ++j) pairs[i * n + j] = i == j ? 1.0 : pairs[i * n + j] / single[i];
    }
    return pairs;
}

double byte_specialisation(const TokenRouting& r, int min_count) {
    // A routing recorded without bytes (or with fewer than its tokens) has nothing to say, rather than read past them.
    if (r.top_k <= 0 || r.n_routed <= 0 || r.byte.size() != r.domain.size() ||
        r.topk.size() < r.domain.size() * static_cast<size_t>(r.top_k))
        return kNaN;
    // counts[byte][expert] of top-1 choices.
    std::vector<std::vector<int64_t>> counts(256, std::vector<int64_t>(static_cast<size_t>(r.n_routed), 0));
    std::vector<int64_t> seen(256, 0);
    const int64_t tokens = r.tokens();
    for (int64_t t = 0; t < tokens; ++t) {
        const int32_t b = r.byte[static_cast<size_t>(t)];
        const int32_t e = r.topk[static_cast<size_t>(t * r.top_k)];
        if (b < 0 || b > 255 || e < 0 || e >= r.n_routed) continue;
        ++seen[static_cast<size_t>(b)];
        ++counts[static_cast<size_t>(b)][static_cast<size_t>(e)];
    }
    double sum = 0.0;
    int n = 0;
    for (size_t b = 0; b < 256; ++b) {
        if (seen[b] < min_count || seen[b] == 0) continue;
        const int64_t best = *std::max_element(counts[b].begin(), counts[b].end());
        sum += static_cast<double>(best) / static_cast<double>(seen[b]);
        ++n;
    }
    return n > 0 ? sum / n : kNaN;
}

double router_saturation(const std::vector<int32_t>& earlier, const std::vector<int32_t>& now, int top_k) {
    if (top_k <= 0 || earlier.empty() || earlier.size() != now.size() || now.size() % static_cast<size_t>(top_k))
        return kNaN;
    const size_t tokens = now.size() / static_cast<size_t>(top_k);
    double sum = 0.0;
    for (size_t t = 0; t < tokens; ++t) {
        int common = 0;
        for (int a = 0; a < top_k; ++a)
            for (int b = 0; b < top_k; ++b) common += earlier[t * top_k + a] == now[t * top_k + b];
        sum += static_cast<double>(common) / top_k;
    }
    return sum / static_cast<double>(tokens);
}

}  // namespace moe
