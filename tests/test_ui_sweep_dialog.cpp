// Training > Run seeds...: the dialog trains A and B of a lesson once per seed in a worker thread, its table is
// summary.json's numbers (the paired "B − A" row included), Stop and closing end the sweep early and cleanly, bad input is refused next to its field,
// a run that fails (NaN) is shown as failed while the sweep goes on, and CUDA without a GPU falls back to the CPU.
#include "gpu/device_probe.h"
#include "ui/session/lesson.h"
#include "ui/window/main_window.h"
#include "ui/window/seed_sweep.h"
#include "ui/window/sweep_dialog.h"
#include "ui/window/sweep_runner.h"
#include "ui/window/sweep_table.h"

#include "ui_test_app.h"

#include <QAction>
#include <QCheckBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <memory>

namespace moe::ui {
namespace {

using test::ensure_app;
using test::wait_for;

// Small enough that a run of a few steps takes well under a second; `b` adds keys to model B only.
Lesson sweep_lesson(int steps, const nlohmann::json& b = nlohmann::json::object()) {
    nlohmann::json j = {{"title", "sweep test"},
                        {"label_a", "DeepSeek"},
                        {"label_b", "GShard"},
                        {"model_a", {{"preset", "deepseek"}}},
                        {"model_b", {{"preset", "gshard"}}},
                        {"shared",
                         {{"hidden_size", 32}, {"seq_len", 16}, {"batch_size", 4}, {"corpus_bytes_per_domain", 6000},
                          {"eval_interval", 5}, {"eval_sequences", 2}, {"routing_interval", 5}}},
                        {"steps", steps}};
    for (const auto& [k, v] : b.items()) j["model_b"][k] = v;
    return lesson_from_json(QByteArray::fromStdString(j.dump()), "sweep_test.json");
}

nlohmann::json read_json(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return nlohmann::json::parse(f.readAll().toStdString());
}

int run_folders(const QString& dir) {
    int n = 0;
    for (const QString& sub : QDir(dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        n += QFileInfo::exists(QDir(dir).filePath(sub + "/config.json"));
    return n;
}

double cell_value(const QTableWidget* t, int row, int column) {
    const QTableWidgetItem* item = t->item(row, column);
    return item ? item->data(Qt::UserRole).toDouble() : NAN;
}

class SweepDialogTest : public ::testing::Test {
protected:
    void SetUp() override {
        ensure_app();
        ASSERT_TRUE(tmp_.isValid());
    }
    // Fills the fields and starts; the sweep writes into tmp/<name>.
    void start(SweepDialog& d, const QString& seeds, int steps, const QString& name = "sweep") {
        d.seedsEdit()->setText(seeds);
        d.stepsSpin()->setValue(steps);
        d.folderEdit()->setText(folder(name));
        ASSERT_TRUE(d.canStart()) << d.statusText().toStdString();
        d.start();
        ASSERT_TRUE(d.isRunning()) << d.statusText().toStdString();
    }
    QString folder(const QString& name = "sweep") const { return tmp_.filePath(name); }

    QTemporaryDir tmp_;
};

}  // namespace

TEST_F(SweepDialogTest, RunsToCompletionAndTheTableIsSummaryJson) {
    const Lesson lesson = sweep_lesson(400);
    SweepDialog d(lesson, "cpu");
    EXPECT_EQ(d.seedsEdit()->text(), "1,2,3");  // the defaults
    EXPECT_EQ(d.stepsSpin()->value(), 400);
    EXPECT_TRUE(d.folderEdit()->text().contains("moelab-sweeps")) << d.folderEdit()->text().toStdString();
    start(d, "1,2", 5);
    ASSERT_TRUE(wait_for([&] { return !d.isRunning(); }, 120000));

    EXPECT_TRUE(d.statusText().startsWith("Done: 4 runs")) << d.statusText().toStdString();
    EXPECT_EQ(run_folders(folder()), 4);
    const nlohmann::json summary = read_json(folder() + "/summary.json");
    ASSERT_EQ(summary["configs"].size(), 2u);
    ASSERT_EQ(summary["runs"].size(), 4u);
    const QTableWidget* t = d.table();
    ASSERT_EQ(t->rowCount(), 3);  // A, B and "B − A (paired)"
    EXPECT_EQ(t->columnCount(), kSweepFirstSeed + 2);
    for (int row = 0; row < 2; ++row) {
        const nlohmann::json& c = summary["configs"][row];
        EXPECT_EQ(t->item(row, kSweepLabel)->text().toStdString(), c["label"].get<std::string>());
        EXPECT_EQ(t->item(row, kSweepRuns)->text(), "2");
        EXPECT_EQ(c["runs"].get<int>(), 2);
        EXPECT_NEAR(cell_value(t, row, kSweepMean), c["val_loss_mean"].get<double>(), 1e-9);
        EXPECT_NEAR(cell_value(t, row, kSweepMin), c["val_loss_min"].get<double>(), 1e-9);
        EXPECT_NEAR(cell_value(t, row, kSweepMax), c["val_loss_max"].get<double>(), 1e-9);
        EXPECT_NEAR(cell_value(t, row, kSweepCI), c["ci_low"].get<double>(), 1e-9);
        EXPECT_NEAR(t->item(row, kSweepCI)->data(kSweepHighRole).toDouble(), c["ci_high"].get<double>(), 1e-9);
        EXPECT_TRUE(t->item(row, kSweepMean)->text().contains(QString::fromUtf8("\u00b1")));  // two seeds: an sd
        for (int s = 0; s < 2; ++s)  // runs are in configuration-major, seed-minor order
            EXPECT_NEAR(cell_value(t, row, kSweepFirstSeed + s),
                        summary["runs"][row * 2 + s]["final_val_loss"].get<double>(), 1e-9);
    }
    EXPECT_EQ(t->item(0, kSweepLabel)->text(), "DeepSeek");
    EXPECT_EQ(t->item(1, kSweepLabel)->text(), "GShard");
    // The paired row is summary.json's comparison of B (GShard) with the baseline A (DeepSeek).
    EXPECT_EQ(summary["baseline"], "DeepSeek");
    const nlohmann::json& b = summary["configs"][1];
    EXPECT_EQ(t->item(2, kSweepLabel)->text(), QString::fromUtf8("GShard \u2212 DeepSeek (paired)"));
    EXPECT_EQ(b["n_pairs"].get<int>(), 2);
    EXPECT_NEAR(cell_value(t, 2, kSweepRuns), 2, 0);
    EXPECT_NEAR(cell_value(t, 2, kSweepMean), b["diff_mean"].get<double>(), 1e-9);
    EXPECT_NEAR(cell_value(t, 2, kSweepCI), b["diff_ci_low"].get<double>(), 1e-9);
    EXPECT_NEAR(t->item(2, kSweepCI)->data(kSweepHighRole).toDouble(), b["diff_ci_high"].get<double>(), 1e-9);
    EXPECT_EQ(static_cast<int>(cell_value(t, 2, kSweepVerdict)), b["wins"].get<int>());
    const QString verdict = t->item(2, kSweepVerdict)->text();
    const int wins = b["wins"].get<int>(), losses = b["losses"].get<int>();
    const QString lower = losses > wins ? QString("DeepSeek lower in %1 of 2").arg(losses)
                                        : QString("GShard lower in %1 of 2").arg(wins);
    EXPECT_TRUE(verdict.startsWith(lower)) << verdict.toStdString();
    const bool holds_zero = b["diff_ci_low"].get<double>() <= 0 && b["diff_ci_high"].get<double>() >= 0;
    EXPECT_EQ(verdict.contains("within noise"), holds_zero) << verdict.toStdString();
    for (int s = 0; s < 2; ++s)  // each seed's own difference, B - A
        EXPECT_NEAR(cell_value(t, 2, kSweepFirstSeed + s),
                    summary["runs"][2 + s]["final_val_loss"].get<double>() -
                        summary["runs"][s]["final_val_loss"].get<double>(),
                    1e-9);
    EXPECT_TRUE(d.findChild<QPushButton*>("openFolder")->isEnabled());
    EXPECT_TRUE(d.findChild<QPushButton*>("start")->isEnabled());  // ready for another sweep
    // A folder the user chose stays (only the default is replaced by a fresh one after a sweep).
    EXPECT_EQ(d.folderEdit()->text(), folder());
}

TEST_F(SweepDialogTest, StopEndsTheSweepEarlyWithThrottledProgress) {
    SweepDialog d(sweep_lesson(100000), "cpu");
    auto* runner = d.findChild<SweepRunner*>();
    ASSERT_NE(runner, nullptr);
    int reports = 0;
    QObject::connect(runner, &SweepRunner::progress, &d, [&] { ++reports; });
    QElapsedTimer clock;
    clock.start();
    start(d, "1,2,3", 100000);
    ASSERT_TRUE(wait_for([&] { return d.statusText().contains("step"); }, 60000));
    test::wait_for([] { return false; }, 1000);  // let a thousand-odd tiny steps happen
    d.stop();
    ASSERT_TRUE(wait_for([&] { return !d.isRunning(); }, 60000));
    const double seconds = clock.elapsed() / 1000.0;

    EXPECT_LT(d.runs().size(), 6u);
    ASSERT_FALSE(d.runs().empty());
    EXPECT_EQ(d.runs().back().status, "stopped");
    EXPECT_LT(d.runs().back().outcome.steps, 100000);
    EXPECT_TRUE(d.statusText().startsWith("Stopped after 0 of 6 runs")) << d.statusText().toStdString();
    EXPECT_TRUE(QFileInfo::exists(folder() + "/summary.json"));  // what finished, here nothing, is still written
    EXPECT_GE(reports, 1);
    EXPECT_LE(reports, 20 * seconds + 2) << reports << " progress signals in " << seconds << " s";
}

TEST_F(SweepDialogTest, BadInputIsRefusedNextToItsField) {
    SweepDialog d(sweep_lesson(50), "cpu");
    d.show();
    auto* start_button = d.findChild<QPushButton*>("start");
    auto* seeds_error = d.findChild<QLabel*>("seedsError");
    auto* steps_error = d.findChild<QLabel*>("stepsError");
    ASSERT_TRUE(start_button && seeds_error && steps_error);
    EXPECT_TRUE(start_button->isEnabled());
    EXPECT_FALSE(seeds_error->isVisible());

    for (const char* bad : {"1,x", "-1", "", "1,,2", "1,1", "2.5"}) {
        d.seedsEdit()->setText(bad);
        EXPECT_FALSE(start_button->isEnabled()) << bad;
        EXPECT_TRUE(seeds_error->isVisible()) << bad;
        EXPECT_FALSE(seeds_error->text().isEmpty()) << bad;
    }
    d.seedsEdit()->setText("1,x");
    EXPECT_TRUE(seeds_error->text().contains("\"x\"")) << seeds_error->text().toStdString();
    d.seedsEdit()->setText("-1");
    EXPECT_TRUE(seeds_error->text().contains("negative")) << seeds_error->text().toStdString();

    d.seedsEdit()->setText(" 4, 5 ,6");
    EXPECT_TRUE(start_button->isEnabled());
    EXPECT_FALSE(seeds_error->isVisible());
    EXPECT_EQ(parse_seeds(" 4, 5 ,6"), (std::vector<uint64_t>{4, 5, 6}));

    d.stepsSpin()->setValue(0);
    EXPECT_FALSE(start_button->isEnabled());
    EXPECT_TRUE(steps_error->isVisible());
    d.stepsSpin()->setValue(3);
    EXPECT_TRUE(start_button->isEnabled());
    EXPECT_FALSE(steps_error->isVisible());
}

TEST_F(SweepDialogTest, AFolderThatCannotBeCreatedIsSaidAndNothingStarts) {
    SweepDialog d(sweep_lesson(50), "cpu");
    d.show();
    QFile file(folder("a_file"));
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.close();
    d.folderEdit()->setText(folder("a_file/sweep"));  // a folder inside a file
    ASSERT_TRUE(d.canStart());
    d.start();
    EXPECT_FALSE(d.isRunning());
    auto* error = d.findChild<QLabel*>("folderError");
    EXPECT_TRUE(error->isVisible());
    EXPECT_TRUE(error->text().contains("Cannot create the folder")) << error->text().toStdString();
    EXPECT_TRUE(d.statusText().contains("Nothing was started"));
}

TEST_F(SweepDialogTest, AUsedFolderIsRefusedUnlessReplaceIsTickedAndThenHoldsOnlyTheNewSweep) {
    SweepDialog d(sweep_lesson(50), "cpu");
    d.show();
    start(d, "1,2", 3);
    ASSERT_TRUE(wait_for([&] { return !d.isRunning(); }, 120000));
    ASSERT_EQ(run_folders(folder()), 4);
    auto* error = d.findChild<QLabel*>("folderError");
    ASSERT_NE(error, nullptr);
    ASSERT_NE(d.replaceBox(), nullptr);
    EXPECT_FALSE(d.replaceBox()->isChecked());  // refusing is the default

    // The same folder again, one seed: refused next to the field, nothing deleted or started.
    d.seedsEdit()->setText("7");
    ASSERT_TRUE(d.canStart());
    d.start();
    EXPECT_FALSE(d.isRunning());
    EXPECT_TRUE(error->isVisible());
    EXPECT_TRUE(error->text().contains("not empty")) << error->text().toStdString();
    EXPECT_TRUE(error->text().contains(d.replaceBox()->text())) << error->text().toStdString();
    EXPECT_TRUE(d.statusText().contains("Nothing was started")) << d.statusText().toStdString();
    EXPECT_EQ(run_folders(folder()), 4);

    // Ticked: the earlier sweep goes, and the folder holds the new sweep only (2 runs of seed 7), never a mix.
    d.replaceBox()->setChecked(true);
    d.start();
    ASSERT_TRUE(d.isRunning()) << error->text().toStdString();
    EXPECT_FALSE(d.replaceBox()->isEnabled());  // locked while running, like the other fields
    ASSERT_TRUE(wait_for([&] { return !d.isRunning(); }, 120000));
    EXPECT_TRUE(d.statusText().startsWith("Done: 2 runs")) << d.statusText().toStdString();
    EXPECT_EQ(run_folders(folder()), 2);
    for (const QString& sub : QDir(folder()).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        EXPECT_TRUE(sub.endsWith("_seed7")) << sub.toStdString();
    EXPECT_EQ(read_json(folder() + "/summary.json")["runs"].size(), 2u);

    // A file MoE Lab did not write: refused even when ticked, and the file and the sweep are left alone.
    QFile notes(folder() + "/notes.txt");
    ASSERT_TRUE(notes.open(QIODevice::WriteOnly));
    notes.write("mine");
    notes.close();
    d.start();
    EXPECT_FALSE(d.isRunning());
    EXPECT_TRUE(error->text().contains("notes.txt")) << error->text().toStdString();
    EXPECT_TRUE(QFileInfo::exists(folder() + "/notes.txt"));
    EXPECT_EQ(run_folders(folder()), 2);
}

TEST_F(SweepDialogTest, AFailedRunIsShownAndTheSweepGoesOn) {
    // B's learning rate overflows its weights within a few steps: a TrainingError (NaN) for every seed of B.
    SweepDialog d(sweep_lesson(50, {{"learning_rate", 1e30}, {"grad_clip", 0}, {"warmup_steps", 0}}), "cpu");
    start(d, "1,2", 6);
    ASSERT_TRUE(wait_for([&] { return !d.isRunning(); }, 120000));
    ASSERT_EQ(d.runs().size(), 4u);
    EXPECT_EQ(d.runs()[0].status, "ok");
    EXPECT_EQ(d.runs()[1].status, "ok");
    EXPECT_EQ(d.runs()[2].status.rfind("failed", 0), 0u) << d.runs()[2].status;
    EXPECT_EQ(d.runs()[3].status.rfind("failed", 0), 0u) << d.runs()[3].status;
    const QTableWidget* t = d.table();
    ASSERT_EQ(t->rowCount(), 2);  // no paired row: no seed where both finished
    EXPECT_EQ(t->item(0, kSweepRuns)->text(), "2");
    EXPECT_EQ(t->item(1, kSweepRuns)->text(), "0 of 2");
    EXPECT_EQ(t->item(1, kSweepFirstSeed)->text(), "failed");
    EXPECT_FALSE(t->item(1, kSweepFirstSeed)->toolTip().isEmpty());  // why, from run_sweep
    EXPECT_TRUE(d.statusText().contains("2 failed")) << d.statusText().toStdString();
}

TEST_F(SweepDialogTest, CudaWithoutAGpuTrainsOnTheCpuAndSaysSo) {
    if (gpu::probe_device().usable) GTEST_SKIP() << "a CUDA GPU is usable here: no fallback to see";
    SweepDialog d(sweep_lesson(50), "cuda");
    start(d, "1", 3);
    ASSERT_TRUE(wait_for([&] { return !d.isRunning(); }, 60000));
    ASSERT_EQ(d.runs().size(), 2u);
    EXPECT_EQ(d.runs()[0].status, "ok");
    EXPECT_EQ(d.runs()[0].outcome.device, "CPU");
    EXPECT_TRUE(d.noticeText().contains("CUDA was chosen")) << d.noticeText().toStdString();
    EXPECT_TRUE(d.noticeText().contains("CPU")) << d.noticeText().toStdString();
}

TEST_F(SweepDialogTest, ClosingWhileRunningStopsThenDeletesTheDialog) {
    QPointer<SweepDialog> d = new SweepDialog(sweep_lesson(100000), "cpu");
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->show();
    start(*d, "1,2", 100000);
    ASSERT_TRUE(wait_for([&] { return d->statusText().contains("step"); }, 60000));
    d->close();
    ASSERT_FALSE(d.isNull());  // hidden, not deleted, until the step in flight is done
    EXPECT_FALSE(d->isVisible());
    ASSERT_TRUE(wait_for([&] { return d.isNull(); }, 60000));
    const nlohmann::json summary = read_json(folder() + "/summary.json");
    ASSERT_EQ(summary["runs"].size(), 1u);
    EXPECT_EQ(summary["runs"][0]["status"], "stopped");
}

TEST_F(SweepDialogTest, TheMenuOpensItForTheLessonAndTheWindowClosesMidSweep) {
    auto w = std::make_unique<MainWindow>();
    const Lesson lesson = sweep_lesson(123);
    w->openLesson(lesson);
    QAction* action = nullptr;
    for (QAction* a : w->menuBar()->findChildren<QAction*>())
        if (a->text() == "Run seeds...") action = a;
    ASSERT_NE(action, nullptr);
    action->trigger();
    auto* d = w->findChild<SweepDialog*>();
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->isVisible());
    EXPECT_TRUE(d->windowTitle().contains("sweep test"));
    EXPECT_EQ(d->stepsSpin()->value(), 123);
    start(*d, "1,2", 100000);
    ASSERT_TRUE(wait_for([&] { return d->statusText().contains("step"); }, 60000));
    w.reset();  // the dialog goes with the window: its sweep is stopped and joined, nothing is left running
    const nlohmann::json summary = read_json(folder() + "/summary.json");
    ASSERT_EQ(summary["runs"].size(), 1u);
    EXPECT_EQ(summary["runs"][0]["status"], "stopped");
}

// The table alone, on runs made up here: a clear difference, one within noise, and one seed only.
TEST(SweepTable, PairedRowSaysWhoIsLowerAndWhetherItIsNoise) {
    ensure_app();
    SweepPlan plan;
    plan.seeds = {1, 2, 3};
    plan.configs.resize(3);
    plan.configs[0].label = "A";
    plan.configs[1].label = "B";
    plan.configs[2].label = "C";
    std::vector<SweepRun> runs;
    auto add = [&](size_t config, uint64_t seed, double val) {
        SweepRun r;
        r.config = config, r.seed = seed, r.outcome.final_val_loss = val;
        runs.push_back(r);
    };
    // B - A = {-0.04, -0.05, -0.06}: -0.05 -/+ 4.302653 * 0.01 / sqrt(3) = -0.0748 ... -0.0252, B lower in 3 of 3.
    // C - A = {+0.01, -0.02, +0.02}: the interval holds 0.
    const double a[] = {2.00, 2.10, 1.90};
    for (uint64_t s = 1; s <= 3; ++s) add(0, s, a[s - 1]);
    for (uint64_t s = 1; s <= 3; ++s) add(1, s, a[s - 1] - 0.03 - 0.01 * s);
    const double c_diff[] = {0.01, -0.02, 0.02};
    for (uint64_t s = 1; s <= 3; ++s) add(2, s, a[s - 1] + c_diff[s - 1]);
    QTableWidget t;
    fill_sweep_table(&t, plan, runs);
    ASSERT_EQ(t.rowCount(), 5);
    EXPECT_EQ(t.item(3, kSweepLabel)->text(), QString::fromUtf8("B \u2212 A (paired)"));
    EXPECT_NEAR(cell_value(&t, 3, kSweepMean), -0.05, 1e-12);
    EXPECT_EQ(t.item(3, kSweepMean)->text(), QString::fromUtf8("\u22120.0500"));
    const double half = 4.302653 * 0.01 / std::sqrt(3.0);
    EXPECT_NEAR(cell_value(&t, 3, kSweepCI), -0.05 - half, 1e-6);
    EXPECT_NEAR(t.item(3, kSweepCI)->data(kSweepHighRole).toDouble(), -0.05 + half, 1e-6);
    EXPECT_EQ(t.item(3, kSweepCI)->text(), QString::fromUtf8("\u22120.0748 \u2026 \u22120.0252"));
    EXPECT_EQ(t.item(3, kSweepVerdict)->text(), "B lower in 3 of 3");
    EXPECT_NEAR(cell_value(&t, 3, kSweepFirstSeed + 2), -0.06, 1e-12);
    EXPECT_TRUE(t.item(3, kSweepLabel)->toolTip().contains("95 % CI")) << t.item(3, kSweepLabel)->toolTip().toStdString();
    EXPECT_EQ(t.item(4, kSweepLabel)->text(), QString::fromUtf8("C \u2212 A (paired)"));
    EXPECT_EQ(t.item(4, kSweepVerdict)->text(), "A lower in 2 of 3: within noise");  // C higher in 2 seeds
    EXPECT_EQ(static_cast<int>(cell_value(&t, 4, kSweepVerdict)), 1);                 // C lower in 1
    // The configurations' own rows carry the 95 % interval of their mean: A = {2.0, 2.1, 1.9}, sd 0.1.
    EXPECT_NEAR(cell_value(&t, 0, kSweepCI), 2.0 - 4.302653 * 0.1 / std::sqrt(3.0), 1e-6);

    // One seed of B so far: a difference, but no interval.
    std::vector<SweepRun> early(runs.begin(), runs.begin() + 4);
    fill_sweep_table(&t, plan, early);
    ASSERT_EQ(t.rowCount(), 3);
    EXPECT_TRUE(t.item(2, kSweepVerdict)->text().contains("no interval")) << t.item(2, kSweepVerdict)->text().toStdString();
    EXPECT_EQ(t.item(2, kSweepCI)->text(), QString::fromUtf8("\u2014"));
    EXPECT_EQ(t.item(2, kSweepFirstSeed + 1), nullptr);  // seed 2 of B has not run: no difference
    EXPECT_EQ(t.columnSpan(2, kSweepVerdict), kSweepMax - kSweepMin + 1);
}

TEST(SeedSweep, PlanAndDefaultFolder) {
    const Lesson lesson = sweep_lesson(50);
    const SweepPlan plan = lesson_sweep_plan(lesson, {7, 8}, 12);
    ASSERT_EQ(plan.configs.size(), 2u);
    EXPECT_EQ(plan.runs(), 4u);
    EXPECT_TRUE(plan.axes.empty());
    EXPECT_EQ(plan.configs[0].config.train.steps, 12);
    EXPECT_EQ(plan.configs[1].config.preset, "gshard");
    EXPECT_EQ(plan.baseline, 0u);  // B is compared with A
    // The same configuration twice (a replayed single-model run) is swept once; equal labels are told apart.
    Lesson same = lesson;
    same.model_b = same.model_a;
    same.model_b.train.seed = 99;
    EXPECT_EQ(lesson_sweep_plan(same, {1}, 5).configs.size(), 1u);
    Lesson twins = lesson;
    twins.label_b = twins.label_a;
    const SweepPlan p = lesson_sweep_plan(twins, {1}, 5);
    EXPECT_NE(p.configs[0].label, p.configs[1].label);

    const QString dir = default_sweep_folder("The paper's ladder / 2", QDateTime(QDate(2025, 3, 4), QTime(5, 6, 7)));
    EXPECT_TRUE(dir.endsWith("moelab-sweeps/The-paper-s-ladder-2-20250304-050607")) << dir.toStdString();
}

}  // namespace moe::ui
