// A small MoE classifier for 2-D points, where routing can be seen on the input plane:
//   x = W_in p + b_in -> L x [ x += FFN_or_MoE(RMSNorm(x)) ] -> RMSNorm -> head (+ bias) -> softmax CE.
#pragma once

#include "core/model/model.h"

#include <memory>

namespace moe {

class ClassifierModel final : public Model {
public:
    ClassifierModel(const Config& config, int n_classes);
    ForwardResult forward(const Batch& batch) override;
    void backward() override;
    const Mat& logits() const override { return logits_; }

private:
    struct Block {
        Param* norm;
        std::unique_ptr<FfnLayer> ffn;
        Mat x_in, h, ffn_out;
        Vec rstd;
    };
    Param *in_w_ = nullptr, *in_b_ = nullptr, *norm_ = nullptr, *head_w_ = nullptr, *head_b_ = nullptr;
    std::vector<Block> blocks_;
    Mat points_, x_final_, hn_, logits_, probs_;
    Vec rstd_final_;
};

}  // namespace moe
