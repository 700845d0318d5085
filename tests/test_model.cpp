// Whole-model checks: the hand-written backward of the assembled models (embedding, blocks, residuals, norms,
// head, MoE with its balance loss) against finite differences, and the fast MoE path against the reference.
#include "core/config.h"
#include "core/model/model.h"
#include "core/rng.h"
#include "datasets/dataset.h"

#include <gtest/gtest.h>

#include <cmath>

namespace moe {
namespace {

Config small_config(const std::string& preset, std::vector<std::string> extra = {}) {
    std::vector<std::string> s = {"hidden_size=16", "num_attention_heads=2", "num_hidden_layers=2",
                                  "ffn_base_width=16", "seq_len=8", "batch_size=3", "seed=3"};
    s.insert(s.end(), extra.begin(), extra.end());
    return resolve_config(preset, "", s);
}

Batch random_lm_batch(int B, int T, uint64_t seed) {
    Rng rng(seed);
    Batch b;
    b.batch = B;
    b.seq = T;
    for (int i = 0; i < B * T; ++i) {
        b.inputs.push_back(static_cast<int32_t>(rng.below(256)));
        b.targets.push_back(static_cast<int32_t>(rng.below(256)));
        b.domains.push_back(static_cast<int16_t>(i / T % 2));
    }
    return b;
}

Batch random_points_batch(int B, int classes, uint64_t seed) {
    Rng rng(seed);
    Batch b;
    b.batch = B;
    b.seq = 1;
    for (int i = 0; i < B; ++i) {
        b.points.push_back(static_cast<float>(rng.uniform(-1, 1)));
        b.points.push_back(static_cast<float>(rng.uniform(-1, 1)));
        b.targets.push_back(static_cast<int32_t>(rng.below(classes)));
        b.domains.push_back(static_cast<int16_t>(b.targets.back()));
    }
    return b;
}

// Directional finite difference per parameter tensor: (L(w + h r) - L(w - h r)) / 2h against <g, r>, with r a
// random direction of unit norm. Float model, so h is moderate and the tolerance relative; each layer's own
// backward is checked in double precision in the layer tests.
void check_model_gradients(Model& model, const Batch& batch) {
    model.zero_grad();
    model.forward(batch);
    model.backward();
    Rng rng(99);
    auto total_loss = [&] {
        const ForwardResult r = model.forward(batch);
        return r.loss + r.aux_loss;
    };
    auto routing = [&] {
        std::vector<int32_t> all;
        for (const MoEProbe& p : model.moe_probes())
            all.insert(all.end(), p.cache->router.topk_idx.begin(), p.cache->router.topk_idx.end());
        return all;
    };
    const std::vector<int32_t> base_routing = routing();
    for (Param& p : model.params()) {
        Mat r(p.w.rows(), p.w.cols());
        for (Eigen::Index i = 0; i < r.size(); ++i) r.data()[i] = static_cast<float>(rng.normal());
        r /= r.norm();
        const double analytic = static_cast<double>((p.g.array() * r.array()).sum());
        const Mat w0 = p.w;
        // Top-k selection is piecewise constant: a step that flips a token's k-th and (k+1)-th expert makes the
        // loss jump. Shrink the step until no routing decision changes (the gradient is only defined there).
        float h = 4e-3f;
        double numeric = 0.0;
        bool clean = false;
        for (int attempt = 0; attempt < 6 && !clean; ++attempt, h *= 0.5f) {
            p.w = w0 + h * r;
            const double lp = total_loss();
            const bool same_p = routing() == base_routing;
            p.w = w0 - h * r;
            const double lm = total_loss();
            const bool same_m = routing() == base_routing;
            numeric = (lp - lm) / (2.0 * h);
            clean = same_p && same_m;
        }
        p.w = w0;
        ASSERT_TRUE(clean) << p.name << ": every step size changed the routing";
        EXPECT_NEAR(numeric, analytic, 2e-3 + 2e-2 * std::abs(analytic)) << p.name;
    }
}

TEST(ModelGradients, LanguageModelDeepSeekMatchesFiniteDifferences) {
    const Config c = small_config("deepseek", {"aux_loss_alpha=0.1"});
    auto model = make_model(c, true, 256);
    check_model_gradients(*model, random_lm_batch(3, 8, 1));
}

TEST(ModelGradients, LanguageModelWithDenseFirstLayerAndLearnedPositions) {
    const Config c = small_config("gshard", {"first_k_dense_replace=1", "position_embedding=learned",
                                             "max_position_embeddings=8", "seq_aux=false"});
    auto model = make_model(c, true, 256);
    check_model_gradients(*model, random_lm_batch(3, 8, 2));
}

TEST(ModelGradients, ClassifierMatchesFiniteDifferences) {
    const Config c = small_config("fine2", {"aux_loss_alpha=0.1", "dataset=spirals"});
    auto model = make_model(c, false, 3);
    check_model_gradients(*model, random_points_batch(40, 3, 3));
}

TEST(ModelPaths, FastAndReferenceMoEGiveTheSameModel) {
    for (const char* preset : {"deepseek", "gshard", "switch", "seed-default"}) {
        auto fast = make_model(small_config(preset), true, 256);
        auto ref = make_model(small_config(preset, {"moe_impl=reference"}), true, 256);
        const Batch b = random_lm_batch(3, 8, 4);
        const ForwardResult rf = fast->forward(b), rr = ref->forward(b);
        EXPECT_NEAR(rf.loss, rr.loss, 1e-5) << preset;
        EXPECT_NEAR(rf.aux_loss, rr.aux_loss, 1e-6) << preset;
        fast->zero_grad();
        ref->zero_grad();
        fast->backward();
        ref->backward();
        for (size_t i = 0; i < fast->params().size(); ++i) {
            const Param &pf = fast->params()[i], &pr = ref->params()[i];
            ASSERT_EQ(pf.name, pr.name);
            EXPECT_LE((pf.g - pr.g).cwiseAbs().maxCoeff(), 1e-5f + 1e-3f * pr.g.cwiseAbs().maxCoeff())
                << preset << " " << pf.name;
        }
    }
}

TEST(ModelNames, UseHuggingFaceDeepSeekNames) {
    auto model = make_model(small_config("deepseek"), true, 256);
    std::vector<std::string> names;
    for (const auto& p : model->params()) names.push_back(p.name);
    auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
    EXPECT_TRUE(has("model.embed_tokens.weight"));
    EXPECT_TRUE(has("model.layers.0.self_attn.q_proj.weight"));
    EXPECT_TRUE(has("model.layers.1.mlp.gate.weight"));
    EXPECT_TRUE(has("model.layers.1.mlp.experts.{e}.gate_proj.weight"));
    EXPECT_TRUE(has("model.layers.1.mlp.shared_experts.down_proj.weight"));
    EXPECT_TRUE(has("model.norm.weight"));
    EXPECT_TRUE(has("lm_head.weight"));
}

}  // namespace
}  // namespace moe
