// How far a routing is from changing its selection, for the finite-difference tests of the router and the MoE layer:
// the top-k selection (and a device limit's choice of devices) is piecewise constant, so central differences are
// only valid on inputs where a small perturbation keeps every token's selection.
#pragma once

#include "core/moe/device_routing.h"
#include "core/moe/router.h"
#include "core/rng.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace moe::testing {

// Smallest gap, over all tokens, between the k-th and (k+1)-th ranked score among the experts the token may use, and,
// with a device limit, between its M-th and (M+1)-th device score. The ranked scores are what the router chose by:
// the softmax scores or sigmoid affinities, plus the selection bias the pass used (noaux_tc).
inline double selection_margin(const RouterSpec& spec, const RouterCache<double>& c) {
    const DeviceSpec& d = spec.device;
    const int nr = spec.n_routed, k = spec.top_k, D = d.devices, M = d.effective_limit();
    double margin = 1e300;
    std::vector<double> ranked(static_cast<size_t>(nr));
    for (int64_t t = 0; t < c.scores.rows(); ++t) {
        const double* aff = spec.sigmoid ? c.affinity.row(t).data() : c.scores.row(t).data();
        for (int e = 0; e < nr; ++e) ranked[size_t(e)] = aff[e] + (c.bias.empty() ? 0.0 : c.bias[size_t(e)]);
        const double* s = ranked.data();
        std::vector<double> score(D), second(D);
        std::vector<int32_t> chosen(M);
        std::vector<uint8_t> allowed(D, 1);
        if (d.limited()) {
            device_scores(d, c.expert_device.data(), s, nr, score.data(), second.data());
            std::vector<double> sorted = score;
            std::sort(sorted.begin(), sorted.end(), std::greater<>());
            if (M < D) margin = std::min(margin, sorted[M - 1] - sorted[M]);
            choose_devices(d, c.expert_device.data(), s, nr, score.data(), second.data(), chosen.data(),
                           allowed.data());
        }
        std::vector<double> av;
        for (int e = 0; e < nr; ++e)
            if (allowed[c.expert_device[e]]) av.push_back(s[e]);
        std::sort(av.begin(), av.end(), std::greater<>());
        if (k < int(av.size())) margin = std::min(margin, av[k - 1] - av[k]);
    }
    return margin;
}

// Deterministic search for router inputs whose selection is more than 1e-4 from changing: for seed = 1, 2, ... below
// `seeds`, draw(rng) refills the inputs (x and gate among them) and c receives their routing. False if none qualifies.
// `bias` [N_r] is the selection bias with spec.selection_bias (it may be among what draw refills).
inline bool draw_clear_routing(const RouterSpec& spec, const MatD& x, const MatD& gate, RouterCache<double>& c,
                               uint64_t seeds, const std::function<void(Rng&)>& draw,
                               const std::vector<double>* bias = nullptr) {
    for (uint64_t seed = 1; seed < seeds; ++seed) {
        Rng rng(seed);
        draw(rng);
        router_forward(spec, x, gate, c, bias ? bias->data() : nullptr);
        if (selection_margin(spec, c) > 1e-4) return true;
    }
    return false;
}

}  // namespace moe::testing
