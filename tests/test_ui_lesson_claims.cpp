// Each bundled lesson makes a claim to a class; this file checks it. A lesson is loaded from the bundled resource
// and its two Configs are trained exactly as the app trains them (the lesson's configs, the lesson's length as the
// cosine schedule's length), then scored on the fixed validation set (Trainer::evaluate, core/train/evaluation.h)
// and, where the lesson is about them, probed (core/train/probes.h). The CPU path is deterministic for a seed, so
// one seed gives one answer; every bound below leaves a margin of at least a third of the measured effect, and the
// figures each lesson text quotes were measured at the lesson's own length on seeds 1-3 (see each test).
//
// Some lessons train for fewer steps here than in the app, to keep this file near two minutes on 2 cores. Each such
// test says why the shorter run shows the same thing: the same sign and size of effect at both lengths.
#include "core/train/evaluation.h"
#include "core/train/probes.h"
#include "core/train/trainer.h"
#include "ui/session/lesson.h"

#include <QCoreApplication>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>

namespace moe::ui {
namespace {

void ensure_app() {
    static int argc = 1;
    static char name[] = "test_ui_lesson_claims";
    static char* argv[] = {name, nullptr};
    if (!QCoreApplication::instance()) new QCoreApplication(argc, argv);
}

// One trained model and what the lesson tests read of it.
struct Trained {
    std::unique_ptr<Trainer> trainer;
    std::shared_ptr<const Evaluation> eval;  // on the fixed validation set, after the last step
    std::vector<std::pair<int, double>> accuracy;  // (step, validation accuracy) at each evaluation
    double dispatch_bytes_per_step = 0.0;  // summed over MoE layers, mean over steps
    double remote_devices_mean = 0.0;      // mean over steps and MoE layers
    int remote_devices_max = 0;            // over every step and layer
    double dropped = 0.0;  // share of token-slots dropped over capacity, mean over the layers and the last 50 steps
                           // (what the Balance view's title gives)
};

Trained train(const Config& config) {
    Trained r;
    r.trainer = std::make_unique<Trainer>(config);
    const int steps = config.train.steps;
    for (int s = 1; s <= steps; ++s) {
        const StepMetrics m = r.trainer->train_step();
        for (const LayerBalance& b : m.balance) {
            r.dispatch_bytes_per_step += static_cast<double>(b.dispatch_bytes) / steps;
            r.remote_devices_mean += b.remote_devices_mean / (static_cast<double>(steps) * m.balance.size());
            r.remote_devices_max = std::max(r.remote_devices_max, b.remote_devices_max);
            if (s > steps - 50) r.dropped += b.dropped_fraction / (std::min(50.0, double(steps)) * m.balance.size());
        }
        if (m.eval) {
            r.accuracy.emplace_back(s, m.eval->accuracy);
            r.eval = m.eval;  // the trainer evaluates at the last step, so the last one is the final model's
        }
    }
    if (!r.eval || r.accuracy.back().first != steps) r.eval = r.trainer->evaluate();
    return r;
}

struct Pair {
    Lesson lesson;
    Trained a, b;
};

// The lesson's two models as the session builds them (ui/session/training_session.cpp: the lesson's configs with
// the lesson's length as "steps"), or `steps` long when the test says why a shorter run shows the same. A and B
// train at once on one thread each: results are identical for any thread count, and this halves the wall time.
// seed >= 0 replaces the lesson's seed (the claims that rest on a small difference are checked over several).
Pair train_lesson(const char* file, int steps = 0, int seed = -1) {
    ensure_app();
    Pair p;
    p.lesson = load_lesson(QString(":/lessons/") + file);
    Config configs[2] = {p.lesson.model_a, p.lesson.model_b};
    for (Config& c : configs) {
        c.train.steps = steps > 0 ? steps : p.lesson.steps;
        c.train.threads = 1;
        if (seed >= 0) c.train.seed = static_cast<uint64_t>(seed);
    }
    check_same_data(configs[0], configs[1]);
    std::thread other([&] { p.b = train(configs[1]); });
    p.a = train(configs[0]);
    other.join();
    std::printf("[ measured ] %s, %d steps: validation loss A %.4f, B %.4f, B - A %+.4f; accuracy A %.4f, B %.4f\n",
                file, configs[0].train.steps, p.a.eval->loss, p.b.eval->loss, p.b.eval->loss - p.a.eval->loss,
                p.a.eval->accuracy, p.b.eval->accuracy);
    return p;
}

int n_domains(const Trained& t) { return static_cast<int>(t.trainer->dataset().domain_names().size()); }

ProbeResults probe(Trained& t, bool mask, int r_max) {
    ProbeOptions o;
    o.mask = mask;
    o.r_max = r_max;
    o.shared_off = true;
    o.active_k = true;
    return run_probes(t.trainer->model(), t.trainer->validation_set(), n_domains(t), o);
}

int unused_experts(const LayerEvaluation& l) {
    return static_cast<int>(std::count(l.load.begin(), l.load.end(), int64_t{0}));
}

double worst_max_violation(const Evaluation& e) {
    double worst = 0.0;
    for (const LayerEvaluation& l : e.layers) worst = std::max(worst, l.max_violation);
    return worst;
}

// The first evaluation step at which the validation accuracy reached `level` (a large number if never).
int first_step_at(const Trained& t, double level) {
    for (const auto& [step, accuracy] : t.accuracy)
        if (accuracy >= level) return step;
    return 1 << 30;
}

// 01: DeepSeekMoE (1 shared + top-7 of 63) against GShard (top-2 of 16) at equal budget.
// 800 of the lesson's 2000 steps, because A leads at both lengths, by little: B - A = +0.010 / +0.057 / +0.038 at
// 800 with seeds 1-3 (+0.039 mean over seeds 1-5, A lower in 5 of 5), +0.006 / +0.014 / +0.007 at 2000. A single
// seed's margin moves with any change of float rounding in the engine, so the loss claim is checked over seeds 1-3:
// A lower in each, and by more than 0.02 on average. The masking probe is reversed at both lengths (at masked share
// 1/16, GShard +1.54 / +1.63 / +1.60 and DeepSeekMoE +0.99 / +1.30 / +1.08 at 800; +2.19 / +2.22 / +2.16 and
// +1.63 / +1.77 / +1.69 at 2000), the shared-off jump is small at both (+0.09 at 800; +0.08 / +0.04 / +0.07 at 2000)
// and domain specialisation stays low (<= 0.14). Which model's domain specialisation is higher changes with the
// length and the seed, so the lesson does not claim it and neither does this.
TEST(LessonClaims, LadderDeepSeekMoEReachesLowerValidationLossAndMaskingIsReversedAtToyScale) {
    Pair p = train_lesson("01-ladder.json", 800);
    const Evaluation &a = *p.a.eval, &b = *p.b.eval;
    double sum_gap = b.loss - a.loss;
    EXPECT_GT(b.loss - a.loss, 0.0) << "A (DeepSeekMoE) should end with the lower validation loss (seed 1)";
    for (int seed : {2, 3}) {
        const Pair other = train_lesson("01-ladder.json", 800, seed);
        const double gap = other.b.eval->loss - other.a.eval->loss;
        std::printf("[ measured ] seed %d: B - A %+.4f\n", seed, gap);
        EXPECT_GT(gap, 0.0) << "A (DeepSeekMoE) should end with the lower validation loss (seed " << seed << ")";
        sum_gap += gap;
    }
    EXPECT_GT(sum_gap / 3.0, 0.02) << "mean B - A over seeds 1-3";
    for (const Evaluation* e : {&a, &b})
        for (const LayerEvaluation& l : e->layers) {
            std::printf("[ measured ] %s layer %d: domain specialisation %.4f\n", e == &a ? "A" : "B", l.layer,
                        l.domain_specialisation);
            EXPECT_GT(l.domain_specialisation, 0.0);
            EXPECT_LT(l.domain_specialisation, 0.25) << "the lesson says experts are far from domain-exclusive";
        }

    // Fig. 4 at equal masked share: 4 of A's 63 routed experts (0.063) against 1 of B's 16 (0.0625).
    const ProbeResults pa = probe(p.a, true, 4), pb = probe(p.b, true, 1);
    ASSERT_EQ(pa.mask.size(), 5u);
    ASSERT_EQ(pb.mask.size(), 2u);
    ASSERT_TRUE(pa.mask[4].available && pb.mask[1].available);
    EXPECT_NEAR(pa.mask[4].ratio, pb.mask[1].ratio, 0.002);
    std::printf("[ measured ] mask top-r at share 1/16: A (r = 4) %+.3f, B (r = 1) %+.3f; A shared off %+.3f\n",
                pa.mask[4].delta, pb.mask[1].delta, pa.shared_off.delta);
    EXPECT_GT(pa.mask[4].delta, 0.3) << "masking A's best experts must hurt it";
    EXPECT_GT(pb.mask[1].delta, pa.mask[4].delta + 0.2)
        << "the lesson says GShard degrades more at equal masked share (the reverse of the paper's Fig. 4)";
    // The paper's shared-off jump is +0.61 nats; at toy scale it is a fraction of that.
    ASSERT_TRUE(pa.has_shared_off && pa.shared_off.available);
    EXPECT_GT(pa.shared_off.delta, 0.0);
    EXPECT_LT(pa.shared_off.delta, 0.3);
}

// 02: the same GShard model with alpha = 0 (A) and alpha = 0.01 (B), at the lesson's full length (400 steps).
// The numbers move with the CPU's float rounding (an AVX-512 build rounds differently from an AVX2 one), so the claims
// are the ones that held on both. Seeds 1-3 on an AVX2 machine: worst-layer MaxVio_global A 4.10 / 3.79 / 3.98 vs B
// 0.99 / 1.01 / 0.85, A 1-4 experts of 16 with no validation token in every layer, B - A = -0.002 / +0.006 / +0.059.
// Seeds 1-6 on an AVX-512 machine: A 3.77 / 3.73 / 4.24 / 4.27 / 3.60 / 3.82 vs B 1.05 / 0.87 / 0.60 / 0.87 / 0.92 /
// 1.00; A 0-5 unused experts per layer (1 and 0 with seed 1), B none; B - A = -0.022 / +0.010 / +0.096 / +0.033 /
// +0.093 / +0.009 (mean +0.036, sd 0.049): the collapse costs A nothing beyond seed noise.
TEST(LessonClaims, AuxLossWithoutItRoutersCollapseOnTheValidationSetAtNoLossCost) {
    Pair p = train_lesson("02-aux-loss.json");
    const Evaluation &a = *p.a.eval, &b = *p.b.eval;
    ASSERT_EQ(a.layers.size(), b.layers.size());
    ASSERT_FALSE(a.layers.empty());
    int unused_a = 0;
    for (size_t i = 0; i < a.layers.size(); ++i) {
        const LayerEvaluation &la = a.layers[i], &lb = b.layers[i];
        unused_a += unused_experts(la);
        std::printf("[ measured ] layer %d: MaxVio_global A %.3f, B %.3f; N_r sum f P A %.3f, B %.3f; unused "
                    "experts A %d, B %d of %zu\n",
                    la.layer, la.max_violation, lb.max_violation, la.balance_statistic, lb.balance_statistic,
                    unused_experts(la), unused_experts(lb), la.load.size());
        EXPECT_EQ(unused_experts(lb), 0) << "B's balance loss should keep every expert in use";
        EXPECT_LT(lb.balance_statistic, 1.1) << "B should sit near the balanced level 1";
    }
    EXPECT_GE(unused_a, 1) << "A's routers should have abandoned experts";
    const double vio_a = worst_max_violation(a), vio_b = worst_max_violation(b);
    EXPECT_GT(vio_a, 2.0);
    EXPECT_GT(vio_a, 3.0 * vio_b);
    double stat_a = 0.0;
    for (const LayerEvaluation& l : a.layers) stat_a = std::max(stat_a, l.balance_statistic);
    EXPECT_GT(stat_a, 1.5) << "the balance view must show A's collapse although A's alpha is 0";
    // The lesson's question: the collapse costs A no loss on data this small (A is no worse than B beyond the seed
    // noise of B - A, sd about 0.05).
    EXPECT_GT(b.loss - a.loss, -0.05);
    EXPECT_LT(b.loss - a.loss, 0.1);
}

// 03: fine2 with one shared expert (A: 1 shared + top-3 of 31) against none (B: top-4 of 32).
// 600 of the lesson's 1500 steps, because the shared-off jump is as large at both lengths (+0.27 at 600 with seed 1;
// +0.32 / +0.22 / +0.38 at 1500 with seeds 1-3) and dropping one routed expert (k' = 2) costs A +0.02 at both.
// B - A is small and changes sign with the length and the seed (+0.034 at 600; -0.022 / +0.003 / -0.008 at 1500):
// the lesson says the shared expert buys no clear loss gain here, and the test checks only that bound.
TEST(LessonClaims, SharedExpertCarriesMoreThanARoutedOneButBuysNoClearLossGain) {
    Pair p = train_lesson("03-shared-experts.json", 600);
    const ProbeResults pa = probe(p.a, false, 0);
    ASSERT_TRUE(pa.has_shared_off && pa.shared_off.available) << pa.shared_off.reason;
    ASSERT_EQ(pa.top_k, 3);
    ASSERT_EQ(pa.active_k.size(), 3u);
    const double shared_off = pa.shared_off.delta, drop_one_routed = pa.active_k[1].delta;  // k' = 2 of 3
    std::printf("[ measured ] A: shared off %+.3f, k' = 2 of 3 routed %+.3f\n", shared_off, drop_one_routed);
    EXPECT_GT(shared_off, 0.15);
    EXPECT_GT(drop_one_routed, 0.0);
    EXPECT_GT(shared_off, 5.0 * drop_one_routed) << "the shared expert should carry more than any routed one";
    EXPECT_LT(shared_off, 0.61) << "the lesson says the paper's +0.61 is not reached at this scale";
    EXPECT_LT(std::abs(p.b.eval->loss - p.a.eval->loss), 0.06);
}

// 04: the spirals at the lesson's full length (800 steps), evaluated every 50 steps as in the app.
// Seeds 1-3: A first reaches 95 % validation accuracy at step 100 / 150 / 200, B at 400 / 350 / 300; both end at
// >= 99 %. Class specialisation of the last layer 0.44 / 0.40 / 0.41 (A) and 0.47 / 0.51 / 0.54 (B), of the first
// 0.12-0.20.
TEST(LessonClaims, SpiralsDeepSeekMoESeparatesTheArmsFirstAndTheLastLayerFollowsTheClasses) {
    Pair p = train_lesson("04-spirals.json");
    const int classes = n_domains(p.a);
    ASSERT_EQ(classes, 4);
    for (const Trained* t : {&p.a, &p.b}) {
        EXPECT_GT(t->eval->accuracy, 0.97) << "chance is 1 / 4";
        const auto& layers = t->eval->layers;
        ASSERT_GE(layers.size(), 2u);
        std::printf("[ measured ] %s: 95 %% at step %d; class specialisation first layer %.3f, last %.3f\n",
                    t == &p.a ? "A" : "B", first_step_at(*t, 0.95), layers.front().domain_specialisation,
                    layers.back().domain_specialisation);
        EXPECT_GT(layers.back().domain_specialisation, 0.25);
        EXPECT_GT(layers.back().domain_specialisation, layers.front().domain_specialisation);
    }
    EXPECT_LT(first_step_at(p.a, 0.95), first_step_at(p.b, 0.95)) << "A should separate the arms first";
}

// 05: device-limited routing (A: at most M = 2 of 8 devices) against free routing (B).
// 400 of the lesson's 1000 steps, because the traffic ratio comes from the routing rule and is the same at both
// lengths (A / B dispatch bytes per step 0.401 at 400, 0.398 / 0.399 / 0.399 at 1000 with seeds 1-3; remote devices
// per token 1.75 vs 4.4), and the loss cost is as small at both: A - B = +0.014 at 400 with seed 1, +0.003 / +0.046 /
// -0.009 at 1000 with seeds 1-3. Its sign changes with the seed, so only the bound is checked.
TEST(LessonClaims, DeviceLimitSendsFewerBytesForASmallLossCost) {
    Pair p = train_lesson("05-device-limited.json", 400);
    const int limit = p.lesson.model_a.model.device_limit;
    ASSERT_EQ(limit, 2);
    ASSERT_GT(p.b.dispatch_bytes_per_step, 0.0);
    const double ratio = p.a.dispatch_bytes_per_step / p.b.dispatch_bytes_per_step;
    std::printf("[ measured ] dispatch bytes/step A %.4g, B %.4g (A / B %.3f); remote devices per token A %.3f "
                "(max %d), B %.3f (max %d)\n",
                p.a.dispatch_bytes_per_step, p.b.dispatch_bytes_per_step, ratio, p.a.remote_devices_mean,
                p.a.remote_devices_max, p.b.remote_devices_mean, p.b.remote_devices_max);
    EXPECT_LT(ratio, 0.5);
    EXPECT_LE(p.a.remote_devices_max, limit);
    EXPECT_GT(p.b.remote_devices_max, limit);
    EXPECT_LT(p.a.remote_devices_mean, 0.5 * p.b.remote_devices_mean);
    const double cost = p.a.eval->loss - p.b.eval->loss;
    EXPECT_LT(std::abs(cost), 0.1) << "the lesson says the limit costs A at most a few hundredths of a nat";
}

// 06: DeepSeek-V3's auxiliary-loss-free balancing (B: bias, gamma 0.001, alpha 0.0001) against the same sigmoid
// router balanced by a loss (A: alpha 0.001), at the lesson's length, seeds 1-3 (an AVX-512 build): worst-layer
// MaxVio_global A 3.21 / 2.29 / 1.92 vs B 0.38 / 0.49 / 0.39; A 1 / 5 / 3 experts of its first layer with no
// validation token, B none; B - A = +0.008 / -0.018 / -0.009 (mean -0.006).
TEST(LessonClaims, AuxFreeBiasBalancesBetterAtNoLossCost) {
    double sum_gap = 0.0;
    for (int seed : {1, 2, 3}) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed);
        Pair p = train_lesson("06-aux-free.json", 0, seed);
        const Evaluation &a = *p.a.eval, &b = *p.b.eval;
        ASSERT_EQ(a.layers.size(), b.layers.size());
        ASSERT_FALSE(a.layers.empty());
        for (size_t i = 0; i < a.layers.size(); ++i) {
            std::printf("[ measured ] seed %d layer %d: MaxVio_global A %.3f, B %.3f; unused experts A %d, B %d\n",
                        seed, a.layers[i].layer, a.layers[i].max_violation, b.layers[i].max_violation,
                        unused_experts(a.layers[i]), unused_experts(b.layers[i]));
            EXPECT_EQ(unused_experts(b.layers[i]), 0) << "B's bias should keep every expert in use";
        }
        const double vio_a = worst_max_violation(a), vio_b = worst_max_violation(b);
        EXPECT_GT(vio_a, 1.4);
        EXPECT_LT(vio_b, 0.75);
        EXPECT_GT(vio_a, 3.0 * vio_b) << "the lesson says B's loads are far more even";
        const double gap = b.loss - a.loss;
        EXPECT_LT(std::abs(gap), 0.05) << "the lesson says the loss is the same within seed noise";
        sum_gap += gap;
    }
    EXPECT_LT(sum_gap / 3.0, 0.02) << "mean B - A over seeds 1-3: the bias costs no loss";
}

// 07: Switch top-1 with expert capacity 1.0 (A) against 2.0 (B), at the lesson's length, seeds 1-3 (an AVX-512
// build): dropped share over the last 50 steps A 0.179 / 0.168 / 0.187, B 0.012 / 0.006 / 0.009 (over all 600 steps
// 0.30 and 0.09); B - A = +0.001 / -0.018 / +0.045 (mean +0.010): dropping a sixth of the slots costs no loss beyond
// seed noise here.
TEST(LessonClaims, CapacityDropsTokensAtNoClearLossCost) {
    double sum_gap = 0.0;
    for (int seed : {1, 2, 3}) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed);
        Pair p = train_lesson("07-capacity.json", 0, seed);
        std::printf("[ measured ] seed %d: dropped share A %.4f, B %.4f\n", seed, p.a.dropped, p.b.dropped);
        EXPECT_GT(p.a.dropped, 0.12) << "the lesson says A drops about 17-19 % at the end";
        EXPECT_LT(p.a.dropped, 0.25);
        EXPECT_LT(p.b.dropped, 0.03) << "the lesson says B drops about 1 %";
        EXPECT_GT(p.a.dropped, 5.0 * p.b.dropped);
        const double gap = p.b.eval->loss - p.a.eval->loss;
        EXPECT_LT(std::abs(gap), 0.09) << "the lesson says the loss is the same within seed noise";
        sum_gap += gap;
    }
    EXPECT_LT(std::abs(sum_gap / 3.0), 0.04) << "mean B - A over seeds 1-3";
}

}  // namespace
}  // namespace moe::ui

