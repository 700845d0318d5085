#include "gpu/engine/layout_of.h"

#include "core/error.h"
#include "gpu/ops/router_dims_from_spec.h"

#include <map>
#include <string>

namespace moe::gpu {

ModelLayout layout_of(const Model& model) {
    const ModelConfig& c = model.config().model;
    std::map<std::string, int> index;
    ModelLayout L;
    int i = 0;
    for (const Param& p : model.params()) {
        index[p.name] = i++;
        L.params.push_back({p.w.rows(), p.w.cols(), p.decay, p.trained});
    }
    auto find = [&](const std::string& name, bool required = true) {
        const auto it = index.find(name);
        if (it != index.end()) return it->second;
        if (required)
            throw Error("the GPU backend does not know this model's layout (no parameter '" + name +
                        "'): train it with --device cpu");
        return -1;
    };
    L.language = index.count("model.embed_tokens.weight") > 0;
    L.hidden = c.hidden_size;
    L.heads = c.num_attention_heads;
    L.rope = c.position_embedding == "rope";
    L.rope_theta = c.rope_theta;
    L.eps = static_cast<float>(c.rms_norm_eps);
    if (L.language) {
        L.embed = find("model.embed_tokens.weight");
        L.pos = find("model.embed_positions.weight", false);
        L.head = find("lm_head.weight");
    } else {
        L.in_w = find("classifier.input_proj.weight");
        L.in_b = find("classifier.input_proj.bias");
        L.head = find("classifier.head.weight");
        L.head_b = find("classifier.head.bias");
    }
    L.norm = find("model.norm.weight");
    L.outputs = static_cast<int>(L.params[L.head].rows);

    const auto& ffn = model.ffn_layers();
    L.blocks.resize(ffn.size());
    for (size_t l = 0; l < ffn.size(); ++l) {
        BlockLayout& b = L.blocks[l];
        const std::string p = "model.layers." + std::to_string(l);
        if (L.language) {
            b.ln1 = find(p + ".input_layernorm.weight");
            b.q = find(p + ".self_attn.q_proj.weight");
            b.k = find(p + ".self_attn.k_proj.weight");
            b.v = find(p + ".self_attn.v_proj.weight");
            b.o = find(p + ".self_attn.o_proj.weight");
        }
        b.ln2 = find(p + ".post_attention_layernorm.weight");
        b.moe = ffn[l]->is_moe();
        if (!b.moe) {
            b.inter = c.intermediate_size;
            b.w_gate = find(p + ".mlp.gate_proj.weight");
            b.w_up = find(p + ".mlp.up_proj.weight");
            b.w_down = find(p + ".mlp.down_proj.weight");
            continue;
        }
        const MoESpec& spec = ffn[l]->moe_spec();
        b.moe_dims.hidden = spec.hidden;
        b.moe_dims.inter = spec.inter;
        b.moe_dims.n_shared = spec.n_shared;
        b.moe_dims.router = router_dims_of(spec.router);
        b.moe_dims.router.bias_update_rate = c.bias_update_rate;
        b.router = find(p + ".mlp.gate.weight");
        if (spec.router.selection_bias) b.gate_bias = find(p + ".mlp.gate.e_score_correction_bias");
        b.w_gate = find(p + ".mlp.experts.{e}.gate_proj.weight");
        b.w_up = find(p + ".mlp.experts.{e}.up_proj.weight");
        b.w_down = find(p + ".mlp.experts.{e}.down_proj.weight");
        if (spec.n_shared > 0) {
            b.s_gate = find(p + ".mlp.shared_experts.gate_proj.weight");
            b.s_up = find(p + ".mlp.shared_experts.up_proj.weight");
            b.s_down = find(p + ".mlp.shared_experts.down_proj.weight");
        }
    }
    return L;
}

}  // namespace moe::gpu
