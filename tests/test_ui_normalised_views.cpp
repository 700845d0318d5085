// The side-by-side views on one scale, against the neutral level, offscreen: loads are shown relative to the balanced
// load (1 = balanced for 63 fine-grained experts and for 16 coarse ones alike), gate scores relative to the uniform
// score, A and B share one y-axis or colour range, the numbers in the titles are the hand-computed ones, and the
// balance view shows a collapsed router as collapsed when its alpha is 0. Snapshots are made the way the session
// makes them (ModelHistory from routing samples), and a run folder reads the balance curves back.
#include "core/io/atomic_file.h"
#include "core/train/metrics.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"
#include "tests/ui_test_app.h"
#include "ui/session/model_history.h"
#include "ui/session/run_folder.h"
#include "ui/views/aux_loss_view.h"
#include "ui/views/domain_view.h"
#include "ui/views/relative_load.h"
#include "ui/views/routing_view.h"
#include "ui/views/traffic_view.h"
#include "ui/views/training_view.h"
#include "ui/views/utilisation_time_view.h"
#include "ui/views/utilisation_view.h"

#include <qcustomplot.h>

#include <gtest/gtest.h>

#include <QTemporaryDir>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <sstream>

namespace moe::ui {
namespace {

using test::ensure_app;
class NormalisedViewsTest : public ::testing::Test {
protected:
    void SetUp() override { ensure_app(); }
};

// A routing sample of one layer: `load` token-slots per expert from `tokens` tokens, mean gate probabilities `prob`
// (uniform when empty), one domain that sent `load`.
RoutingStats sample(int layer, std::vector<int64_t> load, int64_t tokens, std::vector<double> prob = {}) {
    RoutingStats s;
    s.layer = layer;
    if (prob.empty()) prob.assign(load.size(), 1.0 / double(load.size()));
    s.mean_prob = prob;
    s.domain_load = {load};
    s.load = std::move(load);
    s.tokens = tokens;
    return s;
}

ModelConfig moe_config(int n_routed, int n_shared, int top_k, double alpha) {
    ModelConfig c;
    c.n_routed_experts = n_routed;
    c.n_shared_experts = n_shared;
    c.num_experts_per_tok = top_k;
    c.aux_loss_alpha = alpha;
    return c;
}

// What the live session shows after `steps` steps that each route like `samples` (one per MoE layer); the loss added
// per step is alpha times the sum of the layers' statistics, as the trainer adds it.
ModelSnapshot model_of(const ModelConfig& config, const std::vector<RoutingStats>& samples, int steps,
                       const QString& label) {
    ModelHistory history(config);
    for (int step = 1; step <= steps; ++step) {
        StepMetrics m;
        m.step = step;
        m.loss = 5.0 - 0.01 * step;
        for (const RoutingStats& s : samples) {
            m.balance.push_back(balance_of(s));
            m.aux_loss += config.aux_loss_alpha * m.balance.back().balance_statistic;
        }
        m.routing = samples;
        history.add_step(m);
    }
    ModelSnapshot ms;
    ms.label = label;
    ms.config.model = config;
    history.fill(ms);
    return ms;
}

SnapshotPtr snapshot_of(ModelSnapshot a, ModelSnapshot b, uint64_t serial = 1) {
    auto s = std::make_shared<Snapshot>();
    s->serial = serial;
    s->step = 20;
    s->models = {std::move(a), std::move(b)};
    return s;
}

// A = 1 shared + top-7 of 63 routed experts, B = top-2 of 16 (the ladder lesson's sizes); both perfectly balanced:
// 90 tokens x 7 slots = 10 per expert of A, 96 x 2 = 12 per expert of B.
SnapshotPtr balanced_ladder() {
    return snapshot_of(model_of(moe_config(63, 1, 7, 0.01), {sample(0, std::vector<int64_t>(63, 10), 90)}, 5, "fine"),
                       model_of(moe_config(16, 0, 2, 0.01), {sample(0, std::vector<int64_t>(16, 12), 96)}, 5, "coarse"));
}

TEST_F(NormalisedViewsTest, BalancedLoadReadsOneForSixtyThreeAndForSixteenExperts) {
    UtilisationView view;
    view.setSnapshot(balanced_ladder());
    for (int m = 0; m < 2; ++m) {
        SCOPED_TRACE(m);
        const std::vector<double> shown = view.shownLoads(m);
        ASSERT_EQ(shown.size(), m == 0 ? 63u : 16u);
        for (double v : shown) EXPECT_NEAR(v, 1.0, 1e-12);
        EXPECT_TRUE(view.panelTitle(m).contains("MaxVio 0.00 · 0 dead of")) << view.panelTitle(m).toStdString();
    }
    // Raw shares would be 1/63 and 1/16: with relative loads A's and B's bars stand at the same height, on one axis.
    EXPECT_EQ(view.yRange(0), view.yRange(1));
    EXPECT_GT(view.yRange(0).second, 1.0);
}

TEST_F(NormalisedViewsTest, RelativeLoadsAndMaxVioAreTheHandComputedOnes) {
    // B: 8 tokens x top-2 = 16 slots over 16 experts, so the balanced load is 1 slot and relative load = load.
    const std::vector<int64_t> b_load = {4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    // A: 90 x 7 = 630 slots over 63 experts (10 each when balanced): expert 0 takes 20 (2x), expert 1 none, expert 2
    // takes the other 10 back (20 then), the rest 10.
    std::vector<int64_t> a_load(63, 10);
    a_load[0] = 20;
    a_load[1] = 0;
    UtilisationView view;
    view.setSnapshot(snapshot_of(model_of(moe_config(63, 1, 7, 0.01), {sample(0, a_load, 90)}, 3, "fine"),
                                 model_of(moe_config(16, 0, 2, 0.01), {sample(0, b_load, 8)}, 3, "coarse")));
    const std::vector<double> a = view.shownLoads(0), b = view.shownLoads(1);
    ASSERT_EQ(a.size(), 63u);
    ASSERT_EQ(b.size(), 16u);
    EXPECT_NEAR(a[0], 2.0, 1e-12);
    EXPECT_EQ(a[1], 0.0);
    EXPECT_NEAR(a[5], 1.0, 1e-12);
    for (std::size_t e = 0; e < 16; ++e) EXPECT_DOUBLE_EQ(b[e], double(b_load[e])) << e;
    EXPECT_TRUE(view.panelTitle(0).contains("MaxVio 1.00 · 1 dead of 63")) << view.panelTitle(0).toStdString();
    EXPECT_TRUE(view.panelTitle(1).contains("MaxVio 3.00 · 5 dead of 16")) << view.panelTitle(1).toStdString();
    // One y-axis, tall enough for B's 4x expert.
    EXPECT_EQ(view.yRange(0), view.yRange(1));
    EXPECT_GE(view.yRange(0).second, 4.0);
}

TEST_F(NormalisedViewsTest, LoadOverTimeIsRelativeOnOneColourScale) {
    std::vector<int64_t> a_load(63, 10);
    a_load[3] = 40;  // 4x
    a_load[4] = 0;
    a_load[5] = 0;
    a_load[6] = 0;  // the 30 slots expert 3 took over from 4, 5, 6
    UtilisationTimeView view;
    view.setSnapshot(snapshot_of(model_of(moe_config(63, 1, 7, 0.01), {sample(0, a_load, 90)}, 4, "fine"),
                                 model_of(moe_config(16, 0, 2, 0.01), {sample(0, std::vector<int64_t>(16, 12), 96)}, 4,
                                          "coarse")));
    EXPECT_EQ(view.colourRange(0), view.colourRange(1));
    EXPECT_GE(view.colourRange(0).second, 4.0);
    QCPColorMapData* a = view.colourMap(0)->data();
    QCPColorMapData* b = view.colourMap(1)->data();
    ASSERT_EQ(a->valueSize(), 63);
    ASSERT_EQ(b->valueSize(), 16);
    EXPECT_NEAR(a->cell(0, 3), 4.0, 1e-12);
    EXPECT_EQ(a->cell(0, 4), 0.0);
    EXPECT_NEAR(a->cell(0, 0), 1.0, 1e-12);
    EXPECT_NEAR(b->cell(0, 7), 1.0, 1e-12);
    // The neutral level is the white middle of the diverging map, in both panels.
    const QColor white = view.colourMap(1)->gradient().color(1.0, QCPRange(view.colourRange(1).first,
                                                                           view.colourRange(1).second));
    EXPECT_GT(white.red(), 235);
    EXPECT_GT(white.green(), 235);
    EXPECT_GT(white.blue(), 235);
}

TEST_F(NormalisedViewsTest, DomainMapIsLoadOverTheDomainsBalancedLoadWithALogOption) {
    // A's only domain sends 64 slots to expert 5 and 1 to each other expert: 126 slots, 2 per expert when even, so
    // expert 5 reads 32 and the others 0.5. B's domain spreads evenly: 1 everywhere.
    std::vector<int64_t> a_load(63, 1);
    a_load[5] = 64;
    DomainView view;
    view.setSnapshot(snapshot_of(model_of(moe_config(63, 1, 7, 0.01), {sample(0, a_load, 18)}, 1, "fine"),
                                 model_of(moe_config(16, 0, 2, 0.01), {sample(0, std::vector<int64_t>(16, 3), 24)}, 1,
                                          "coarse")));
    ASSERT_EQ(view.colourMap(0)->data()->keySize(), 63);
    EXPECT_DOUBLE_EQ(view.colourMap(0)->data()->cell(5, 0), 32.0);
    EXPECT_DOUBLE_EQ(view.colourMap(0)->data()->cell(0, 0), 0.5);
    EXPECT_DOUBLE_EQ(view.colourMap(1)->data()->cell(9, 0), 1.0);
    EXPECT_EQ(view.colourRange(0), view.colourRange(1)) << "one colour scale for A and B";
    EXPECT_GE(view.colourRange(0).second, 32.0);

    view.setColourScale(HeatmapView::ColourScale::Log);
    const auto [lower, upper] = view.colourRange(0);
    EXPECT_EQ(view.colourRange(1), view.colourRange(0));
    EXPECT_DOUBLE_EQ(upper, 8.0) << "32 is past the widest log range, 1/8 .. 8";
    EXPECT_DOUBLE_EQ(lower * upper, 1.0) << "symmetric about 1 on the log scale";
    EXPECT_EQ(view.colourTicks(0), (QStringList{"1/8", "1/4", "1/2", "1", "2", "4", "≥ 8"}));
    EXPECT_DOUBLE_EQ(view.colourMap(0)->data()->cell(5, 0), 8.0) << "clamped to the end colour";
    EXPECT_DOUBLE_EQ(view.colourMap(0)->data()->cell(0, 0), 0.5);

    // Milder loads get a narrower range (the smallest power of 2 that holds them), and no end label claims more.
    std::vector<int64_t> mild(16, 4);
    mild[0] = 7;
    mild[1] = 1;
    view.setSnapshot(snapshot_of(model_of(moe_config(16, 0, 2, 0.01), {sample(0, mild, 32)}, 1, "mild"),
                                 model_of(moe_config(16, 0, 2, 0.01), {sample(0, std::vector<int64_t>(16, 4), 32)}, 1,
                                          "even"),
                                 2));
    EXPECT_EQ(view.colourRange(0), std::make_pair(0.25, 4.0)) << "1.75 and 0.25 need 1/4 .. 4";
    EXPECT_EQ(view.colourTicks(1), (QStringList{"1/4", "1/2", "1", "2", "4"}));
}

TEST_F(NormalisedViewsTest, RoutingColoursAreScoresOverTheUniformScore) {
    // Token 0: no preference (1/N_r everywhere: 1 after scaling); token 1: half its probability on one expert.
    auto probe = [](int n, int favourite) {
        ProbeLayer p;
        std::vector<float> uniform(std::size_t(n), 1.0f / float(n));
        std::vector<float> peaked(std::size_t(n), 0.5f / float(n - 1));
        peaked[std::size_t(favourite)] = 0.5f;
        p.scores = {uniform, peaked};
        p.topk_idx = {{0}, {favourite}};
        p.topk_weight = {{1.0f}, {1.0f}};
        p.shared_share = {0, 0};
        return p;
    };
    ModelSnapshot a = model_of(moe_config(63, 1, 7, 0.01), {sample(0, std::vector<int64_t>(63, 10), 90)}, 1, "fine");
    ModelSnapshot b = model_of(moe_config(16, 0, 2, 0.01), {sample(0, std::vector<int64_t>(16, 12), 96)}, 1, "coarse");
    a.probe = {probe(63, 7)};
    b.probe = {probe(16, 2)};
    a.probe_text = b.probe_text = "ab";
    RoutingView view;
    view.setSnapshot(snapshot_of(a, b));
    EXPECT_EQ(view.colourScale(), HeatmapView::ColourScale::Log) << "log by default, centred at 1";
    EXPECT_EQ(view.colourRange(0), view.colourRange(1));
    const auto [lower, upper] = view.colourRange(0);
    EXPECT_DOUBLE_EQ(lower * upper, 1.0);
    EXPECT_DOUBLE_EQ(upper, 8.0) << "the widest log range: A's favourite, s = 0.5, is 31.5 x uniform";
    for (int e : {0, 30, 62}) EXPECT_NEAR(view.shownValue(0, 0, e), 1.0, 1e-5) << "uniform over 63 reads 1";
    for (int e : {0, 15}) EXPECT_NEAR(view.shownValue(1, 0, e), 1.0, 1e-5) << "uniform over 16 reads 1";
    EXPECT_EQ(view.shownValue(0, 1, 7), 8.0) << "31.5 keeps the end colour";
    EXPECT_NEAR(view.shownValue(1, 1, 2), 0.5 * 16, 1e-5);
    EXPECT_NEAR(view.shownValue(1, 1, 0), 0.5 / 15 * 16, 1e-5);
    // On the linear scale the value is s x N_r unclamped, and 1 is white.
    view.setColourScale(HeatmapView::ColourScale::Linear);
    EXPECT_NEAR(view.shownValue(0, 1, 7), 0.5 * 63, 1e-4);
    EXPECT_GE(view.colourRange(0).second, 0.5 * 63);
    EXPECT_NEAR(view.shownValue(0, 1, 0), 0.5 / 62 * 63, 1e-5);
    const QColor white = view.colourMap(0)->gradient().color(1.0, QCPRange(view.colourRange(0).first,
                                                                           view.colourRange(0).second));
    EXPECT_GT(white.red() + white.green() + white.blue(), 3 * 235);
}

// A model on `devices` devices whose layer 0 matrix has cells `scale` x (src + dst) off the diagonal and whose device
// loads are 100, 100, ... with the last device at `last_load`.
ModelSnapshot device_model(int devices, double scale, double last_load) {
    ModelSnapshot ms;
    ms.devices = devices;
    ms.config.model.devices = devices;
    LayerSnapshot l;
    l.n_routed = 8;
    l.top_k = 2;
    l.traffic.assign(std::size_t(devices), std::vector<double>(std::size_t(devices), 0.0));
    for (int s = 0; s < devices; ++s)
        for (int d = 0; d < devices; ++d)
            if (s != d) l.traffic[std::size_t(s)][std::size_t(d)] = scale * (s + d);
    l.device_load.assign(std::size_t(devices), 100.0);
    l.device_load.back() = last_load;
    ms.layers = {l};
    return ms;
}

TEST_F(NormalisedViewsTest, TrafficMatricesShareOneColourScaleAndDeviceLoadsAreRelative) {
    // A sends 60 % less than B: on one colour scale its matrix must look paler, not the same.
    TrafficView view;
    view.setSnapshot(snapshot_of(device_model(4, 4.0, 300), device_model(4, 10.0, 100)));
    EXPECT_EQ(view.colourRange(0), view.colourRange(1));
    EXPECT_DOUBLE_EQ(view.colourRange(0).second, 10.0 * (3 + 2)) << "B's largest cell";
    // A's device loads 100, 100, 100, 300: mean 150, so 2/3, 2/3, 2/3, 2; device MaxVio 1.
    const std::vector<double> a = view.shownLoads(0);
    ASSERT_EQ(a.size(), 4u);
    EXPECT_DOUBLE_EQ(a[0], 100.0 / 150.0);
    EXPECT_DOUBLE_EQ(a[3], 2.0);
    for (double v : view.shownLoads(1)) EXPECT_DOUBLE_EQ(v, 1.0);
    EXPECT_TRUE(view.panelTitle(0).contains("device MaxVio 1.00")) << view.panelTitle(0).toStdString();
    EXPECT_TRUE(view.panelTitle(1).contains("device MaxVio 0.00")) << view.panelTitle(1).toStdString();
    EXPECT_EQ(view.loadAxisTop(0), view.loadAxisTop(1));
    EXPECT_GE(view.loadAxisTop(0), 2.0);
}

TEST_F(NormalisedViewsTest, ACollapsedRouterLooksCollapsedAtAlphaZero) {
    // A: 16 experts, top-1, alpha = 0, every token on expert 0 (gate probability 1 there): MaxVio = N_r - 1 = 15 and
    // N_r sum_i f_i P_i = 16, while the loss added is 0. B: balanced, alpha = 0.01: statistic 1, MaxVio 0.
    std::vector<int64_t> collapsed(16, 0);
    collapsed[0] = 64;
    std::vector<double> prob(16, 0.0);
    prob[0] = 1.0;
    const ModelSnapshot a = model_of(moe_config(16, 0, 1, 0.0), {sample(0, collapsed, 64, prob), sample(1, collapsed, 64, prob)},
                                     20, "alpha 0");
    const ModelSnapshot b = model_of(moe_config(16, 0, 2, 0.01),
                                     {sample(0, std::vector<int64_t>(16, 8), 64), sample(1, std::vector<int64_t>(16, 8), 64)},
                                     20, "alpha 0.01");
    ASSERT_EQ(a.max_violation.y.size(), 20u);
    ASSERT_EQ(a.balance_statistic.y.size(), 20u);
    AuxLossView view;
    view.setSnapshot(snapshot_of(a, b));
    const std::vector<double> vio = view.shownValues("A MaxVio"), stat = view.shownValues("A N_r·Σ f_i P_i");
    const std::vector<double> added = view.shownValues("A loss added");
    ASSERT_EQ(vio.size(), 20u);
    ASSERT_EQ(stat.size(), 20u);
    ASSERT_EQ(added.size(), 20u);
    for (double v : vio) EXPECT_DOUBLE_EQ(v, 15.0);
    for (double v : stat) EXPECT_DOUBLE_EQ(v, 16.0);
    for (double v : added) EXPECT_EQ(v, 0.0) << "alpha 0: nothing added to the loss";
    for (double v : view.shownValues("B N_r·Σ f_i P_i")) EXPECT_DOUBLE_EQ(v, 1.0);
    for (double v : view.shownValues("B MaxVio")) EXPECT_DOUBLE_EQ(v, 0.0);
    for (double v : view.shownValues("B loss added")) EXPECT_NEAR(v, 0.02, 1e-12) << "2 layers x alpha 0.01 x 1";
    // The balanced levels are drawn, and the panels hold A's collapse.
    EXPECT_EQ(view.shownValues("balanced (1 and 0)"), (std::vector<double>{1.0, 1.0}));
    EXPECT_EQ(view.shownValues("balanced MaxVio"), (std::vector<double>{0.0, 0.0}));
    EXPECT_GE(view.yRange(AuxLossView::Statistic).second, 16.0);
    EXPECT_LE(view.yRange(AuxLossView::Statistic).first, 1.0);
    EXPECT_GE(view.yRange(AuxLossView::MaxViolation).second, 15.0);
    const QString heading = view.headingText();
    EXPECT_TRUE(heading.contains("N_r·Σ f_i P_i 16.00 · MaxVio 15.00 · loss added 0.0000 (alpha 0)"))
        << heading.toStdString();
    EXPECT_TRUE(heading.contains("N_r·Σ f_i P_i 1.00 · MaxVio 0.00 · loss added 0.0200 (alpha 0.01)"))
        << heading.toStdString();
}

// The utilisation bars average the last kUtilisationWindow routing samples (they flickered with every batch): token-
// slots summed over the window, an expert dead only when it got no token in all of them, the window's size in the
// title; older samples drop out.
TEST_F(NormalisedViewsTest, UtilisationBarsAverageTheLastRoutingSamples) {
    ModelHistory history(moe_config(4, 0, 1, 0.01));
    auto step = [&](int s, std::vector<int64_t> load) {
        StepMetrics m;
        m.step = s;
        m.routing = {sample(0, std::move(load), 8)};
        m.balance = {balance_of(m.routing[0])};
        history.add_step(m);
    };
    // Alternating batches: experts 0 and 1, then 2 and 3. Expert 3 is dead in the first kind only.
    for (int s = 1; s <= kUtilisationWindow; ++s)
        step(s, s % 2 ? std::vector<int64_t>{6, 2, 0, 0} : std::vector<int64_t>{0, 0, 4, 4});
    ModelSnapshot ms;
    ms.config.model = moe_config(4, 0, 1, 0.01);
    history.fill(ms);
    ASSERT_EQ(ms.layers.size(), 1u);
    const LayerSnapshot& l = ms.layers[0];
    EXPECT_EQ(l.window_samples, kUtilisationWindow);
    // Per pair of samples: 6, 2, 4, 4 of 16 token-slots.
    EXPECT_EQ(l.window_load_fraction, (std::vector<double>{6 / 16.0, 2 / 16.0, 4 / 16.0, 4 / 16.0}));
    EXPECT_EQ(l.load_fraction, (std::vector<double>{0, 0, 0.5, 0.5})) << "the latest sample alone";
    UtilisationView view;
    view.setSnapshot(snapshot_of(ms, ms));
    EXPECT_EQ(view.shownLoads(0), (std::vector<double>{1.5, 0.5, 1.0, 1.0}));
    EXPECT_TRUE(view.panelTitle(0).contains("0 dead of 4")) << view.panelTitle(0).toStdString();
    EXPECT_TRUE(view.panelTitle(0).contains(QString("last %1 samples").arg(kUtilisationWindow)));
    // A window later, only the new kind of batch is in it: experts 0 and 1 are dead.
    for (int s = kUtilisationWindow + 1; s <= 2 * kUtilisationWindow; ++s) step(s, {0, 0, 4, 4});
    history.fill(ms);
    view.setSnapshot(snapshot_of(ms, ms, 2));
    EXPECT_EQ(view.shownLoads(0), (std::vector<double>{0, 0, 2, 2}));
    EXPECT_TRUE(view.panelTitle(0).contains("2 dead of 4")) << view.panelTitle(0).toStdString();
}

// The Training tab's router measures against their baselines, for 63 and 16 experts alike: the routing entropy over
// ln N_r (1 = a uniform gate) and the share of dead experts (0 = none); accuracy against chance.
TEST_F(NormalisedViewsTest, TrainingCurvesAreEntropyOverItsMaximumAndTheShareOfDeadExperts) {
    // A: 16 experts, every token certain of expert 0 (entropy 0), 15 of 16 dead in both layers. B: 63 experts, a
    // uniform gate (entropy ln 63) in layer 0 and half of it in layer 1; 3 experts dead in layer 1 only.
    std::vector<int64_t> collapsed(16, 0);
    collapsed[0] = 64;
    RoutingStats a0 = sample(0, collapsed, 64), a1 = sample(1, collapsed, 64);
    std::vector<int64_t> spread(63, 2), holes(63, 2);
    holes[3] = holes[9] = holes[40] = 0;
    RoutingStats b0 = sample(0, spread, 63), b1 = sample(1, holes, 63);
    b0.entropy = std::log(63.0);
    b1.entropy = 0.5 * std::log(63.0);
    const ModelSnapshot a = model_of(moe_config(16, 0, 1, 0.0), {a0, a1}, 6, "collapsed");
    const ModelSnapshot b = model_of(moe_config(63, 1, 2, 0.01), {b0, b1}, 6, "spread");
    TrainingView view;
    view.setSmoothing(0);
    view.setSnapshot(snapshot_of(a, b));
    view.setMeasure(TrainingView::Measure::Entropy);
    ASSERT_EQ(view.shownValues("A routing entropy / ln N_r").size(), 6u);
    for (double v : view.shownValues("A routing entropy / ln N_r")) EXPECT_DOUBLE_EQ(v, 0.0);
    const std::vector<double> b_entropy = view.shownValues("B routing entropy / ln N_r");
    ASSERT_EQ(b_entropy.size(), 6u);
    for (double v : b_entropy) EXPECT_NEAR(v, 0.75, 1e-12) << "mean of 1 and 0.5";
    EXPECT_EQ(view.shownValues("uniform gate (1)"), (std::vector<double>{1.0, 1.0}));
    view.setMeasure(TrainingView::Measure::Dead);
    ASSERT_EQ(view.shownValues("A dead experts (share of N_r)").size(), 6u);
    for (double v : view.shownValues("A dead experts (share of N_r)")) EXPECT_DOUBLE_EQ(v, 15.0 / 16.0);
    for (double v : view.shownValues("B dead experts (share of N_r)")) EXPECT_NEAR(v, 1.5 / 63.0, 1e-12);
    EXPECT_EQ(view.shownValues("none dead (0)"), (std::vector<double>{0.0, 0.0}));
    view.setMeasure(TrainingView::Measure::Accuracy);
    EXPECT_EQ(view.shownValues("chance"), (std::vector<double>{1.0 / 256, 1.0 / 256})) << "bytes: 1 in 256";
    const auto rows = view.csv().split('\n', Qt::SkipEmptyParts);
    EXPECT_EQ(rows.filter(",A,dead_share,").size(), 6);
}

// metrics.csv without the named columns (a run folder from before they were written).
void drop_columns(const std::filesystem::path& file, const std::vector<std::string>& suffixes) {
    std::istringstream in(read_file(file));
    std::string line, out;
    std::vector<bool> keep;
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::stringstream ss(line);
        for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
        if (!line.empty() && line.back() == ',') cells.emplace_back();
        if (keep.empty())
            for (const std::string& name : cells) {
                bool drop = false;
                for (const std::string& s : suffixes)
                    drop = drop || (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
                                    name.find("_val_") == std::string::npos);
                keep.push_back(!drop);
            }
        std::string row;
        for (std::size_t i = 0; i < cells.size(); ++i)
            if (keep[i]) row += (row.empty() ? "" : ",") + cells[i];
        out += row + "\n";
    }
    write_file_atomic(file, out);
}

TEST_F(NormalisedViewsTest, RunFolderReadsTheBalanceCurvesAndOlderFoldersDeriveMaxVio) {
    const Config config = resolve_config(
        "seed-default", "",
        {"hidden_size=32", "num_attention_heads=2", "ffn_base_width=32", "seq_len=32", "batch_size=4", "steps=6",
         "eval_interval=3", "corpus_bytes_per_domain=6000", "routing_interval=5"});
    QTemporaryDir tmp;
    ASSERT_TRUE(tmp.isValid());
    ModelSnapshot live;
    {
        Trainer trainer(config);
        RunWriter writer(tmp.path().toStdString(), config, trainer.dataset().domain_names());
        ModelHistory history(config.model);
        for (int s = 0; s < config.train.steps; ++s) {
            const StepMetrics m = trainer.train_step();
            writer.add(m);
            history.add_step(m);
        }
        writer.flush();
        history.fill(live);
    }
    ASSERT_EQ(live.balance_statistic.y.size(), 6u);
    for (double v : live.balance_statistic.y) EXPECT_GT(v, 0.5);
    const ModelSnapshot read = load_run_folder(tmp.path()).snapshot;
    EXPECT_EQ(read.balance_statistic.x, live.balance_statistic.x);
    ASSERT_EQ(read.balance_statistic.y.size(), 6u);
    ASSERT_EQ(read.max_violation.y.size(), 6u);
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_DOUBLE_EQ(read.balance_statistic.y[i], live.balance_statistic.y[i]);
        EXPECT_DOUBLE_EQ(read.max_violation.y[i], live.max_violation.y[i]);
    }

    // An older folder: no such columns. MaxVio comes from max/mean - 1; the statistic is not made up.
    drop_columns(std::filesystem::path(tmp.path().toStdString()) / "metrics.csv", {"_max_violation", "_balance_statistic"});
    const ModelSnapshot old = load_run_folder(tmp.path()).snapshot;
    EXPECT_TRUE(old.balance_statistic.y.empty());
    ASSERT_EQ(old.max_violation.y.size(), 6u);
    for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(old.max_violation.y[i], live.max_violation.y[i], 1e-12);
}

}  // namespace
}  // namespace moe::ui
