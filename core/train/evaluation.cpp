// evaluate_model: the model's ordinary forward over every batch of the fixed validation set, with each token's
// loss recomputed in double from the logits (so per-domain losses are exact sums, not means of means), and each
// MoE layer's token-by-token routing gathered for the measures of core/moe/routing_measures.h.
#include "core/train/evaluation.h"

#include "core/error.h"
#include "core/parallel.h"

#include <cmath>
#include <limits>

namespace moe {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kRowGrain = 16;  // rows per chunk (fixed, so the result does not depend on the thread count)

// Each row's cross-entropy (in double) and whether its argmax is the target (the first maximum, as the model's
// own accuracy counts it).
void score_rows(const Mat& logits, const std::vector<int32_t>& targets, std::vector<double>& loss,
                std::vector<uint8_t>& correct) {
    const int64_t n = logits.rows(), c = logits.cols();
    if (static_cast<int64_t>(targets.size()) != n)
        throw Error("evaluation: the model gave " + std::to_string(n) + " rows of logits for " +
                    std::to_string(targets.size()) + " targets");
    loss.assign(static_cast<size_t>(n), 0.0);
    correct.assign(static_cast<size_t>(n), 0);
    parallel_for(n, kRowGrain, [&](int64_t r0, int64_t r1) {
        for (int64_t i = r0; i < r1; ++i) {
            const float* row = logits.data() + i * c;
            int64_t arg = 0;
            for (int64_t j = 1; j < c; ++j)
                if (row[j] > row[arg]) arg = j;
            const double mx = row[arg];
            double sum = 0.0;
            for (int64_t j = 0; j < c; ++j) sum += std::exp(static_cast<double>(row[j]) - mx);
            const int32_t t = targets[static_cast<size_t>(i)];
            loss[static_cast<size_t>(i)] = std::log(sum) - (static_cast<double>(row[t]) - mx);
            correct[static_cast<size_t>(i)] = arg == t;
        }
    });
}

// Appends the routing of the last forward pass of one MoE layer to `r`.
void append_routing(const MoEProbe& probe, const Batch& batch, bool language, TokenRouting& r) {
    const RouterCache<float>& router = probe.cache->router;
    const int64_t n = router.scores.rows();
    const int n_routed = static_cast<int>(router.scores.cols());
    if (r.n_routed == 0) {
        r.layer = probe.layer;
        r.n_routed = n_routed;
        r.top_k = probe.top_k;
        r.prob_sum.assign(static_cast<size_t>(n_routed), 0.0);
    }
    if (static_cast<int64_t>(batch.domains.size()) != n ||
        static_cast<int64_t>(router.topk_idx.size()) != n * r.top_k || n_routed != r.n_routed)
        throw Error("evaluation: layer " + std::to_string(probe.layer) + " routed " + std::to_string(n) +
                    " tokens of a batch of " + std::to_string(batch.domains.size()));
    r.topk.insert(r.topk.end(), router.topk_idx.begin(), router.topk_idx.end());
    r.domain.insert(r.domain.end(), batch.domains.begin(), batch.domains.end());
    if (language)
        r.byte.insert(r.byte.end(), batch.inputs.begin(), batch.inputs.end());
    else
        r.byte.insert(r.byte.end(), static_cast<size_t>(n), -1);
    // Summed serially in token order: the same sum for any thread count.
    for (int64_t t = 0; t < n; ++t) {
        const float* s = router.scores.data() + t * n_routed;
        for (int e = 0; e < n_routed; ++e) r.prob_sum[static_cast<size_t>(e)] += static_cast<double>(s[e]);
    }
}

LayerEvaluation summarise(const TokenRouting& r, int n_domains, const TokenRouting* reference) {
    LayerEvaluation l;
    l.layer = r.layer;
    l.load = expert_load(r);
    const int64_t tokens = r.tokens();
    l.mean_prob.assign(r.prob_sum.size(), kNaN);
    if (tokens > 0)
        for (size_t e = 0; e < r.prob_sum.size(); ++e) l.mean_prob[e] = r.prob_sum[e] / static_cast<double>(tokens);
    l.max_violation = max_violation(l.load);
    l.balance_statistic = balance_statistic(l.load, l.mean_prob, tokens, r.top_k);
    l.domain_specialisation = domain_specialisation(r, n_domains);
    l.top_expert_relative_load = top_expert_relative_load(r, n_domains);
    l.byte_specialisation = byte_specialisation(r);
    l.saturation = reference && reference->top_k == r.top_k ? router_saturation(reference->topk, r.topk, r.top_k)
                                                            : kNaN;
    l.domain_load = domain_expert_load(r, n_domains);
    l.coactivation = coactivation(r);
    return l;
}

}  // namespace

Evaluation evaluate_model(Model& model, const std::vector<Batch>& set, int n_domains,
                          const std::vector<TokenRouting>* reference) {
    if (set.empty()) throw Error("evaluation: the validation set is empty");
    if (n_domains < 1) throw Error("evaluation: the dataset has no domain");
    Evaluation e;
    const auto nd = static_cast<size_t>(n_domains);
    std::vector<double> loss_sum(nd, 0.0);
    std::vector<int64_t> correct(nd, 0);
    e.domain_tokens.assign(nd, 0);
    double total_loss = 0.0;
    int64_t total_correct = 0;

    std::vector<double> row_loss;
    std::vector<uint8_t> row_correct;
    for (const Batch& batch : set) {
        model.forward(batch);
        const bool language = !batch.inputs.empty();
        score_rows(model.logits(), batch.targets, row_loss, row_correct);
        if (batch.domains.size() != row_loss.size())
            throw Error("evaluation: a validation batch has " + std::to_string(batch.domains.size()) +
                        " domain labels for " + std::to_string(row_loss.size()) + " targets");
        for (size_t i = 0; i < row_loss.size(); ++i) {
            const int d = batch.domains[i];
            if (d < 0 || d >= n_domains)
                throw Error("evaluation: a validation token has domain " + std::to_string(d) + " of " +
                            std::to_string(n_domains));
            loss_sum[static_cast<size_t>(d)] += row_loss[i];
            correct[static_cast<size_t>(d)] += row_correct[i];
            ++e.domain_tokens[static_cast<size_t>(d)];
            total_loss += row_loss[i];
            total_correct += row_correct[i];
        }
        e.tokens += static_cast<int64_t>(row_loss.size());

        const std::vector<MoEProbe> probes = model.moe_probes();
        if (e.routing.empty()) e.routing.resize(probes.size());
        for (size_t l = 0; l < probes.size(); ++l) append_routing(probes[l], batch, language, e.routing[l]);
    }
    e.loss = e.tokens > 0 ? total_loss / static_cast<double>(e.tokens) : kNaN;
    e.accuracy = e.tokens > 0 ? static_cast<double>(total_correct) / static_cast<double>(e.tokens) : kNaN;
    e.domain_loss.assign(nd, kNaN);
    e.domain_accuracy.assign(nd, kNaN);
    for (size_t d = 0; d < nd; ++d) {
        const int64_t n = e.domain_tokens[d];
        if (n == 0) continue;
        e.domain_loss[d] = loss_sum[d] / static_cast<double>(n);
        e.domain_accuracy[d] = static_cast<double>(correct[d]) / static_cast<double>(n);
    }
    // Saturation compares the same tokens: a reference from another set (or another model shape) gives NaN.
    const bool comparable = reference && reference->size() == e.routing.size();
    for (size_t l = 0; l < e.routing.size(); ++l) {
        const TokenRouting* ref = comparable ? &(*reference)[l] : nullptr;
        if (ref && ref->layer != e.routing[l].layer) ref = nullptr;
        e.layers.push_back(summarise(e.routing[l], n_domains, ref));
    }
    return e;
}

}  // namespace moe
