#include "ui/session/model_history.h"

#include "core/train/evaluation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace moe::ui {
namespace {

Series to_series(const DownsampledSeries& s) { return Series{s.x(), s.y()}; }

}  // namespace

ModelHistory::ModelHistory(const ModelConfig& model) { reset(model); }

void ModelHistory::reset(const ModelConfig& model) {
    model_ = model;
    for (DownsampledSeries* s : {&loss_, &val_loss_, &aux_loss_, &z_loss_, &lr_, &grad_norm_, &accuracy_, &dispatch_bytes_, &remote_devices_,
                               &balance_statistic_, &max_violation_, &routing_entropy_, &dead_share_, &dropped_})
        s->clear();
    last_val_ = std::numeric_limits<double>::quiet_NaN();
    layers_.clear();
    eval_.clear();
}

void ModelHistory::add_step(const StepMetrics& m) {
    const double x = m.step;
    loss_.add(x, m.loss);
    aux_loss_.add(x, m.aux_loss);
    z_loss_.add(x, m.z_loss);
    lr_.add(x, m.lr);
    grad_norm_.add(x, m.grad_norm);
    accuracy_.add(x, m.accuracy);
    if (!std::isnan(m.val_loss)) {
        val_loss_.add(x, m.val_loss);
        last_val_ = m.val_loss;
    }
    if (m.eval) eval_.add(m.step, *m.eval);
    // The balance of the step, whatever alpha is: a collapsed router must show as collapsed when alpha = 0 too.
    // A layer without the number (no token, or an old run folder: NaN) does not count toward the mean.
    const auto add_mean = [&](DownsampledSeries& series, double LayerBalance::*field) {
        double sum = 0;
        int n = 0;
        for (const LayerBalance& b : m.balance)
            if (std::isfinite(b.*field)) {
                sum += b.*field;
                ++n;
            }
        if (n > 0) series.add(x, sum / n);
    };
    add_mean(balance_statistic_, &LayerBalance::balance_statistic);
    add_mean(max_violation_, &LayerBalance::max_violation);
    if (model_.capacity_factor > 0) add_mean(dropped_, &LayerBalance::dropped_fraction);
    // Relative to a uniform gate and to no dead expert, so 63 small experts and 16 large ones share one axis.
    if (const int n = model_.n_routed_experts; n > 1 && !m.balance.empty()) {
        double entropy = 0, dead = 0;
        int with_entropy = 0;
        for (const LayerBalance& b : m.balance) {
            if (std::isfinite(b.entropy)) {
                entropy += b.entropy;
                ++with_entropy;
            }
            dead += b.dead_experts;
        }
        if (with_entropy > 0) routing_entropy_.add(x, entropy / with_entropy / std::log(double(n)));
        dead_share_.add(x, dead / double(m.balance.size()) / n);
    }
    if (model_.devices > 1 && !m.balance.empty()) {
        double bytes = 0, remote = 0;
        for (const LayerBalance& b : m.balance) {
            bytes += static_cast<double>(b.dispatch_bytes);
            remote += b.remote_devices_mean;
        }
        dispatch_bytes_.add(x, bytes);
        remote_devices_.add(x, remote / static_cast<double>(m.balance.size()));
    }
    for (const RoutingStats& s : m.routing) {
        LayerBalance b = balance_of(s);
        for (const LayerBalance& mb : m.balance)
            if (mb.layer == s.layer) b = mb;
        add_routing(m.step, s, b);
    }
}

ModelHistory::Layer& ModelHistory::layer(int index, int n_routed) {
    auto it = std::lower_bound(layers_.begin(), layers_.end(), index,
                               [](const Layer& l, int i) { return l.latest.layer < i; });
    if (it != layers_.end() && it->latest.layer == index) return *it;
    Layer fresh;
    fresh.latest.layer = index;
    fresh.latest.n_routed = n_routed;
    fresh.latest.n_shared = model_.n_shared_experts;
    fresh.latest.top_k = model_.num_experts_per_tok;
    return *layers_.insert(it, std::move(fresh));
}

void ModelHistory::add_routing(int step, const RoutingStats& stats, const LayerBalance& balance) {
    const int n = static_cast<int>(stats.load.size());
    Layer& l = layer(stats.layer, n);
    LayerSnapshot& s = l.latest;
    s.n_routed = n;
    double total = 0;
    for (int64_t x : stats.load) total += static_cast<double>(x);
    s.load_fraction.assign(n, 0.0);
    s.dead.assign(n, false);
    for (int e = 0; e < n; ++e) {
        if (total > 0) s.load_fraction[e] = static_cast<double>(stats.load[e]) / total;
        s.dead[e] = stats.load[e] == 0;
    }
    s.mean_prob = stats.mean_prob;
    s.mean_prob.resize(n, 0.0);
    s.balance = balance;
    // Domain loads add up over the run: which expert a domain's tokens go to, as evidence accumulates.
    if (s.domain_load.size() < stats.domain_load.size()) s.domain_load.resize(stats.domain_load.size());
    for (size_t d = 0; d < stats.domain_load.size(); ++d) {
        std::vector<double>& row = s.domain_load[d];
        row.resize(n, 0.0);
        for (int e = 0; e < n && e < static_cast<int>(stats.domain_load[d].size()); ++e)
            row[e] += static_cast<double>(stats.domain_load[d][e]);
    }
    l.util.add(step, s.load_fraction);
    if (!stats.selection_bias.empty()) l.bias.add(step, stats.selection_bias);
    // The utilisation bars' window: token-slots summed over the last samples (each sample's tokens weigh the same).
    l.recent_load.push_back(stats.load);
    l.recent_prob.push_back(s.mean_prob);
    while (l.recent_load.size() > std::size_t(kUtilisationWindow)) {
        l.recent_load.pop_front();
        l.recent_prob.pop_front();
    }
    std::vector<double> load_sum(n, 0.0);
    s.window_mean_prob.assign(n, 0.0);
    for (std::size_t i = 0; i < l.recent_load.size(); ++i)
        for (int e = 0; e < n; ++e) {
            if (e < int(l.recent_load[i].size())) load_sum[e] += static_cast<double>(l.recent_load[i][e]);
            if (e < int(l.recent_prob[i].size())) s.window_mean_prob[e] += l.recent_prob[i][e];
        }
    const double window_total = std::accumulate(load_sum.begin(), load_sum.end(), 0.0);
    s.window_load_fraction.assign(n, 0.0);
    for (int e = 0; e < n; ++e) {
        if (window_total > 0) s.window_load_fraction[e] = load_sum[e] / window_total;
        s.window_mean_prob[e] /= static_cast<double>(l.recent_prob.size());
    }
    s.window_samples = static_cast<int>(l.recent_load.size());
    s.traffic.assign(stats.traffic.size(), {});
    for (size_t i = 0; i < stats.traffic.size(); ++i)
        s.traffic[i].assign(stats.traffic[i].begin(), stats.traffic[i].end());
    s.device_load.assign(stats.device_load.begin(), stats.device_load.end());
}

void ModelHistory::fill(ModelSnapshot& out) const {
    out.loss = to_series(loss_);
    out.val_loss = to_series(val_loss_);
    out.aux_loss = to_series(aux_loss_);
    out.z_loss = to_series(z_loss_);
    out.lr = to_series(lr_);
    out.grad_norm = to_series(grad_norm_);
    out.accuracy = to_series(accuracy_);
    out.balance_statistic = to_series(balance_statistic_);
    out.max_violation = to_series(max_violation_);
    out.dropped = to_series(dropped_);
    out.routing_entropy = to_series(routing_entropy_);
    out.dead_share = to_series(dead_share_);
    out.final_val_loss = last_val_;
    out.devices = model_.devices;
    out.dispatch_bytes = to_series(dispatch_bytes_);
    out.remote_devices = to_series(remote_devices_);
    eval_.fill(out.eval);
    out.layers.clear();
    out.layers.reserve(layers_.size());
    for (const Layer& l : layers_) {
        LayerSnapshot s = l.latest;
        s.util_steps = l.util.x();
        s.util_rows = l.util.rows();
        s.bias_steps = l.bias.x();
        s.bias_rows = l.bias.rows();
        out.layers.push_back(std::move(s));
    }
}

}  // namespace moe::ui
