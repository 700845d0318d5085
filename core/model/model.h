// The models MoE Lab trains: a tiny byte-level causal language model and a small 2-D classifier, both built
// from the same FFN/MoE layer. A model owns its parameters; forward() keeps what backward() needs.
#pragma once

#include "core/config.h"
#include "core/model/ffn_layer.h"
#include "core/model/param.h"
#include "core/phase_times.h"
#include "datasets/dataset.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace moe {

struct ForwardResult {
    double loss = 0.0;      // mean cross-entropy (nats per token / point)
    double aux_loss = 0.0;  // sum over MoE layers of the balance losses and router z-loss (added with weight 1)
    int64_t tokens = 0;
    int64_t correct = 0;    // argmax == target (accuracy)
};

// What enters and leaves one MoE layer in the last forward pass (for `moelab-cli inspect` and the GUI).
struct MoEProbe {
    int layer = 0;
    const Mat* input = nullptr;   // [N,d] normalised input of the MoE
    const Mat* output = nullptr;  // [N,d] shared + routed, before the residual
    const MoECache<float>* cache = nullptr;
    int top_k = 0;
};

class Model {
public:
    virtual ~Model() = default;

    const Config& config() const { return config_; }
    std::deque<Param>& params() { return params_; }
    const std::deque<Param>& params() const { return params_; }
    int64_t num_parameters() const;

    // Runs the model on a batch (routing as in training: the balance loss is computed).
    virtual ForwardResult forward(const Batch& batch) = 0;
    // Gradients of loss + aux_loss of the last forward(), accumulated into Param::g.
    virtual void backward() = 0;
    // The logits of the last forward, [rows, outputs].
    virtual const Mat& logits() const = 0;

    const std::vector<FfnLayer*>& ffn_layers() const { return ffn_ptrs_; }
    std::vector<RoutingStats> routing_stats(int n_domains) const;
    std::vector<MoEProbe> moe_probes() const;

    void zero_grad();

    // noaux_tc: every MoE layer's selection bias moves by `rate` towards equal loads of the last forward pass
    // (FfnLayer::update_selection_bias). Called by the trainer after each optimiser step.
    void update_selection_bias(double rate);

    // Time the later forward and backward passes' phases into `sink` (null: stop timing): for the whole-step
    // benchmark (phase_times.h). Timing reads the clock about 20 times per layer and pass; off by default.
    void time_phases(PhaseTimes* sink);

    // Evaluation probes (DeepSeekMoE Figs. 4 and 5, core/moe/router.h; the runner is core/train/probes.h): set on
    // every MoE layer for the forward passes that follow; RoutingProbe{} restores the ordinary model exactly.
    // All or nothing: throws ConfigError, changing no layer, when a layer cannot run it (r > N_r - k, k' > k,
    // shared_off with n_shared_experts = 0, or any probe on a model without MoE layers). Training (backward) throws
    // while a probe is set.
    void set_routing_probe(const RoutingProbe& probe);
    const RoutingProbe& routing_probe() const { return probe_; }
    // Summed over the MoE layers: tokens a mask probe under the device limit left with fewer than k candidates
    // since set_routing_probe (0 when the point is valid for every token).
    int64_t routing_probe_shortfall() const;

protected:
    explicit Model(const Config& config) : config_(config) {}
    Param& add_param(const std::string& name, int rows, int cols, std::vector<int64_t> shape, bool decay);
    // Deterministic initialisation in registration order (normal(0, initializer_range) for matrices, ones for
    // norms, the router's kaiming-uniform bound 1/sqrt(d) as the reference's reset_parameters).
    void initialise(uint64_t seed);

    Config config_;
    std::deque<Param> params_;
    std::vector<FfnLayer*> ffn_ptrs_;
    std::vector<const Mat*> moe_inputs_, moe_outputs_;  // per FFN layer: its input and output of the last forward
    const Batch* last_batch_ = nullptr;
    Batch batch_copy_;
    RoutingProbe probe_;
    PhaseTimes* times_ = nullptr;
};

// n_outputs: 256 for the byte LM, the class count for a 2-D set. Throws ConfigError on an unusable config.
std::unique_ptr<Model> make_model(const Config& config, bool language, int n_outputs);

}  // namespace moe
