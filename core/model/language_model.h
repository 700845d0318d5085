// Tiny byte-level causal language model (DeepSeek layout):
//   embed -> L x [ x += attn(RMSNorm(x)); x += FFN_or_MoE(RMSNorm(x)) ] -> RMSNorm -> lm_head -> softmax CE.
#pragma once

#include "core/layers/attention.h"
#include "core/model/model.h"

#include <memory>

namespace moe {

class LanguageModel final : public Model {
public:
    explicit LanguageModel(const Config& config);
    ForwardResult forward(const Batch& batch) override;
    void backward() override;
    const Mat& logits() const override { return logits_; }

private:
    struct Block {
        Param *ln1, *q, *k, *v, *o, *ln2;
        std::unique_ptr<FfnLayer> ffn;
        Mat x_in, h1, attn_out, x_mid, h2, ffn_out;
        Vec rstd1, rstd2;
        AttentionCache<float> attn;
    };
    Param *embed_ = nullptr, *pos_ = nullptr, *norm_ = nullptr, *head_ = nullptr;
    std::vector<Block> blocks_;
    AttentionShape shape_;
    Mat x_final_, hn_, logits_, probs_;
    Vec rstd_final_;
    std::vector<int32_t> positions_;
};

}  // namespace moe
