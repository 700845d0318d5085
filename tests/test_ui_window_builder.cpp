// The controls' lesson building, without widgets: the ladder rule, presets, and which control an error names.
#include "core/error.h"
#include "ui/window/lesson_builder.h"

#include <gtest/gtest.h>

using namespace moe;
using namespace moe::ui;

namespace {

Lesson ladder_lesson() {
    return lesson_from_json(R"({"title": "t", "model_a": {"preset": "deepseek"}, "model_b": {"preset": "gshard"},
                                "shared": {"learning_rate": 0.002, "hidden_size": 32}})",
                            "t.json");
}

ModelEdits edits_of(const Config& c) {
    ModelEdits e;
    e.preset = c.preset;
    return e;
}

}  // namespace

TEST(WindowBuilder, UnchangedControlsGiveTheLessonBack) {
    const Lesson base = ladder_lesson();
    const BuildResult r = build_lesson(base, edits_of(base.model_a), edits_of(base.model_b), {}, "probe", {});
    ASSERT_TRUE(r.ok) << r.error.toStdString();
    EXPECT_EQ(config_to_json(r.lesson.model_a), config_to_json(base.model_a));
    EXPECT_EQ(config_to_json(r.lesson.model_b), config_to_json(base.model_b));
    EXPECT_EQ(r.lesson.label_a, base.label_a);
    EXPECT_EQ(r.lesson.probe_text, "probe");
    EXPECT_EQ(r.lesson.source, base.source);
}

TEST(WindowBuilder, SegmentationDerivesExpertsThroughTheLadder) {
    const Lesson base = ladder_lesson();
    ModelEdits a = edits_of(base.model_a);
    a.mode = ExpertMode::Ladder;
    a.settings["segmentation"] = "2";
    const Config c = resolve_model(base.model_a, a, {});
    EXPECT_EQ(c.model.segmentation, 2);
    EXPECT_EQ(c.model.n_routed_experts, 2 * 16 - 1);  // mN - K_s
    EXPECT_EQ(c.model.num_experts_per_tok, 2 * 2 - 1);
    EXPECT_EQ(c.model.moe_intermediate_size, 128 / 2);
    EXPECT_EQ(c.model.hidden_size, 32);           // the lesson's keys stay
    EXPECT_DOUBLE_EQ(c.train.learning_rate, 0.002);
}

TEST(WindowBuilder, TopKStatesExpertsDirectlyAndKeepsTheRest) {
    const Lesson base = ladder_lesson();
    ModelEdits a = edits_of(base.model_a);
    a.mode = ExpertMode::Direct;
    a.settings["num_experts_per_tok"] = "3";
    const Config c = resolve_model(base.model_a, a, {});
    EXPECT_EQ(c.model.segmentation, 0);
    EXPECT_EQ(c.model.num_experts_per_tok, 3);
    EXPECT_EQ(c.model.n_routed_experts, base.model_a.model.n_routed_experts);
    EXPECT_EQ(c.model.moe_intermediate_size, base.model_a.model.moe_intermediate_size);
}

TEST(WindowBuilder, SharedExpertsFollowTheLadderBudget) {
    const Lesson base = ladder_lesson();
    ModelEdits a = edits_of(base.model_a);
    a.settings["n_shared_experts"] = "2";
    const Config c = resolve_model(base.model_a, a, {});
    EXPECT_EQ(c.model.n_routed_experts, 4 * 16 - 2);
    EXPECT_EQ(c.model.num_experts_per_tok, 4 * 2 - 2);
}

TEST(WindowBuilder, PresetChangeTakesThePresetsExpertsAndKeepsOtherKeys) {
    const Lesson base = ladder_lesson();
    ModelEdits a = edits_of(base.model_a);
    a.preset = "switch";
    a.preset_changed = true;
    const BuildResult r = build_lesson(base, a, edits_of(base.model_b), {}, "", {});
    ASSERT_TRUE(r.ok) << r.error.toStdString();
    EXPECT_EQ(r.lesson.model_a.preset, "switch");
    EXPECT_EQ(r.lesson.model_a.model.n_routed_experts, 16);
    EXPECT_EQ(r.lesson.model_a.model.num_experts_per_tok, 1);
    EXPECT_FALSE(r.lesson.model_a.model.norm_topk_prob);
    EXPECT_EQ(r.lesson.model_a.model.hidden_size, 32);
    EXPECT_TRUE(r.lesson.label_a.startsWith("switch")) << r.lesson.label_a.toStdString();
    EXPECT_TRUE(r.lesson.source.isEmpty());
}

TEST(WindowBuilder, SharedSettingsReachBothModels) {
    const Lesson base = ladder_lesson();
    const BuildResult r = build_lesson(base, edits_of(base.model_a), edits_of(base.model_b),
                                       {{"dataset", "spirals"}, {"noise", "0.3"}, {"batch_size", "16"}}, "", {});
    ASSERT_TRUE(r.ok) << r.error.toStdString();
    for (const Config* c : {&r.lesson.model_a, &r.lesson.model_b}) {
        EXPECT_EQ(c->data.dataset, "spirals");
        EXPECT_DOUBLE_EQ(c->data.noise, 0.3);
        EXPECT_EQ(c->train.batch_size, 16);
    }
}

TEST(WindowBuilder, ImpossibleValuesGiveTheEnginesMessageAndTheKey) {
    const Lesson base = ladder_lesson();
    const QStringList keys = {"n_routed_experts", "num_experts_per_tok", "hidden_size", "seq_len", "segmentation"};
    ModelEdits b = edits_of(base.model_b);
    b.mode = ExpertMode::Direct;
    b.settings["num_experts_per_tok"] = "40";
    BuildResult r = build_lesson(base, edits_of(base.model_a), b, {}, "", keys);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.model, 1);
    EXPECT_EQ(r.key, "num_experts_per_tok");
    EXPECT_TRUE(r.error.startsWith("Model B: ")) << r.error.toStdString();

    ModelEdits a = edits_of(base.model_a);
    a.settings["hidden_size"] = "30";
    r = build_lesson(base, a, edits_of(base.model_b), {}, "", keys);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.model, 0);
    EXPECT_EQ(r.key, "hidden_size");
    EXPECT_TRUE(r.error.contains("divisible")) << r.error.toStdString();

    r = build_lesson(base, edits_of(base.model_a), edits_of(base.model_b), {{"seq_len", "1000"}}, "", keys);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.key, "seq_len");
}

TEST(WindowBuilder, KeyNamedInFindsTheEarliestWholeWord) {
    const QStringList keys = {"n_routed_experts", "num_experts_per_tok", "hidden_size"};
    EXPECT_EQ(key_named_in("num_experts_per_tok (top-k) = 9 is larger than n_routed_experts = 8", keys),
              "num_experts_per_tok");
    EXPECT_EQ(key_named_in("hidden_size = 30 is not divisible", keys), "hidden_size");
    EXPECT_EQ(key_named_in("xhidden_size", keys), "");
}
