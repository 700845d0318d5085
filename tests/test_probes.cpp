// The probe runner (core/train/probes.h) on small trained models: the neutral points are the ordinary evaluation
// bit for bit, impossible points are reported with their reason, the model's probe is restored, training refuses
// to run with a probe set, and the CSV / JSON tables hold every point.
#include "core/error.h"
#include "core/train/evaluation.h"
#include "core/train/probes.h"
#include "core/train/trainer.h"
#include "tests/config_error_expect.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace moe {
namespace {

using testing::expect_config_error;

Config small(const std::string& preset, std::vector<std::string> extra = {}) {
    std::vector<std::string> s = {"hidden_size=32", "num_attention_heads=2", "ffn_base_width=32", "seq_len=32",
                                  "batch_size=4", "corpus_bytes_per_domain=6000", "eval_sequences=3", "threads=2"};
    s.insert(s.end(), extra.begin(), extra.end());
    return resolve_config(preset, "", s);
}

// A model trained for a few steps, and its fixed validation set (3 windows per domain).
struct Trained {
    Trainer trainer;
    std::vector<Batch> set;
    int n_domains;
    explicit Trained(const Config& c, int steps = 15) : trainer(c) {
        for (int i = 0; i < steps; ++i) trainer.train_step();
        set = trainer.validation_set();
        n_domains = static_cast<int>(trainer.dataset().domain_names().size());
    }
    Model& model() { return trainer.model(); }
};

TEST(Probes, NeutralPointsAreTheOrdinaryEvaluationExactly) {
    Trained t(small("deepseek"));
    const Evaluation plain = evaluate_model(t.model(), t.set, t.n_domains);
    const ProbeResults r = run_probes(t.model(), t.set, t.n_domains);
    EXPECT_EQ(r.n_routed, 63);
    EXPECT_EQ(r.top_k, 7);
    EXPECT_EQ(r.n_shared, 1);
    EXPECT_EQ(r.moe_layers, 2);
    EXPECT_EQ(r.baseline_loss, plain.loss);
    EXPECT_EQ(r.baseline_domain_loss, plain.domain_loss);
    ASSERT_EQ(r.mask.size(), 5u);
    ASSERT_EQ(r.active_k.size(), 7u);
    EXPECT_EQ(r.mask[0].loss, plain.loss);
    EXPECT_EQ(r.active_k.back().loss, plain.loss);

    // Setting the neutral probe explicitly (r = 0, k' = k, shared on) is the ordinary model, bit for bit.
    RoutingProbe neutral;
    neutral.active_k = 7;
    t.model().set_routing_probe(neutral);
    const Evaluation again = evaluate_model(t.model(), t.set, t.n_domains);
    EXPECT_EQ(again.loss, plain.loss);
    EXPECT_EQ(again.domain_loss, plain.domain_loss);
    t.model().set_routing_probe(RoutingProbe{});

    // The probed points differ, and say how they were made.
    for (int i = 1; i <= 4; ++i) {
        const ProbePoint& p = r.mask[i];
        EXPECT_TRUE(p.available) << p.reason;
        EXPECT_EQ(p.x, i);
        EXPECT_DOUBLE_EQ(p.ratio, i / 63.0);
        EXPECT_NE(p.loss, plain.loss) << "r = " << i;
        EXPECT_EQ(p.delta, p.loss - plain.loss);
        EXPECT_EQ(p.domain_loss.size(), size_t(t.n_domains));
    }
    EXPECT_EQ(r.mask[4].reason, "masking 4 of 63 experts leaves 59 >= k = 7: fine");
    ASSERT_TRUE(r.has_shared_off);
    EXPECT_TRUE(r.shared_off.available);
    EXPECT_EQ(r.shared_off.x, 1);
    EXPECT_NE(r.shared_off.loss, plain.loss);
    EXPECT_NE(r.active_k[0].loss, plain.loss);
    EXPECT_DOUBLE_EQ(r.active_k[0].ratio, 1.0 / 7.0);

    // The model is left as it was: no probe, the same loss.
    EXPECT_FALSE(t.model().routing_probe().any());
    EXPECT_EQ(evaluate_model(t.model(), t.set, t.n_domains).loss, plain.loss);
}

TEST(Probes, PointsThatCannotRunSayWhy) {
    // 4 routed experts, top-2, no shared expert: r = 3 and 4 leave fewer than k, shared-off has nothing to remove.
    Trained t(small("gshard", {"n_routed_experts=4", "num_experts_per_tok=2"}), 5);
    const ProbeResults r = run_probes(t.model(), t.set, t.n_domains);
    ASSERT_EQ(r.mask.size(), 5u);
    for (int i = 0; i <= 2; ++i) EXPECT_TRUE(r.mask[i].available) << i;
    EXPECT_FALSE(r.mask[3].available);
    EXPECT_EQ(r.mask[3].reason, "cannot mask r = 3 of 4 experts: only 1 left for top-2");
    EXPECT_TRUE(std::isnan(r.mask[3].loss));
    EXPECT_EQ(r.mask[4].reason, "cannot mask r = 4 of 4 experts: only 0 left for top-2");
    ASSERT_TRUE(r.has_shared_off);
    EXPECT_FALSE(r.shared_off.available);
    EXPECT_EQ(r.shared_off.reason, "model has no shared expert (n_shared_experts = 0): nothing to switch off");
    EXPECT_EQ(r.active_k.size(), 2u);
}

TEST(Probes, ADeviceLimitThatStarvesATokenMakesThePointUnavailable) {
    // 4 experts on 2 devices, 1 device per token, top-2: masking the best 2 leaves 1 on each device for every
    // token whose best two sit on different devices.
    Trained t(small("gshard", {"n_routed_experts=4", "num_experts_per_tok=2", "devices=2", "device_limit=1"}), 5);
    ProbeOptions o;
    o.r_max = 2;
    const ProbeResults r = run_probes(t.model(), t.set, t.n_domains, o);
    ASSERT_EQ(r.mask.size(), 3u);
    EXPECT_FALSE(r.mask[2].available);
    EXPECT_NE(r.mask[2].reason.find("device_limit = 1"), std::string::npos) << r.mask[2].reason;
    EXPECT_NE(r.mask[2].reason.find("fewer than k = 2"), std::string::npos) << r.mask[2].reason;
}

TEST(Probes, ProgressCountsEveryEvaluationAndAStopLeavesTheRestUnavailable) {
    Trained t(small("deepseek"), 2);
    std::vector<std::pair<int, int>> calls;
    ProbeOptions o;
    o.r_max = 2;
    run_probes(t.model(), t.set, t.n_domains, o, [&](int done, int total) { calls.emplace_back(done, total); });
    const int total = 1 + 2 + 1 + 6;  // baseline, r = 1..2, shared off, k' = 1..6
    ASSERT_EQ(calls.size(), size_t(total));
    for (int i = 0; i < total; ++i) EXPECT_EQ(calls[i], std::make_pair(i + 1, total));

    std::atomic<bool> stop{true};
    const ProbeResults r = run_probes(t.model(), t.set, t.n_domains, o, {}, &stop);
    EXPECT_TRUE(r.stopped);
    EXPECT_TRUE(r.mask[0].available) << "r = 0 is the baseline";
    EXPECT_FALSE(r.mask[1].available);
    EXPECT_EQ(r.mask[1].reason, "stopped before this point was run");
    EXPECT_FALSE(r.shared_off.available);
    EXPECT_FALSE(r.active_k[0].available);
}

TEST(Probes, ModelRejectsImpossibleProbesAndTrainingRefusesWhileOneIsSet) {
    Trained t(small("gshard"), 1);
    Model& m = t.model();
    RoutingProbe off;
    off.shared_off = true;
    expect_config_error([&] { m.set_routing_probe(off); },
                        {"model has no shared expert (n_shared_experts = 0): nothing to switch off"});
    EXPECT_FALSE(m.routing_probe().any()) << "a rejected probe changes nothing";
    RoutingProbe too_many;
    too_many.mask_top_r = 15;
    expect_config_error([&] { m.set_routing_probe(too_many); },
                        {"cannot mask r = 15 of 16 experts: only 1 left for top-2"});

    RoutingProbe masked;
    masked.mask_top_r = 1;
    m.set_routing_probe(masked);
    m.forward(t.set[0]);
    expect_config_error([&] { m.backward(); }, {"probe", "reset the probe before training"});
    m.set_routing_probe(RoutingProbe{});
    m.forward(t.set[0]);
    EXPECT_NO_THROW(m.backward());

    Trained dense(small("dense"), 1);
    expect_config_error([&] { run_probes(dense.model(), dense.set, dense.n_domains); }, {"no MoE layer"});
}

TEST(Probes, TablesHoldEveryPoint) {
    Trained t(small("gshard", {"n_routed_experts=4", "num_experts_per_tok=2"}), 3);
    ProbeModel pm;
    pm.name = "tiny";
    pm.checkpoint = "x.safetensors";
    pm.domains = t.trainer.dataset().domain_names();
    pm.results = run_probes(t.model(), t.set, t.n_domains);
    const std::string csv = probe_csv({pm});
    std::istringstream in(csv);
    std::string header;
    std::getline(in, header);
    std::string want = "model,probe,x,ratio,loss";
    for (const auto& d : pm.domains) want += ",loss_" + d;
    EXPECT_EQ(header, want + ",available,reason");
    int rows = 0;
    for (std::string line; std::getline(in, line);) ++rows;
    EXPECT_EQ(rows, 1 + 5 + 1 + 2);  // baseline, r = 0..4, shared off, k' = 1..2
    EXPECT_NE(csv.find("tiny,mask_top_r,3,0.75,,"), std::string::npos) << csv;

    const nlohmann::json j = probe_json({pm});
    ASSERT_EQ(j["models"].size(), 1u);
    const auto& m = j["models"][0];
    EXPECT_EQ(m["n_routed"], 4);
    EXPECT_EQ(m["mask_top_r"].size(), 5u);
    EXPECT_TRUE(m["mask_top_r"][3]["loss"].is_null());
    EXPECT_EQ(m["mask_top_r"][3]["available"], false);
    EXPECT_EQ(m["baseline"]["loss"].get<double>(), pm.results.baseline_loss);
    EXPECT_EQ(m["shared_off"]["available"], false);

    const std::string text = probe_table_text({pm});
    for (const char* w : {"Mask top-r", "r/N_r", "Shared experts off", "k'=2", "Not available", "only 1 left"})
        EXPECT_NE(text.find(w), std::string::npos) << w << "\n" << text;
}

}  // namespace
}  // namespace moe
