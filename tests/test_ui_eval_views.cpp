// The views of the fixed-validation-set evaluation, offscreen: the score board's A, B and B − A numbers, the loss
// view's B − A mode (paired by step, per domain, with a zero line), the specialisation view (A and B on one axis,
// the latest numbers beside the curves) and the co-activation view (one colour scale [0, 1] for both models).
#include "core/config.h"
#include "core/error.h"
#include "core/moe/routing_measures.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"
#include "ui/session/model_history.h"
#include "ui/session/run_folder.h"
#include "ui/session/eval_history.h"
#include "ui/views/coactivation_view.h"
#include "ui/views/loss_view.h"
#include "ui/views/specialisation_view.h"
#include "ui/window/score_board.h"
#include "tests/ui_test_app.h"

#include <qcustomplot.h>

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <cmath>
#include <memory>

namespace moe::ui {
namespace {

// Two models evaluated at steps 50 and 100 on three domains; model m's numbers are offset by m so that B − A is
// known exactly.
SnapshotPtr evaluated_snapshot() {
    auto s = std::make_shared<Snapshot>();
    s->step = 100;
    const int n_routed[2] = {8, 4};
    const int top_k[2] = {2, 2};
    for (int m = 0; m < 2; ++m) {
        ModelSnapshot& ms = s->models[std::size_t(m)];
        ms.label = m == 0 ? "fine" : "coarse";
        ms.config.train.eval_interval = 50;
        ms.domain_names = {"prose", "code", "dna"};
        for (int step = 1; step <= 100; ++step) {
            ms.loss.x.push_back(step);
            ms.loss.y.push_back(3.0 - 0.01 * step + 0.2 * m);
        }
        LayerSnapshot ls;
        ls.layer = 0;
        ls.n_routed = n_routed[m];
        ls.top_k = top_k[m];
        ms.layers.push_back(ls);
        EvalHistory h;
        for (int step : {50, 100}) {
            Evaluation e;
            e.tokens = 600;
            e.loss = 2.0 - step / 100.0 + 0.1 * m;
            e.accuracy = 0.3 + step / 1000.0 - 0.05 * m;
            e.domain_loss = {e.loss - 0.2, e.loss, e.loss + 0.2 + 0.1 * m};
            e.domain_tokens = {200, 200, 200};
            LayerEvaluation le;
            le.layer = 0;
            le.load.assign(std::size_t(n_routed[m]), 150);
            le.domain_specialisation = 0.1 * (2 - m) + step / 1000.0;
            le.max_violation = 0.5 * m;
            le.balance_statistic = 1.0 + m;
            le.byte_specialisation = 0.4;
            le.saturation = step == 50 ? NAN : 0.8;
            // Co-activation of a router that always picks experts 2e and 2e + 1 together.
            TokenRouting r;
            r.n_routed = n_routed[m];
            r.top_k = top_k[m];
            for (int t = 0; t < 8; ++t) {
                const int e0 = 2 * (t % (n_routed[m] / 2));
                r.topk.push_back(e0);
                r.topk.push_back(e0 + 1);
                r.domain.push_back(int16_t(t % 3));
                r.byte.push_back(65);
            }
            le.coactivation = coactivation(r);
            e.layers.push_back(le);
            e.routing.push_back(r);
            h.add(step, e);
            ms.val_loss.x.push_back(step);
            ms.val_loss.y.push_back(e.loss);
        }
        h.fill(ms.eval);
    }
    return s;
}

TEST(ScoreBoard, ShowsEachModelsNumbersAndTheDifference) {
    test::ensure_app();
    ScoreBoard board;
    board.setSnapshot(evaluated_snapshot());
    // Validation at step 100: A 1.0, B 1.1; accuracy A 40 %, B 35 %.
    EXPECT_EQ(board.cell(0, 1), "1.000");
    EXPECT_EQ(board.cell(1, 1), "1.100");
    EXPECT_EQ(board.cell(2, 1), "+0.100");
    EXPECT_EQ(board.cell(0, 2), "40.0 %");
    EXPECT_EQ(board.cell(2, 2), "−5.0 pt");
    // Training loss: the mean of steps 51..100 of 3 - 0.01 step (+ 0.2 for B) = 2.245 and 2.445.
    EXPECT_EQ(board.cell(0, 0), "2.245");
    EXPECT_EQ(board.cell(2, 0), "+0.200");
    EXPECT_TRUE(board.note().contains("step 100")) << board.note().toStdString();
    EXPECT_TRUE(board.note().contains("600 tokens")) << board.note().toStdString();
    EXPECT_TRUE(board.note().contains("no interval")) << board.note().toStdString();
}

TEST(ScoreBoard, SaysWhenNothingWasMeasuredYet) {
    test::ensure_app();
    auto s = std::make_shared<Snapshot>();
    s->models[0].config.train.eval_interval = 50;
    ScoreBoard board;
    board.setSnapshot(s);
    EXPECT_EQ(board.cell(0, 1), "–");
    EXPECT_TRUE(board.note().contains("not yet measured")) << board.note().toStdString();
}

TEST(LossView, DifferenceModeDrawsPairedBMinusAPerDomainWithAZeroLine) {
    test::ensure_app();
    LossView view;
    view.resize(900, 500);
    view.setSnapshot(evaluated_snapshot());
    view.setDifferenceMode(true);
    const std::vector<double> total = view.shownValues("B − A, all domains");
    ASSERT_EQ(total.size(), 2u);
    EXPECT_NEAR(total[0], 0.1, 1e-12);
    EXPECT_NEAR(total[1], 0.1, 1e-12);
    const std::vector<double> dna = view.shownValues("B − A, dna");
    ASSERT_EQ(dna.size(), 2u);
    EXPECT_NEAR(dna[1], 0.2, 1e-12);  // 0.1 from the total, 0.1 more on dna for B
    const std::vector<double> zero = view.shownValues("zero: no difference");
    ASSERT_EQ(zero.size(), 2u);
    EXPECT_EQ(zero[0], 0.0);
    EXPECT_TRUE(view.csv().startsWith("step,series,b_minus_a_val_loss\n"));
    EXPECT_TRUE(view.csv().contains("100,\"B − A, dna\",0.2")) << view.csv().toStdString();
    view.setDifferenceMode(false);
    EXPECT_EQ(view.shownValues("A validation").size(), 2u);
}

TEST(LossView, PairedDifferenceSkipsStepsOnlyOneModelHas) {
    Series a{{10, 20, 30}, {1, 2, 3}};
    Series b{{20, 30, 40}, {5, 5, 5}};
    const Series d = LossView::paired_difference(a, b);
    EXPECT_EQ(d.x, (std::vector<double>{20, 30}));
    EXPECT_EQ(d.y, (std::vector<double>{3, 2}));
}

TEST(SpecialisationView, DrawsBothModelsOnOneAxisWithTheirLatestNumbers) {
    test::ensure_app();
    SpecialisationView view;
    view.resize(900, 500);
    view.setSnapshot(evaluated_snapshot());
    const std::vector<double> a = view.shownValues("A domain specialisation");
    const std::vector<double> b = view.shownValues("B domain specialisation");
    ASSERT_EQ(a.size(), 2u);
    EXPECT_NEAR(a[1], 0.3, 1e-12);
    EXPECT_NEAR(b[1], 0.2, 1e-12);
    const QString text = view.summaryText();
    EXPECT_TRUE(text.contains("A 0.300")) << text.toStdString();
    EXPECT_TRUE(text.contains("B 0.200")) << text.toStdString();
    EXPECT_TRUE(text.contains("B − A = -0.100")) << text.toStdString();
    // One axis for both: the curves' y range covers both models.
    const QCPRange y = view.plot()->yAxis->range();
    EXPECT_LE(y.lower, 0.0);  // the neutral level 0 of a domain-blind router is drawn too
    EXPECT_GE(y.upper, 0.3);
    view.setMeasure(SpecialisationView::Measure::Saturation);
    // Saturation is NaN at the first evaluation (nothing to compare with): only the second point is drawn.
    EXPECT_EQ(view.shownValues("A router saturation").size(), 1u);
    view.setMeasure(SpecialisationView::Measure::Balance);
    EXPECT_EQ(view.shownValues("neutral level"), (std::vector<double>{1.0, 1.0}));
    EXPECT_TRUE(view.csv().contains("100,B,0,0.5,2,0.2,0.4,0.8")) << view.csv().toStdString();
}

TEST(CoactivationView, SharesOneColourScaleAndMeasuresPairingAgainstChance) {
    test::ensure_app();
    CoactivationView view;
    view.resize(900, 500);
    view.setSnapshot(evaluated_snapshot());
    EXPECT_EQ(view.colourRange(0), view.colourRange(1));
    EXPECT_EQ(view.colourRange(0), (std::pair<double, double>(0.0, 1.0)));
    // Experts 0 and 1 always come together: N(0,1)/N(0) = 1, N(0,2)/N(0) = 0.
    EXPECT_EQ(view.colourMap(0)->data()->cell(1, 0), 1.0);
    EXPECT_EQ(view.colourMap(0)->data()->cell(2, 0), 0.0);
    // A: 8 experts top-2, each always with the same partner: its strongest partner joins every time.
    const SnapshotPtr s = evaluated_snapshot();
    EXPECT_EQ(CoactivationView::top_partner_share(s->models[0].eval.layers[0]), 1.0);
    // Two partners in equal measure: the strongest joins half the time.
    LayerEvalSnapshot two;
    two.n_routed = 3;
    two.top_k = 2;
    two.coactivation = {1, 0.5, 0.5, 1, 1, 0, 1, 0, 1};
    EXPECT_DOUBLE_EQ(CoactivationView::top_partner_share(two), (0.5 + 1 + 1) / 3);
    EXPECT_TRUE(std::isnan(CoactivationView::top_partner_share(LayerEvalSnapshot{})));
    EXPECT_TRUE(view.csv().contains("A,0,0,1,1")) << view.csv().left(200).toStdString();
}

Config tiny_eval_config() {
    return resolve_config("deepseek", "",
                          {"hidden_size=32", "num_attention_heads=2", "ffn_base_width=32", "seq_len=32",
                           "batch_size=4", "steps=6", "eval_interval=3", "eval_sequences=2",
                           "corpus_bytes_per_domain=6000", "routing_interval=3"});
}

// Trains the tiny config into `dir` as a run folder.
void train_run_folder(const QString& dir) {
    const Config config = tiny_eval_config();
    Trainer trainer(config);
    RunWriter writer(dir.toStdString(), config, trainer.dataset().domain_names());
    for (int s = 0; s < config.train.steps; ++s) writer.add(trainer.train_step());
    writer.flush();
}

void append_line(const QString& file, const QByteArray& line) {
    QFile f(file);
    ASSERT_TRUE(f.open(QIODevice::Append));
    f.write(line);
}

TEST(EvalRunFolder, CorruptEvaluationTablesNameTheFileAndLine) {
    struct Case {
        const char* file;
        QByteArray line;
        const char* says;
    };
    const Case cases[] = {
        {"val_routing.csv", "6,0,prose,x,3\n", "is not a number"},
        {"val_routing.csv", "6,0,prose,99,3\n", "expert 99 does not exist"},
        {"val_routing.csv", "6,0,prose\n", "expected 5"},
        {"coactivation.csv", "6,0,70,1,0.5\n", "beyond n_routed_experts"},
        {"coactivation.csv", "6,0.5,1,1,0.5\n", "layer must be a whole number"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(c.file) + ": " + c.line.toStdString());
        QTemporaryDir tmp;
        ASSERT_TRUE(tmp.isValid());
        train_run_folder(tmp.path());
        append_line(QDir(tmp.path()).filePath(c.file), c.line);
        try {
            load_run_folder(tmp.path());
            ADD_FAILURE() << "accepted a corrupt row";
        } catch (const FileError& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find(c.file), std::string::npos) << what;
            EXPECT_NE(what.find("line "), std::string::npos) << what;
            EXPECT_NE(what.find(c.says), std::string::npos) << what;
        }
    }
}

// Trains `config` to its end, writing the run folder `dir` as `moelab-cli train` does; returns what the live session
// would show.
ModelSnapshot record_run(const Config& config, const QString& dir) {
    Trainer trainer(config);
    RunWriter writer(dir.toStdString(), config, trainer.dataset().domain_names());
    ModelHistory live_history(config.model);
    for (int s = 0; s < config.train.steps; ++s) {
        const StepMetrics m = trainer.train_step();
        writer.add(m);
        live_history.add_step(m);
    }
    writer.flush();
    ModelSnapshot live;
    live_history.fill(live);
    return live;
}

// The router z-loss is written per layer and read back to the same curve as the live one, apart from the balance
// loss.
TEST(EvalRunFolder, TheRouterZLossSurvivesTheRunFolder) {
    Config config = tiny_eval_config();
    config.model.router_z_loss_coef = 0.01;
    QTemporaryDir tmp;
    ASSERT_TRUE(tmp.isValid());
    const ModelSnapshot live = record_run(config, tmp.path());
    const ModelSnapshot& read = load_run_folder(tmp.path()).snapshot;
    ASSERT_FALSE(live.z_loss.y.empty());
    EXPECT_GT(live.z_loss.y.back(), 0.0);
    EXPECT_EQ(read.z_loss.x, live.z_loss.x);
    ASSERT_EQ(read.z_loss.y.size(), live.z_loss.y.size());
    for (std::size_t i = 0; i < live.z_loss.y.size(); ++i)
        EXPECT_NEAR(read.z_loss.y[i], live.z_loss.y[i], 1e-12 * live.z_loss.y[i]) << i;
    EXPECT_EQ(read.aux_loss.y, live.aux_loss.y);
}

// noaux_tc's selection bias goes into routing.csv (column selection_bias) and comes back as the same bias-over-time
// rows the live session showed; a greedy run's routing.csv has no such column.
TEST(EvalRunFolder, TheSelectionBiasSurvivesTheRunFolder) {
    Config config = tiny_eval_config();
    config.model.scoring_func = "sigmoid";
    config.model.topk_method = "noaux_tc";
    config.model.bias_update_rate = 0.01;
    QTemporaryDir tmp;
    ASSERT_TRUE(tmp.isValid());
    const ModelSnapshot live = record_run(config, tmp.path());
    const ModelSnapshot& read = load_run_folder(tmp.path()).snapshot;
    ASSERT_FALSE(live.layers.empty());
    double largest = 0;
    ASSERT_EQ(read.layers.size(), live.layers.size());
    for (std::size_t l = 0; l < live.layers.size(); ++l) {
        ASSERT_GE(live.layers[l].bias_rows.size(), 2u);
        EXPECT_EQ(read.layers[l].bias_steps, live.layers[l].bias_steps);
        ASSERT_EQ(read.layers[l].bias_rows.size(), live.layers[l].bias_rows.size());
        for (std::size_t s = 0; s < live.layers[l].bias_rows.size(); ++s) {
            ASSERT_EQ(read.layers[l].bias_rows[s].size(), live.layers[l].bias_rows[s].size());
            for (std::size_t e = 0; e < live.layers[l].bias_rows[s].size(); ++e) {
                EXPECT_NEAR(read.layers[l].bias_rows[s][e], live.layers[l].bias_rows[s][e], 1e-12);
                largest = std::max(largest, std::abs(live.layers[l].bias_rows[s][e]));
            }
        }
    }
    EXPECT_GE(largest, 0.01) << "the bias never moved: the test would not see it lost";
    QTemporaryDir greedy;
    ASSERT_TRUE(greedy.isValid());
    record_run(tiny_eval_config(), greedy.path());
    QFile routing(QDir(greedy.path()).filePath("routing.csv"));
    ASSERT_TRUE(routing.open(QIODevice::ReadOnly));
    EXPECT_FALSE(routing.readLine().contains("selection_bias"));
    EXPECT_TRUE(load_run_folder(greedy.path()).snapshot.layers.front().bias_rows.empty());
}

TEST(EvalRunFolder, ASavedRunShowsTheSameEvaluationsAsTheLiveOne) {
    const Config config = tiny_eval_config();
    QTemporaryDir tmp;
    ASSERT_TRUE(tmp.isValid());
    const ModelSnapshot live = record_run(config, tmp.path());
    const ModelSnapshot& read = load_run_folder(tmp.path()).snapshot;
    ASSERT_EQ(live.eval.last_step, 6);
    EXPECT_EQ(read.eval.last_step, live.eval.last_step);
    EXPECT_EQ(read.eval.loss, live.eval.loss);
    EXPECT_EQ(read.eval.accuracy, live.eval.accuracy);
    EXPECT_EQ(read.eval.domain_loss, live.eval.domain_loss);
    ASSERT_EQ(read.eval.domain_loss_curves.size(), 5u);
    EXPECT_EQ(read.eval.domain_loss_curves[2].y, live.eval.domain_loss_curves[2].y);
    ASSERT_EQ(read.eval.layers.size(), live.eval.layers.size());
    ASSERT_EQ(read.eval.layers.size(), 2u);
    for (std::size_t l = 0; l < live.eval.layers.size(); ++l) {
        const LayerEvalSnapshot& a = live.eval.layers[l];
        const LayerEvalSnapshot& b = read.eval.layers[l];
        EXPECT_EQ(b.domain_specialisation.x, (std::vector<double>{3, 6}));
        EXPECT_EQ(b.domain_specialisation.y, a.domain_specialisation.y);
        EXPECT_EQ(b.max_violation.y, a.max_violation.y);
        EXPECT_EQ(b.byte_specialisation.y, a.byte_specialisation.y);
        EXPECT_EQ(b.saturation.y, a.saturation.y);  // only step 6: the first evaluation has nothing to compare with
        EXPECT_EQ(b.saturation.x, (std::vector<double>{6}));
        EXPECT_EQ(b.domain_load, a.domain_load);
        EXPECT_EQ(b.coactivation, a.coactivation);
        EXPECT_EQ(b.top_expert_relative_load, a.top_expert_relative_load);
        EXPECT_EQ(b.top_k, 7);
        EXPECT_EQ(b.n_routed, 63);
    }
}

}  // namespace
}  // namespace moe::ui
