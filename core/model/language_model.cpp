#include "core/model/language_model.h"

#include "core/error.h"
#include "core/gemm.h"
#include "core/layers/cross_entropy.h"
#include "core/layers/embedding.h"
#include "core/layers/rmsnorm.h"

namespace moe {

LanguageModel::LanguageModel(const Config& config) : Model(config) {
    const ModelConfig& c = config.model;
    const int d = c.hidden_size, V = c.vocab_size;
    embed_ = &add_param("model.embed_tokens.weight", V, d, {V, d}, true);
    if (c.position_embedding == "learned")
        pos_ = &add_param("model.embed_positions.weight", c.max_position_embeddings, d, {c.max_position_embeddings, d},
                          true);
    blocks_.resize(c.num_hidden_layers);
    for (int l = 0; l < c.num_hidden_layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l);
        Block& b = blocks_[l];
        b.ln1 = &add_param(p + ".input_layernorm.weight", 1, d, {d}, false);
        b.q = &add_param(p + ".self_attn.q_proj.weight", d, d, {d, d}, true);
        b.k = &add_param(p + ".self_attn.k_proj.weight", d, d, {d, d}, true);
        b.v = &add_param(p + ".self_attn.v_proj.weight", d, d, {d, d}, true);
        b.o = &add_param(p + ".self_attn.o_proj.weight", d, d, {d, d}, true);
        b.ln2 = &add_param(p + ".post_attention_layernorm.weight", 1, d, {d}, false);
        b.ffn = std::make_unique<FfnLayer>(c, l, p + ".mlp", params_);
    }
    norm_ = &add_param("model.norm.weight", 1, d, {d}, false);
    head_ = &add_param("lm_head.weight", V, d, {V, d}, true);
    for (auto& b : blocks_) {
        ffn_ptrs_.push_back(b.ffn.get());
        moe_inputs_.push_back(&b.h2);
        moe_outputs_.push_back(&b.ffn_out);
    }
    shape_.heads = c.num_attention_heads;
    shape_.rope = c.position_embedding == "rope";
    shape_.rope_theta = c.rope_theta;
    initialise(config.train.seed);
}

ForwardResult LanguageModel::forward(const Batch& batch) {
    const ModelConfig& c = config_.model;
    const int B = batch.batch, T = batch.seq;
    if (T > c.max_position_embeddings)
        throw ConfigError("a sequence of " + std::to_string(T) + " tokens is longer than max_position_embeddings = " +
                          std::to_string(c.max_position_embeddings) + ": use a shorter text or a larger model");
    batch_copy_ = batch;
    shape_.batch = B;
    shape_.seq = T;
    const float eps = static_cast<float>(c.rms_norm_eps);

    PhaseClock clock(times_, Phase::Embedding);
    Mat x;
    embedding_forward<float>(embed_->w, batch.inputs, x);
    if (pos_) {
        positions_.resize(static_cast<size_t>(B) * T);
        for (int i = 0; i < B * T; ++i) positions_[i] = i % T;
        Mat px;
        embedding_forward<float>(pos_->w, positions_, px);
        x += px;
    }
    ForwardResult r;
    for (auto& b : blocks_) {
        b.x_in = x;
        clock.next(Phase::Norms);
        rmsnorm_forward<float>(b.x_in, b.ln1->w, eps, b.h1, b.rstd1);
        clock.next(Phase::Attention);
        attention_forward<float>(b.h1, b.q->w, b.k->w, b.v->w, b.o->w, shape_, b.attn, b.attn_out);
        b.x_mid = b.x_in + b.attn_out;
        clock.next(Phase::Norms);
        rmsnorm_forward<float>(b.x_mid, b.ln2->w, eps, b.h2, b.rstd2);
        clock.pause();  // the FFN layer times its own phases
        r.aux_loss += b.ffn->forward(b.h2, B, T, b.ffn_out);
        clock.next(Phase::Norms);
        x = b.x_mid + b.ffn_out;
    }
    x_final_ = std::move(x);
    rmsnorm_forward<float>(x_final_, norm_->w, eps, hn_, rstd_final_);
    clock.next(Phase::Head);
    logits_.resize(hn_.rows(), head_->w.rows());
    matmul_nt<float>(hn_, head_->w, logits_);
    r.loss = cross_entropy_forward<float>(logits_, batch.targets, probs_);
    r.tokens = static_cast<int64_t>(B) * T;
    for (Eigen::Index i = 0; i < logits_.rows(); ++i) {
        Eigen::Index arg;
        logits_.row(i).maxCoeff(&arg);
        r.correct += arg == batch.targets[i];
    }
    return r;
}

void LanguageModel::backward() {
    PhaseClock clock(times_, Phase::Head);
    Mat dlogits, dhn, dx, dh, dpart;
    cross_entropy_backward<float>(probs_, batch_copy_.targets, 1.0f, dlogits);
    dhn.resize(hn_.rows(), hn_.cols());
    matmul_nn<float>(dlogits, head_->w, dhn);
    matmul_tn<float>(dlogits, hn_, head_->g, true);
    clock.next(Phase::Norms);
    rmsnorm_backward<float>(x_final_, norm_->w, rstd_final_, dhn, dx, norm_->g);
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
        Block& b = *it;
        // x_out = x_mid + ffn(norm2(x_mid))
        clock.pause();  // the FFN layer times its own phases
        b.ffn->backward(b.h2, dx, dh);
        clock.next(Phase::Norms);
        rmsnorm_backward<float>(b.x_mid, b.ln2->w, b.rstd2, dh, dpart, b.ln2->g);
        dx += dpart;
        // x_mid = x_in + attn(norm1(x_in))
        clock.next(Phase::Attention);
        attention_backward<float>(b.h1, b.q->w, b.k->w, b.v->w, b.o->w, shape_, b.attn, dx, dh, b.q->g, b.k->g,
                                  b.v->g, b.o->g);
        clock.next(Phase::Norms);
        rmsnorm_backward<float>(b.x_in, b.ln1->w, b.rstd1, dh, dpart, b.ln1->g);
        dx += dpart;
    }
    clock.next(Phase::Embedding);
    embedding_backward<float>(batch_copy_.inputs, dx, embed_->g);
    if (pos_) embedding_backward<float>(positions_, dx, pos_->g);
}

}  // namespace moe
