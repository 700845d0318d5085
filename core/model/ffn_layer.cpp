#include "core/model/ffn_layer.h"

#include "core/error.h"
#include "core/moe/device_routing.h"
#include "core/moe/route_stages.h"
#include "core/moe/traffic.h"

#include <cmath>
#include <string>

namespace moe {

FfnLayer::FfnLayer(const ModelConfig& c, int layer, const std::string& prefix, std::deque<Param>& params)
    : moe_(is_moe_layer(c, layer)), layer_(layer), path_(c.moe_impl == "reference" ? MoEPath::Reference : MoEPath::Fast) {
    const int d = c.hidden_size;
    auto add = [&](const std::string& name, int rows, int cols, std::vector<int64_t> shape, int stacked) -> Param* {
        Param& p = params.emplace_back();
        p.name = name;
        p.shape = std::move(shape);
        p.stacked = stacked;
        p.w.setZero(rows, cols);
        p.init_zero_state();
        return &p;
    };
    if (!moe_) {
        const int I = c.intermediate_size;
        w_gate_ = add(prefix + ".gate_proj.weight", I, d, {I, d}, 0);
        w_up_ = add(prefix + ".up_proj.weight", I, d, {I, d}, 0);
        w_down_ = add(prefix + ".down_proj.weight", d, I, {d, I}, 0);
        return;
    }
    const int E = c.n_routed_experts, I = c.moe_intermediate_size, S = c.n_shared_experts;
    spec_.hidden = d;
    spec_.inter = I;
    spec_.n_shared = S;
    spec_.router.n_routed = E;
    spec_.router.top_k = c.num_experts_per_tok;
    spec_.router.norm_topk_prob = c.norm_topk_prob;
    spec_.router.aux_alpha = c.aux_loss_alpha;
    spec_.router.z_loss_coef = c.router_z_loss_coef;
    spec_.router.sigmoid = c.scoring_func == "sigmoid";
    spec_.router.scaling_factor = c.routed_scaling_factor;
    spec_.router.selection_bias = uses_selection_bias(c);
    spec_.router.capacity_factor = c.capacity_factor;
    spec_.router.drop_by_probs = c.drop_policy != "position";
    spec_.router.seq_aux = c.seq_aux;
    spec_.router.device = device_spec_of(c);
    router_ = add(prefix + ".gate.weight", E, d, {E, d}, 0);
    if (spec_.router.selection_bias) {
        // The Hugging Face DeepSeek-V3 name; zero at the start, moved by update_selection_bias, not by AdamW.
        bias_ = add(prefix + ".gate.e_score_correction_bias", 1, E, {E}, 0);
        bias_->decay = false;
        bias_->trained = false;
    }
    w_gate_ = add(prefix + ".experts.{e}.gate_proj.weight", E * I, d, {I, d}, E);
    w_up_ = add(prefix + ".experts.{e}.up_proj.weight", E * I, d, {I, d}, E);
    w_down_ = add(prefix + ".experts.{e}.down_proj.weight", E * d, I, {d, I}, E);
    if (S > 0) {
        s_gate_ = add(prefix + ".shared_experts.gate_proj.weight", S * I, d, {S * I, d}, 0);
        s_up_ = add(prefix + ".shared_experts.up_proj.weight", S * I, d, {S * I, d}, 0);
        s_down_ = add(prefix + ".shared_experts.down_proj.weight", d, S * I, {d, S * I}, 0);
    }
}

void FfnLayer::set_balance_coefficients(double aux_alpha, double device_alpha, double comm_alpha, double z_coef) {
    if (!moe_) return;
    spec_.router.aux_alpha = aux_alpha;
    spec_.router.z_loss_coef = z_coef;
    spec_.router.device.dev_alpha = device_alpha;
    spec_.router.device.comm_alpha = comm_alpha;
}

void FfnLayer::update_selection_bias(double rate) {
    if (!bias_) return;
    const auto& load = moe_cache_.expert_load;
    const int E = spec_.router.n_routed;
    if (static_cast<int>(load.size()) != E) throw InternalError("update_selection_bias: no forward pass to count");
    int64_t slot_count = 0;
    for (int64_t c : load) slot_count += c;
    const float r = static_cast<float>(rate);
    for (int e = 0; e < E; ++e) bias_->w(0, e) = route::bias_step(bias_->w(0, e), load[e], slot_count, E, r);
}

MoEWeights<float> FfnLayer::weights() const {
    MoEWeights<float> w;
    w.gate = &router_->w;
    if (bias_) w.gate_bias = &bias_->w;
    w.w_gate = &w_gate_->w;
    w.w_up = &w_up_->w;
    w.w_down = &w_down_->w;
    if (s_gate_) {
        w.s_gate = &s_gate_->w;
        w.s_up = &s_up_->w;
        w.s_down = &s_down_->w;
    }
    return w;
}

void FfnLayer::set_routing_probe(const RoutingProbe& probe) {
    if (!moe_) {
        if (probe.any())
            throw ConfigError("layer " + std::to_string(layer_) + " is a dense FFN: it has no routing to probe");
        return;
    }
    const ProbeCheck c = check_routing_probe(spec_, probe);
    if (!c.ok) throw ConfigError(c.reason);
    spec_.router.probe = probe;
    probe_shortfall_ = 0;
}

double FfnLayer::forward(const Mat& x, int batch, int seq, Mat& y) {
    y.resize(x.rows(), x.cols());
    if (!moe_) {
        const PhaseClock clock(times_, Phase::DenseFfn);
        swiglu_forward<float>(x, w_gate_->w, w_up_->w, w_down_->w, dense_cache_, y);
        return 0.0;
    }
    spec_.router.batch = batch;
    spec_.router.seq = seq;
    moe_forward<float>(spec_, weights(), x, path_, moe_cache_, y, times_);
    probe_shortfall_ += moe_cache_.router.probe_shortfall;
    return moe_cache_.router.aux_loss;
}

void FfnLayer::backward(const Mat& x, const Mat& dy, Mat& dx) {
    dx.resize(x.rows(), x.cols());
    if (!moe_) {
        const PhaseClock clock(times_, Phase::DenseFfn);
        swiglu_backward<float>(x, w_gate_->w, w_up_->w, w_down_->w, dense_cache_, dy, dx, w_gate_->g, w_up_->g,
                               w_down_->g);
        return;
    }
    MoEGrads<float> g;
    g.gate = &router_->g;
    g.w_gate = &w_gate_->g;
    g.w_up = &w_up_->g;
    g.w_down = &w_down_->g;
    if (s_gate_) {
        g.s_gate = &s_gate_->g;
        g.s_up = &s_up_->g;
        g.s_down = &s_down_->g;
    }
    moe_backward<float>(spec_, weights(), x, path_, moe_cache_, dy, dx, g, times_);
}

RoutingStats FfnLayer::routing_stats(const std::vector<int16_t>& domains, int n_domains) const {
    RoutingStats s;
    s.layer = layer_;
    if (!moe_) return s;
    const Mat& scores = moe_cache_.router.scores;
    const int E = spec_.router.n_routed, k = spec_.router.top_k;
    const int64_t N = scores.rows();
    s.tokens = N;
    s.aux_loss = moe_cache_.router.aux_loss;
    s.z_loss = moe_cache_.router.z_loss;
    s.selection_bias.assign(moe_cache_.router.bias.begin(), moe_cache_.router.bias.end());
    s.dropped = moe_cache_.router.dropped;
    s.load.assign(E, 0);
    s.mean_prob.assign(E, 0.0);
    s.domain_load.assign(std::max(1, n_domains), std::vector<int64_t>(E, 0));
    const auto& idx = moe_cache_.router.topk_idx;
    double entropy = 0.0;
    for (int64_t t = 0; t < N; ++t) {
        const int dom = (t < static_cast<int64_t>(domains.size()) && domains[t] >= 0 && domains[t] < n_domains)
                            ? domains[t]
                            : 0;
        for (int j = 0; j < k; ++j) {
            const int e = idx[t * k + j];
            ++s.load[e];
            ++s.domain_load[dom][e];
        }
        for (int e = 0; e < E; ++e) {
            const double p = scores(t, e);
            s.mean_prob[e] += p;
            if (p > 0) entropy -= p * std::log(p);
        }
    }
    if (N > 0) {
        for (auto& p : s.mean_prob) p /= static_cast<double>(N);
        s.entropy = entropy / static_cast<double>(N);
    }

    // Traffic of simulated expert parallelism: cheap (N k), so counted on every step.
    const RouterCache<float>& rc = moe_cache_.router;
    s.devices = spec_.router.device.devices;
    s.dev_aux_loss = rc.dev_aux_loss;
    s.comm_aux_loss = rc.comm_aux_loss;
    if (static_cast<int>(rc.expert_device.size()) == E) {
        const Traffic tr = count_traffic(idx, N, k, rc.expert_device, s.devices, spec_.hidden);
        s.traffic.assign(s.devices, std::vector<int64_t>(s.devices, 0));
        for (int i = 0; i < s.devices; ++i)
            for (int j = 0; j < s.devices; ++j) s.traffic[i][j] = tr.copies[static_cast<size_t>(i) * s.devices + j];
        s.dispatch_bytes = tr.dispatch_bytes;
        s.combine_bytes = tr.combine_bytes;
        s.bytes_per_copy = bytes_per_token_copy(spec_.hidden);
        s.remote_devices_mean = tr.remote_devices_mean;
        s.remote_devices_max = tr.remote_devices_max;
        s.device_load = tr.device_load;
        s.device_imbalance = tr.device_imbalance;
    }
    return s;
}

}  // namespace moe
