#include "ui/session/eval_history.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace moe::ui {
namespace {

Series to_series(const DownsampledSeries& s) { return Series{s.x(), s.y()}; }

void add_finite(DownsampledSeries& s, double x, double y) {
    if (std::isfinite(y)) s.add(x, y);
}

}  // namespace

void EvalHistory::clear() { *this = EvalHistory(); }

EvalHistory::Layer& EvalHistory::layer(int index) {
    auto it = std::lower_bound(layers_.begin(), layers_.end(), index, [](const Layer& l, int i) { return l.layer < i; });
    if (it != layers_.end() && it->layer == index) return *it;
    Layer fresh;
    fresh.layer = index;
    return *layers_.insert(it, std::move(fresh));
}

void EvalHistory::add_scores(int step, double loss, double accuracy, const std::vector<double>& domain_loss) {
    any_ = true;
    last_step_ = step;
    loss_ = loss;
    accuracy_ = accuracy;
    domain_loss_ = domain_loss;
    add_finite(accuracy_curve_, step, accuracy);
    if (domain_loss_curves_.size() < domain_loss.size()) domain_loss_curves_.resize(domain_loss.size());
    for (std::size_t d = 0; d < domain_loss.size(); ++d) add_finite(domain_loss_curves_[d], step, domain_loss[d]);
}

void EvalHistory::add_layer_measures(int step, int index, double max_violation, double balance_statistic,
                                     double domain_specialisation, double byte_specialisation, double saturation) {
    Layer& l = layer(index);
    add_finite(l.max_violation, step, max_violation);
    add_finite(l.balance_statistic, step, balance_statistic);
    add_finite(l.domain_specialisation, step, domain_specialisation);
    add_finite(l.byte_specialisation, step, byte_specialisation);
    add_finite(l.saturation, step, saturation);
}

void EvalHistory::add(int step, const Evaluation& e) {
    tokens_ = e.tokens;
    add_scores(step, e.loss, e.accuracy, e.domain_loss);
    for (std::size_t i = 0; i < e.layers.size(); ++i) {
        const LayerEvaluation& le = e.layers[i];
        add_layer_measures(step, le.layer, le.max_violation, le.balance_statistic, le.domain_specialisation,
                           le.byte_specialisation, le.saturation);
        Layer& l = layer(le.layer);
        l.n_routed = static_cast<int>(le.load.size());
        l.top_k = i < e.routing.size() ? e.routing[i].top_k : l.top_k;
        l.top_expert_relative_load = le.top_expert_relative_load;
        l.domain_load.assign(le.domain_load.size(), {});
        for (std::size_t d = 0; d < le.domain_load.size(); ++d)
            l.domain_load[d].assign(le.domain_load[d].begin(), le.domain_load[d].end());
        l.coactivation = le.coactivation;
    }
}

void EvalHistory::set_tables(int index, int n_routed, int top_k, const std::vector<std::vector<double>>& domain_load,
                             const std::vector<double>& coactivation) {
    Layer& l = layer(index);
    l.n_routed = n_routed;
    l.top_k = top_k;
    l.domain_load = domain_load;
    l.coactivation = coactivation;
    l.top_expert_relative_load = top_expert_relative_load(domain_load, top_k);
}

void EvalHistory::fill(EvalSnapshot& out) const {
    out.last_step = any_ ? last_step_ : 0;
    out.tokens = tokens_;
    out.loss = any_ ? loss_ : std::numeric_limits<double>::quiet_NaN();
    out.accuracy = any_ ? accuracy_ : std::numeric_limits<double>::quiet_NaN();
    out.domain_loss = domain_loss_;
    out.accuracy_curve = to_series(accuracy_curve_);
    out.domain_loss_curves.clear();
    for (const DownsampledSeries& s : domain_loss_curves_) out.domain_loss_curves.push_back(to_series(s));
    out.layers.clear();
    for (const Layer& l : layers_) {
        LayerEvalSnapshot s;
        s.layer = l.layer;
        s.n_routed = l.n_routed;
        s.top_k = l.top_k;
        s.max_violation = to_series(l.max_violation);
        s.balance_statistic = to_series(l.balance_statistic);
        s.domain_specialisation = to_series(l.domain_specialisation);
        s.byte_specialisation = to_series(l.byte_specialisation);
        s.saturation = to_series(l.saturation);
        s.top_expert_relative_load = l.top_expert_relative_load;
        s.domain_load = l.domain_load;
        s.coactivation = l.coactivation;
        out.layers.push_back(std::move(s));
    }
}

}  // namespace moe::ui
