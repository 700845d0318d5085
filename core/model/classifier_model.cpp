#include "core/model/classifier_model.h"

#include "core/error.h"
#include "core/gemm.h"
#include "core/layers/cross_entropy.h"
#include "core/layers/rmsnorm.h"
#include "core/rng.h"

namespace moe {

ClassifierModel::ClassifierModel(const Config& config, int n_classes) : Model(config) {
    const ModelConfig& c = config.model;
    const int d = c.hidden_size;
    in_w_ = &add_param("classifier.input_proj.weight", d, 2, {d, 2}, true);
    in_b_ = &add_param("classifier.input_proj.bias", 1, d, {d}, false);
    blocks_.resize(c.num_hidden_layers);
    for (int l = 0; l < c.num_hidden_layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l);
        blocks_[l].norm = &add_param(p + ".post_attention_layernorm.weight", 1, d, {d}, false);
        blocks_[l].ffn = std::make_unique<FfnLayer>(c, l, p + ".mlp", params_);
    }
    norm_ = &add_param("model.norm.weight", 1, d, {d}, false);
    head_w_ = &add_param("classifier.head.weight", n_classes, d, {n_classes, d}, true);
    head_b_ = &add_param("classifier.head.bias", 1, n_classes, {n_classes}, false);
    for (auto& b : blocks_) {
        ffn_ptrs_.push_back(b.ffn.get());
        moe_inputs_.push_back(&b.h);
        moe_outputs_.push_back(&b.ffn_out);
    }
    initialise(config.train.seed);
    // The input projection sees 2 coordinates in [-1, 1]: give it unit-scale weights so points are spread apart
    // in the model's space from the first step (the tiny default std would start every point in the same place).
    Rng rng(config.train.seed ^ 0x5eedull);
    for (Eigen::Index i = 0; i < in_w_->w.size(); ++i) in_w_->w.data()[i] = static_cast<float>(rng.normal());
}

ForwardResult ClassifierModel::forward(const Batch& batch) {
    const int B = batch.batch;
    if (static_cast<int>(batch.points.size()) != 2 * B || static_cast<int>(batch.targets.size()) != B)
        throw Error("a 2-D batch needs 2 coordinates and 1 target per point");
    batch_copy_ = batch;
    const float eps = static_cast<float>(config_.model.rms_norm_eps);
    PhaseClock clock(times_, Phase::Embedding);  // the input projection plays the embedding's part
    points_ = Eigen::Map<const Mat>(batch.points.data(), B, 2);
    Mat x(B, in_w_->w.rows());
    matmul_nt<float>(points_, in_w_->w, x);
    x.rowwise() += in_b_->w.row(0);
    ForwardResult r;
    for (auto& b : blocks_) {
        b.x_in = x;
        clock.next(Phase::Norms);
        rmsnorm_forward<float>(b.x_in, b.norm->w, eps, b.h, b.rstd);
        clock.pause();  // the FFN layer times its own phases
        r.aux_loss += b.ffn->forward(b.h, /*batch=*/1, /*seq=*/B, b.ffn_out);
        clock.next(Phase::Norms);
        x = b.x_in + b.ffn_out;
    }
    x_final_ = std::move(x);
    rmsnorm_forward<float>(x_final_, norm_->w, eps, hn_, rstd_final_);
    clock.next(Phase::Head);
    logits_.resize(B, head_w_->w.rows());
    matmul_nt<float>(hn_, head_w_->w, logits_);
    logits_.rowwise() += head_b_->w.row(0);
    r.loss = cross_entropy_forward<float>(logits_, batch.targets, probs_);
    r.tokens = B;
    for (int i = 0; i < B; ++i) {
        Eigen::Index arg;
        logits_.row(i).maxCoeff(&arg);
        r.correct += arg == batch.targets[i];
    }
    return r;
}

void ClassifierModel::backward() {
    PhaseClock clock(times_, Phase::Head);
    Mat dlogits, dhn, dx, dh, dpart;
    cross_entropy_backward<float>(probs_, batch_copy_.targets, 1.0f, dlogits);
    head_b_->g.row(0) += dlogits.colwise().sum();
    dhn.resize(hn_.rows(), hn_.cols());
    matmul_nn<float>(dlogits, head_w_->w, dhn);
    matmul_tn<float>(dlogits, hn_, head_w_->g, true);
    clock.next(Phase::Norms);
    rmsnorm_backward<float>(x_final_, norm_->w, rstd_final_, dhn, dx, norm_->g);
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
        clock.pause();  // the FFN layer times its own phases
        it->ffn->backward(it->h, dx, dh);
        clock.next(Phase::Norms);
        rmsnorm_backward<float>(it->x_in, it->norm->w, it->rstd, dh, dpart, it->norm->g);
        dx += dpart;
    }
    clock.next(Phase::Embedding);
    in_b_->g.row(0) += dx.colwise().sum();
    matmul_tn<float>(dx, points_, in_w_->g, true);
}

}  // namespace moe
