#include "core/model/model.h"

#include "core/error.h"
#include "core/rng.h"

#include <cmath>

namespace moe {

int64_t Model::num_parameters() const {
    int64_t n = 0;
    for (const auto& p : params_) n += p.w.size();
    return n;
}

Param& Model::add_param(const std::string& name, int rows, int cols, std::vector<int64_t> shape, bool decay) {
    Param& p = params_.emplace_back();
    p.name = name;
    p.shape = std::move(shape);
    p.decay = decay;
    p.w.setZero(rows, cols);
    p.init_zero_state();
    return p;
}

void Model::initialise(uint64_t seed) {
    const double std = config_.model.initializer_range;
    for (auto& p : params_) {
        // One stream per parameter, derived from its name, so adding a parameter does not change the others.
        uint64_t h = 1469598103934665603ull;
        for (char c : p.name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        Rng rng(seed ^ h);
        const bool is_norm = p.name.find("norm") != std::string::npos;
        const bool is_bias = p.name.size() >= 5 && p.name.compare(p.name.size() - 5, 5, ".bias") == 0;
        const bool is_router = p.name.size() >= 12 && p.name.compare(p.name.size() - 12, 12, ".gate.weight") == 0;
        if (!p.trained) {
            p.w.setZero();  // noaux_tc's selection bias starts neutral
        } else if (is_norm) {
            p.w.setOnes();
        } else if (is_bias) {
            p.w.setZero();
        } else if (is_router) {
            // kaiming_uniform_(a=sqrt(5)) on [N_r, d]: bound = sqrt(6 / ((1 + 5) * fan_in)) = 1 / sqrt(d).
            const double bound = 1.0 / std::sqrt(static_cast<double>(p.w.cols()));
            for (Eigen::Index i = 0; i < p.w.size(); ++i) p.w.data()[i] = static_cast<float>(rng.uniform(-bound, bound));
        } else {
            for (Eigen::Index i = 0; i < p.w.size(); ++i) p.w.data()[i] = static_cast<float>(rng.normal(0.0, std));
        }
    }
}

void Model::zero_grad() {
    for (auto& p : params_) p.g.setZero();
}

void Model::update_selection_bias(double rate) {
    for (FfnLayer* f : ffn_ptrs_) f->update_selection_bias(rate);
}

void Model::time_phases(PhaseTimes* sink) {
    times_ = sink;
    for (FfnLayer* f : ffn_ptrs_) f->time_phases(sink);
}

void Model::set_routing_probe(const RoutingProbe& probe) {
    bool any_moe = false;
    for (const FfnLayer* f : ffn_ptrs_) {
        if (!f->is_moe()) continue;
        any_moe = true;
        const ProbeCheck c = check_routing_probe(f->moe_spec(), probe);
        if (!c.ok) throw ConfigError(c.reason);
    }
    if (!any_moe && probe.any())
        throw ConfigError("the model has no MoE layer (a dense FFN in every layer): there is no routing to probe");
    for (FfnLayer* f : ffn_ptrs_)
        if (f->is_moe()) f->set_routing_probe(probe);
    probe_ = probe;
}

int64_t Model::routing_probe_shortfall() const {
    int64_t n = 0;
    for (const FfnLayer* f : ffn_ptrs_) n += f->probe_shortfall();
    return n;
}

std::vector<RoutingStats> Model::routing_stats(int n_domains) const {
    std::vector<RoutingStats> out;
    for (const FfnLayer* f : ffn_ptrs_)
        if (f->is_moe()) out.push_back(f->routing_stats(batch_copy_.domains, n_domains));
    return out;
}

std::vector<MoEProbe> Model::moe_probes() const {
    std::vector<MoEProbe> out;
    for (size_t i = 0; i < ffn_ptrs_.size(); ++i) {
        const FfnLayer* f = ffn_ptrs_[i];
        if (!f->is_moe()) continue;
        MoEProbe p;
        p.layer = f->layer();
        p.input = moe_inputs_[i];
        p.output = moe_outputs_[i];
        p.cache = &f->moe_cache();
        p.top_k = f->moe_spec().router.top_k;
        out.push_back(p);
    }
    return out;
}

}  // namespace moe

#include "core/model/classifier_model.h"
#include "core/model/language_model.h"

namespace moe {

std::unique_ptr<Model> make_model(const Config& config, bool language, int n_outputs) {
    validate_config(config);
    if (language) {
        if (n_outputs != config.model.vocab_size)
            throw ConfigError("a byte language model needs vocab_size = " + std::to_string(n_outputs));
        return std::make_unique<LanguageModel>(config);
    }
    if (n_outputs < 2) throw ConfigError("a classifier needs at least 2 classes");
    return std::make_unique<ClassifierModel>(config, n_outputs);
}

}  // namespace moe
