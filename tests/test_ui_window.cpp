// The main window, offscreen: it builds, trains and shows every view, pauses promptly, exports, opens lessons and run
// folders, refuses impossible settings, and the `moelab --export-dir` mode works as a program.
#include "core/checkpoint.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"
#include "gpu/device_probe.h"
#include "tests/ui_test_app.h"
#include "ui/session/lesson.h"
#include "ui/session/training_session.h"
#include "ui/views/plot_text.h"
#include "ui/views/curve_view.h"
#include "ui/views/heatmap_view.h"
#include "ui/views/plot_view.h"
#include "ui/views/routing_view.h"
#include "ui/views/token_inspector.h"
#include "ui/views/view.h"
#include "ui/views/view_factory.h"
#include "ui/window/controls_panel.h"
#include "ui/window/export.h"
#include "ui/window/headless.h"
#include "ui/window/main_window.h"

#include <qcustomplot.h>

#include <QAction>
#include <QKeySequence>
#include <QApplication>
#include <QDockWidget>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QTabWidget>
#include <QMouseEvent>
#include <QProcess>
#include <QToolButton>
#include <QToolBar>
#include <QTabWidget>
#include <QTabBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QDoubleSpinBox>
#include <QTemporaryDir>
#include <QThread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>

namespace moe::ui {
namespace {

using test::ensure_app;
using test::send_click;
using test::wait_for;

void spin_ms(int ms) { wait_for([] { return false; }, ms); }

nlohmann::json tiny_json(nlohmann::json extra_shared = nlohmann::json::object(), int steps = 400) {
    nlohmann::json j = {{"title", "tiny"},
                        {"text", "A tiny lesson for tests."},
                        {"model_a", {{"preset", "deepseek"}}},
                        {"model_b", {{"preset", "gshard"}}},
                        {"shared",
                         {{"hidden_size", 32}, {"seq_len", 32}, {"batch_size", 4}, {"corpus_bytes_per_domain", 8000},
                          {"eval_interval", 2}, {"eval_sequences", 2}, {"routing_interval", 1}}},
                        {"probe_text", "Hello, experts! 1+1=2"},
                        {"steps", steps}};
    for (const auto& [k, v] : extra_shared.items()) j["shared"][k] = v;
    return j;
}

Lesson tiny_lesson(nlohmann::json extra_shared = nlohmann::json::object(), int steps = 400) {
    return lesson_from_json(QByteArray::fromStdString(tiny_json(extra_shared, steps).dump()), "tiny.json");
}

std::map<QString, QString> csv_of_views(const MainWindow& w) {
    std::map<QString, QString> out;
    for (const View* v : w.views()) out[v->id()] = v->csv();
    return out;
}

// Waits until the window shows a snapshot of the given lesson's model A (stale snapshots of an earlier lesson may
// still be on their way when a new one is opened).
bool wait_configured(MainWindow& w, const Lesson& lesson, int timeout_ms = 60000) {
    const auto want = config_to_json(lesson.model_a);
    return wait_for([&] {
        const SnapshotPtr s = w.latestSnapshot();
        return s && s->step == 0 && config_to_json(s->models[0].config) == want;
    }, timeout_ms);
}

// Steps until the window shows a snapshot of step >= n.
bool step_to(MainWindow& w, int n, int timeout_ms = 60000) {
    const int have = w.latestSnapshot() ? w.latestSnapshot()->step : 0;
    for (int i = have; i < n; ++i) w.step();
    return wait_for([&] { return w.latestSnapshot() && w.latestSnapshot()->step >= n; }, timeout_ms);
}

// Opens the lesson and steps it to step n: the start of most window tests.
bool open_at_step(MainWindow& w, const Lesson& lesson, int n) {
    w.openLesson(lesson);
    return wait_configured(w, lesson) && step_to(w, n);
}

class Window : public ::testing::Test {
protected:
    void SetUp() override { ensure_app(); }
};

// The app built with this test (tests/CMakeLists.txt makes the test depend on it).
QString moelab_binary() { return QStringLiteral(MOELAB_APP_PATH); }

}  // namespace

TEST_F(Window, Builds) {
    MainWindow w;
    ASSERT_FALSE(w.views().empty());
    EXPECT_NE(w.controls(), nullptr);
    EXPECT_NE(w.inspector(), nullptr);
    for (const View* v : w.views()) {
        EXPECT_FALSE(v->id().isEmpty());
        // Every view explains itself under the plot.
        auto* label = w.findChild<QLabel*>("explanation_" + v->id());
        ASSERT_NE(label, nullptr) << v->id().toStdString();
        EXPECT_FALSE(label->text().isEmpty());
    }
    EXPECT_TRUE(w.stepText().startsWith("step 0"));
}

// The Bias tab (noaux_tc's selection bias over time) is there only when a model of the lesson has a bias: with B on
// the deepseek-v3 preset it appears, B's map fills with the bias it routed with (moved by +-gamma per step, so the
// spread grows), and A, routing greedily, says why it has none; back on a lesson without a bias the tab goes.
TEST_F(Window, TheBiasTabShowsOnlyWithABias) {
    MainWindow w;
    w.show();
    nlohmann::json j = tiny_json();
    j["model_b"] = {{"preset", "deepseek-v3"}};
    const Lesson v3 = lesson_from_json(QByteArray::fromStdString(j.dump()), "v3.json");
    ASSERT_TRUE(open_at_step(w, v3, 6));
    auto* tabs = w.findChild<QTabWidget*>();
    ASSERT_NE(tabs, nullptr);
    int index = -1;
    const View* bias_view = nullptr;
    for (int i = 0; i < int(w.views().size()); ++i)
        if (w.views()[std::size_t(i)]->id() == "selection_bias") index = i, bias_view = w.views()[std::size_t(i)];
    ASSERT_GE(index, 0);
    EXPECT_TRUE(tabs->isTabVisible(index));
    // The views follow the step-6 snapshot at the refresh that also sets the step label.
    EXPECT_TRUE(wait_for([&] { return w.stepText().startsWith("step 6 / 400"); }, 5000)) << w.stepText().toStdString();
    EXPECT_TRUE(wait_for([&] { return bias_view->csv().count('\n') > 1; }, 5000));
    EXPECT_TRUE(bias_view->notApplicable().isEmpty());
    const auto* heat = dynamic_cast<const HeatmapView*>(bias_view);
    ASSERT_NE(heat, nullptr);
    EXPECT_TRUE(heat->note(0).contains("greedy")) << heat->note(0).toStdString();
    EXPECT_TRUE(heat->note(1).isEmpty()) << heat->note(1).toStdString();
    // Every B row is a whole number of gamma steps from 0, and after 6 steps some bias has moved.
    double largest = 0;
    const QStringList lines = bias_view->csv().split('\n', Qt::SkipEmptyParts);
    for (int r = 1; r < lines.size(); ++r) {
        const QStringList cells = lines[r].split(',');
        ASSERT_EQ(cells.size(), 5);
        EXPECT_EQ(cells[0], "B");
        const double b = cells[4].toDouble();
        EXPECT_NEAR(b / 0.001, std::round(b / 0.001), 1e-3) << lines[r].toStdString();
        largest = std::max(largest, std::abs(b));
    }
    EXPECT_GE(largest, 0.002);
    w.openLesson(tiny_lesson());
    EXPECT_FALSE(tabs->isTabVisible(index));
}

TEST_F(Window, TrainingChangesEveryView) {
    MainWindow w;
    w.show();
    const auto empty = csv_of_views(w);
    const Lesson lesson = tiny_lesson();
    // The views and the step label follow a snapshot at the next refresh (coalesced into one per turn of the event
    // loop): each reading waits for the label, else a loaded machine reads the views of the step before.
    ASSERT_TRUE(open_at_step(w, lesson, 2));
    EXPECT_TRUE(wait_for([&] { return w.stepText().startsWith("step 2 / 400"); }, 5000)) << w.stepText().toStdString();
    const auto early = csv_of_views(w);
    ASSERT_TRUE(step_to(w, 6));
    EXPECT_TRUE(wait_for([&] { return w.stepText().startsWith("step 6 / 400"); }, 5000)) << w.stepText().toStdString();
    const auto later = csv_of_views(w);
    EXPECT_TRUE(w.lastError().isEmpty()) << w.lastError().toStdString();
    for (const auto& [id, text] : later) {
        if (id == "plane") continue;  // 2-D tasks only: below
        if (id == "probes") continue;  // runs on request only (Run probes): test_ui_probes
        if (id == "selection_bias") continue;  // noaux_tc models only: Window.TheBiasTabShowsOnlyWithABias
        EXPECT_NE(text, empty.at(id)) << id.toStdString() << " shows nothing after training";
        if (id == "accounting") continue;  // parameter counts do not change with training
        EXPECT_NE(text, early.at(id)) << id.toStdString() << " did not change between step 2 and step 6";
    }

    const Lesson plane = tiny_lesson({{"dataset", "spirals"}, {"batch_size", 32}});
    w.openLesson(plane);
    ASSERT_TRUE(wait_configured(w, plane));
    ASSERT_TRUE(step_to(w, 2));
    const QString plane_early = csv_of_views(w).at("plane");
    ASSERT_TRUE(step_to(w, 8));
    const QString plane_later = csv_of_views(w).at("plane");
    EXPECT_NE(plane_later, empty.at("plane"));
    EXPECT_NE(plane_later, plane_early);
    EXPECT_TRUE(w.lastError().isEmpty()) << w.lastError().toStdString();
}

TEST_F(Window, PlayThenPauseStopsWithin100ms) {
    MainWindow w;
    w.show();
    const Lesson lesson = tiny_lesson({}, 100000);
    w.openLesson(lesson);
    ASSERT_TRUE(wait_configured(w, lesson));
    w.play();
    EXPECT_FALSE(w.playAction()->isEnabled());
    EXPECT_TRUE(w.pauseAction()->isEnabled());
    ASSERT_TRUE(wait_for([&] { return w.session()->stepsDone() >= 5; }, 60000));
    w.pause();
    spin_ms(100);
    const int steps = w.session()->stepsDone();
    const QString text = w.stepText();
    spin_ms(300);
    EXPECT_EQ(w.session()->stepsDone(), steps) << "still stepping 100 ms after Pause";
    EXPECT_EQ(w.stepText(), text);
    EXPECT_TRUE(w.playAction()->isEnabled());
    EXPECT_FALSE(w.pauseAction()->isEnabled());
    EXPECT_GE(w.viewRefreshes(), 2u);
}

TEST_F(Window, ExportAllWritesEveryViewAndTheConfigs) {
    MainWindow w;
    w.show();
    const Lesson lesson = tiny_lesson();
    ASSERT_TRUE(open_at_step(w, lesson, 3));
    QTemporaryDir dir;
    QString error;
    ASSERT_TRUE(w.exportAll(dir.filePath("figures"), &error)) << error.toStdString();
    const QDir out(dir.filePath("figures"));
    // The index: every view either exported (with its files) or listed with the reason it does not apply. The tiny
    // lesson trains two language models on one device each: the plane and the traffic do not apply.
    QFile index_file(out.filePath("index.json"));
    ASSERT_TRUE(index_file.open(QIODevice::ReadOnly));
    const nlohmann::json index = nlohmann::json::parse(index_file.readAll().toStdString());
    std::map<std::string, std::string> skipped;
    for (const auto& e : index["not_exported"]) skipped[e["view"].get<std::string>()] = e["reason"].get<std::string>();
    EXPECT_EQ(skipped.size(), 3u);
    EXPECT_NE(skipped["plane"].find("language models"), std::string::npos) << skipped["plane"];
    EXPECT_NE(skipped["selection_bias"].find("noaux_tc"), std::string::npos) << skipped["selection_bias"];
    EXPECT_NE(skipped["traffic"].find("devices"), std::string::npos) << skipped["traffic"];
    EXPECT_EQ(index["exported"].size() + skipped.size(), w.views().size());
    for (const View* v : w.views()) {
        const std::string id = v->id().toStdString();
        if (skipped.count(id)) {
            for (const char* ext : {"png", "svg", "pdf", "csv"})
                EXPECT_FALSE(QFileInfo::exists(out.filePath(v->id() + "." + ext))) << "an empty figure of " << id;
            continue;
        }
        auto read = [&](const char* ext) {
            QFile f(out.filePath(v->id() + "." + ext));
            EXPECT_TRUE(f.open(QIODevice::ReadOnly)) << id << "." << ext;
            return f.readAll();
        };
        const QByteArray png = read("png"), svg = read("svg"), pdf = read("pdf"), csv = read("csv");
        EXPECT_TRUE(png.startsWith("\x89PNG")) << id;
        EXPECT_FALSE(QImage::fromData(png, "PNG").isNull()) << id;
        EXPECT_TRUE(svg.contains("<svg")) << id;
        EXPECT_TRUE(pdf.startsWith("%PDF")) << id;
        EXPECT_GE(csv.count('\n'), 1) << id;
    }
    // One view in one format (the view's Export menu).
    for (const char* ext : {"png", "svg", "pdf", "csv"}) {
        const QString path = dir.filePath(QString("single.") + ext);
        ASSERT_TRUE(export_view_as(*w.views().front(), path, &error)) << error.toStdString();
        EXPECT_GT(QFileInfo(path).size(), 0) << ext;
    }
    EXPECT_FALSE(export_view_as(*w.views().front(), dir.filePath("single.bmp"), &error));
    for (const char* name : {"config_A.json", "config_B.json"}) {
        QFile f(out.filePath(name));
        ASSERT_TRUE(f.open(QIODevice::ReadOnly)) << name;
        const Config c = config_from_json(nlohmann::json::parse(f.readAll().toStdString()));
        EXPECT_EQ(c.model.hidden_size, 32) << name;
    }
    QFile lf(out.filePath("lesson.json"));
    ASSERT_TRUE(lf.open(QIODevice::ReadOnly));
    const Lesson back = lesson_from_json(lf.readAll(), "lesson.json");
    EXPECT_EQ(config_to_json(back.model_a), config_to_json(lesson.model_a));
    EXPECT_EQ(config_to_json(back.model_b), config_to_json(lesson.model_b));
}

TEST_F(Window, EveryBundledLessonOpens) {
    MainWindow w;
    const QStringList lessons = bundled_lessons();
    ASSERT_FALSE(lessons.isEmpty());
    for (const QString& path : lessons) {
        QString error;
        ASSERT_TRUE(w.openLessonFile(path, &error)) << path.toStdString() << ": " << error.toStdString();
        EXPECT_TRUE(wait_configured(w, load_lesson(path), 120000)) << path.toStdString();
        EXPECT_TRUE(w.lastError().isEmpty()) << path.toStdString() << ": " << w.lastError().toStdString();
        EXPECT_TRUE(w.playAction()->isEnabled()) << path.toStdString();
        EXPECT_TRUE(w.controls()->isValid()) << w.controls()->errorText().toStdString();
    }
    QString error;
    EXPECT_FALSE(w.openLessonFile("/nonexistent/lesson.json", &error));
    EXPECT_FALSE(error.isEmpty());
}

TEST_F(Window, ImpossibleSettingsShowTheMessageAndDisablePlay) {
    MainWindow w;
    const Lesson lesson = tiny_lesson();
    w.openLesson(lesson);
    ControlsPanel* c = w.controls();
    ASSERT_TRUE(c->isValid());
    ASSERT_TRUE(w.playAction()->isEnabled());

    auto* top_k = qobject_cast<QSpinBox*>(c->control(0, "num_experts_per_tok"));
    ASSERT_NE(top_k, nullptr);
    top_k->setValue(200);
    EXPECT_FALSE(c->isValid());
    EXPECT_TRUE(c->errorText().contains("num_experts_per_tok")) << c->errorText().toStdString();
    EXPECT_TRUE(c->errorText().startsWith("Model A")) << c->errorText().toStdString();
    EXPECT_EQ(c->errorKey(), "num_experts_per_tok");
    EXPECT_FALSE(top_k->styleSheet().isEmpty()) << "the offending control is highlighted";
    auto* message = c->findChild<QLabel*>("controlsError");
    ASSERT_NE(message, nullptr);
    EXPECT_FALSE(message->isHidden());
    EXPECT_EQ(message->text(), c->errorText());
    EXPECT_FALSE(w.playAction()->isEnabled());
    EXPECT_FALSE(w.stepAction()->isEnabled());
    w.play();  // ignored, and nothing crashes
    spin_ms(100);
    EXPECT_FALSE(w.isRunning());

    top_k->setValue(4);
    EXPECT_TRUE(c->isValid()) << c->errorText().toStdString();
    EXPECT_TRUE(message->isHidden());
    EXPECT_TRUE(top_k->styleSheet().isEmpty());
    EXPECT_TRUE(w.playAction()->isEnabled());

    auto* d_model = qobject_cast<QSpinBox*>(c->control(1, "hidden_size"));
    d_model->setValue(30);
    EXPECT_FALSE(c->isValid());
    EXPECT_TRUE(c->errorText().contains("divisible")) << c->errorText().toStdString();
    EXPECT_EQ(c->errorKey(), "hidden_size");
    EXPECT_FALSE(d_model->styleSheet().isEmpty());
    EXPECT_FALSE(w.playAction()->isEnabled());
    d_model->setValue(32);
    EXPECT_TRUE(c->isValid());
}

TEST_F(Window, SegmentationAndTopKFollowTheLadderRule) {
    MainWindow w;
    w.openLesson(tiny_lesson());
    ControlsPanel* c = w.controls();
    auto* m = qobject_cast<QSpinBox*>(c->control(0, "segmentation"));
    auto* routed = qobject_cast<QSpinBox*>(c->control(0, "n_routed_experts"));
    auto* top_k = qobject_cast<QSpinBox*>(c->control(0, "num_experts_per_tok"));
    EXPECT_EQ(routed->value(), 63);
    m->setValue(2);  // the ladder derives the experts: 2*16-1 routed, top 2*2-1
    EXPECT_EQ(routed->value(), 31);
    EXPECT_EQ(top_k->value(), 3);
    top_k->setValue(5);  // stated directly: the ladder is off, the routed experts stay
    ASSERT_TRUE(c->isValid()) << c->errorText().toStdString();
    EXPECT_EQ(routed->value(), 31);
    EXPECT_EQ(m->value(), 0);
    EXPECT_TRUE(c->hasPendingChanges());
    EXPECT_EQ(c->builtLesson().model_a.model.num_experts_per_tok, 5);
    // The model is no longer its preset, and the hint says why m went to "off".
    auto* preset = qobject_cast<QComboBox*>(c->control(0, "preset"));
    EXPECT_EQ(preset->currentData().toString(), "custom");
    EXPECT_EQ(preset->currentText(), "custom (deepseek + edits)");
    EXPECT_EQ(qobject_cast<QComboBox*>(c->control(1, "preset"))->currentData().toString(), "gshard");
    const QString hint = c->findChild<QLabel*>("applyHint")->text();
    EXPECT_TRUE(hint.contains("A: routed experts and top-k are set directly, so segmentation m (the ladder) is off"))
        << hint.toStdString();
    // Choosing the preset again gives the preset back.
    preset->setCurrentIndex(preset->findData("deepseek"));
    EXPECT_EQ(preset->currentData().toString(), "deepseek");
    EXPECT_EQ(routed->value(), 63);
}

// Apply and Reset keep the run so far, drawn faded under the new one (View > Earlier runs: shown or hidden each, the
// latest 5 kept); another lesson starts with none.
TEST_F(Window, ApplyAndResetKeepEarlierRunsFadedOnTheCurves) {
    MainWindow w;
    w.show();
    const Lesson lesson = tiny_lesson();
    ASSERT_TRUE(open_at_step(w, lesson, 3));
    EXPECT_TRUE(w.earlierRuns()->empty());
    qobject_cast<QSpinBox*>(w.controls()->control(1, "num_experts_per_tok"))->setValue(3);
    w.findChild<QPushButton*>("apply")->click();
    auto restarted = [&] { return wait_for([&] { return w.latestSnapshot() && w.latestSnapshot()->step == 0; }, 60000); };
    ASSERT_TRUE(restarted());
    ASSERT_TRUE(step_to(w, 2));
    ASSERT_EQ(w.earlierRuns()->size(), 1u);
    const EarlierRun& first = w.earlierRuns()->front();
    EXPECT_TRUE(first.label.startsWith("run 1 · 3 steps")) << first.label.toStdString();
    EXPECT_EQ(first.snapshot->models[1].config.model.num_experts_per_tok, 2) << "the run before the edit";
    w.showView("loss");
    auto* loss = dynamic_cast<CurveView*>(w.views().front());
    ASSERT_NE(loss, nullptr);
    EXPECT_GE(loss->earlierCurveCount(), 2) << "A's and B's curves of the earlier run";
    // For review: MOELAB_SCREENSHOT_DIR=folder saves what this test looked at.
    if (const QString dir = qEnvironmentVariable("MOELAB_SCREENSHOT_DIR"); !dir.isEmpty()) {
        ASSERT_TRUE(step_to(w, 40));
        w.fitToScreen(QRect(0, 0, 1366, 768));
        spin_ms(500);
        w.grab().save(QDir(dir).filePath("earlier-runs-1366x768.png"));
    }
    w.setEarlierRunShown(0, false);
    EXPECT_EQ(loss->earlierCurveCount(), 0);
    w.setEarlierRunShown(0, true);
    EXPECT_GE(loss->earlierCurveCount(), 2);
    for (int i = 0; i < 6; ++i) {  // more runs than are kept
        w.reset();
        ASSERT_TRUE(restarted());
        ASSERT_TRUE(step_to(w, 1));
    }
    EXPECT_EQ(int(w.earlierRuns()->size()), EarlierRuns::kMax);
    EXPECT_TRUE(w.earlierRuns()->back().label.startsWith("run 7 ·")) << w.earlierRuns()->back().label.toStdString();
    w.openLesson(tiny_lesson({{"seed", 9}}));
    EXPECT_TRUE(w.earlierRuns()->empty());
    EXPECT_EQ(loss->earlierCurveCount(), 0);
}

// File > Save lesson: the setup on screen (edits included) as a lesson file that opens to the same models, data,
// probe and hidden controls.
TEST_F(Window, ASavedLessonReopensIdentically) {
    nlohmann::json j = tiny_json();
    j["hidden_controls"] = {"seq_len"};
    MainWindow w;
    w.openLesson(lesson_from_json(QByteArray::fromStdString(j.dump()), "tiny.json"));
    ControlsPanel* c = w.controls();
    qobject_cast<QSpinBox*>(c->control(1, "num_experts_per_tok"))->setValue(3);     // pending, not applied
    qobject_cast<QDoubleSpinBox*>(c->control(0, "aux_loss_alpha"))->setValue(0.02);  // live
    ASSERT_TRUE(c->isValid()) << c->errorText().toStdString();
    const Lesson shown = c->builtLesson();
    QTemporaryDir dir;
    const QString path = dir.filePath("mine.json");
    QString error;
    ASSERT_TRUE(w.saveLesson(path, &error)) << error.toStdString();
    const Lesson back = load_lesson(path);
    EXPECT_EQ(config_to_json(back.model_a), config_to_json(shown.model_a));
    EXPECT_EQ(config_to_json(back.model_b), config_to_json(shown.model_b));
    EXPECT_EQ(back.model_b.model.num_experts_per_tok, 3);
    EXPECT_EQ(back.model_a.model.aux_loss_alpha, 0.02);
    EXPECT_EQ(back.probe_text, shown.probe_text);
    EXPECT_EQ(back.hidden_controls, QStringList{"seq_len"});
    EXPECT_EQ(back.title, "tiny");
    // Opened again, the controls show it.
    MainWindow again;
    ASSERT_TRUE(again.openLessonFile(path, &error)) << error.toStdString();
    EXPECT_EQ(qobject_cast<QSpinBox*>(again.controls()->control(1, "num_experts_per_tok"))->value(), 3);
    EXPECT_FALSE(again.controls()->hasPendingChanges());
    // An impossible setting is not saved.
    qobject_cast<QSpinBox*>(c->control(1, "devices"))->setValue(5);
    EXPECT_FALSE(w.saveLesson(dir.filePath("bad.json"), &error));
    EXPECT_FALSE(QFileInfo::exists(dir.filePath("bad.json")));
}

// The learning rate and the balance coefficients are live: the running models take them at the next step, with no
// Apply and no restart; a structural knob still waits for Apply.
TEST_F(Window, LiveKnobsApplyAtTheNextStepWithoutARestart) {
    MainWindow w;
    const Lesson lesson = tiny_lesson();
    ASSERT_TRUE(open_at_step(w, lesson, 2));
    ControlsPanel* c = w.controls();
    auto* lr = qobject_cast<QDoubleSpinBox*>(c->control(-1, "learning_rate"));
    auto* alpha = qobject_cast<QDoubleSpinBox*>(c->control(1, "aux_loss_alpha"));
    ASSERT_TRUE(lr && alpha);
    const double new_lr = lesson.model_a.train.learning_rate / 2;
    lr->setValue(new_lr);
    alpha->setValue(0.04);
    EXPECT_FALSE(c->hasPendingChanges()) << "live knobs need no Apply";
    ASSERT_TRUE(step_to(w, 3));
    ASSERT_TRUE(wait_for([&] {
        const SnapshotPtr s = w.latestSnapshot();
        return s && s->models[1].config.model.aux_loss_alpha == 0.04;
    }, 10000));
    const SnapshotPtr s = w.latestSnapshot();
    EXPECT_GE(s->step, 3) << "not restarted";
    EXPECT_NEAR(s->models[0].config.train.learning_rate, new_lr, 1e-12);
    EXPECT_NEAR(s->models[0].lr.y.back(), learning_rate_at(s->models[0].config.train, s->step - 1), 1e-12);
    EXPECT_EQ(s->models[0].config.model.aux_loss_alpha, lesson.model_a.model.aux_loss_alpha) << "A untouched";
    EXPECT_DOUBLE_EQ(w.lesson().model_b.model.aux_loss_alpha, 0.04);
    // The live knobs' labels say so.
    int marked = 0;
    for (QLabel* label : c->findChildren<QLabel*>()) marked += label->text().contains(QChar(0x25cf));
    EXPECT_GE(marked, 4);  // learning rate, aux alpha, device and communication coefficients
    // A structural knob is not live.
    qobject_cast<QSpinBox*>(c->control(0, "num_experts_per_tok"))->setValue(3);
    EXPECT_TRUE(c->hasPendingChanges());
}

// Device-limited routing from the controls (it used to need a lesson file): per model, validated inline by the
// engine like every knob, and trained once applied.
TEST_F(Window, DeviceLimitedRoutingIsSetFromTheControls) {
    MainWindow w;
    const Lesson lesson = tiny_lesson();
    w.openLesson(lesson);
    ASSERT_TRUE(wait_configured(w, lesson));
    ControlsPanel* c = w.controls();
    auto* devices = qobject_cast<QSpinBox*>(c->control(1, "devices"));
    auto* limit = qobject_cast<QSpinBox*>(c->control(1, "device_limit"));
    auto* routing = qobject_cast<QComboBox*>(c->control(1, "device_routing"));
    auto* comm = qobject_cast<QDoubleSpinBox*>(c->control(1, "comm_aux_alpha"));
    ASSERT_TRUE(devices && limit && routing && comm);
    EXPECT_FALSE(limit->isEnabled()) << "one device: the limit does nothing";
    devices->setValue(4);
    EXPECT_TRUE(limit->isEnabled());
    limit->setValue(2);
    routing->setCurrentIndex(routing->findData("group"));
    comm->setValue(0.02);
    ASSERT_TRUE(c->isValid()) << c->errorText().toStdString();
    const Config b = c->builtLesson().model_b;
    EXPECT_EQ(b.model.devices, 4);
    EXPECT_EQ(b.model.device_limit, 2);
    EXPECT_EQ(b.model.device_routing, "group");
    EXPECT_DOUBLE_EQ(b.model.comm_aux_alpha, 0.02);
    EXPECT_EQ(c->builtLesson().model_a.model.devices, 1);

    devices->setValue(5);  // B's 16 routed experts do not split over 5 devices
    EXPECT_FALSE(c->isValid());
    EXPECT_TRUE(c->errorText().contains("devices = 5")) << c->errorText().toStdString();
    EXPECT_TRUE(devices->styleSheet().contains("#ffcdd2")) << "the knob just turned is the one marked";
    EXPECT_FALSE(w.findChild<QPushButton*>("apply")->isEnabled());
    devices->setValue(4);
    ASSERT_TRUE(c->isValid()) << c->errorText().toStdString();
    w.findChild<QPushButton*>("apply")->click();
    ASSERT_TRUE(step_to(w, 1));
    EXPECT_EQ(w.latestSnapshot()->models[1].devices, 4);
    EXPECT_FALSE(w.latestSnapshot()->models[1].dispatch_bytes.y.empty());
}

TEST_F(Window, ApplyTrainsTheEditedModels) {
    MainWindow w;
    const Lesson lesson = tiny_lesson();
    ASSERT_TRUE(open_at_step(w, lesson, 2));
    auto* top_k = qobject_cast<QSpinBox*>(w.controls()->control(1, "num_experts_per_tok"));
    top_k->setValue(3);  // a structural knob: the models restart
    EXPECT_TRUE(w.controls()->hasPendingChanges());
    w.reset();  // Reset applies pending valid changes
    EXPECT_FALSE(w.controls()->hasPendingChanges());
    ASSERT_TRUE(wait_for([&] {
        const SnapshotPtr s = w.latestSnapshot();
        return s && s->step == 0 && s->models[1].config.model.num_experts_per_tok == 3;
    }, 60000));
    EXPECT_EQ(w.lesson().model_b.model.num_experts_per_tok, 3);
}

// Applying while the class watches a run: the edited models restart from step 0 and keep training without Play.
TEST_F(Window, ApplyWhilePlayingRestartsAndKeepsPlaying) {
    MainWindow w;
    const Lesson lesson = tiny_lesson({}, 100000);
    w.openLesson(lesson);
    ASSERT_TRUE(wait_configured(w, lesson));
    w.play();
    ASSERT_TRUE(wait_for([&] { return w.latestSnapshot() && w.latestSnapshot()->step >= 2; }, 60000));
    auto* topk = qobject_cast<QSpinBox*>(w.controls()->control(0, "num_experts_per_tok"));
    topk->setValue(topk->value() == 1 ? 2 : 1);
    const int k = topk->value();
    w.controls()->findChild<QPushButton*>("apply")->click();
    EXPECT_TRUE(w.isRunning());
    ASSERT_TRUE(wait_for([&] {
        const SnapshotPtr s = w.latestSnapshot();
        return s && s->models[0].config.model.num_experts_per_tok == k && s->step >= 3;
    }, 60000)) << "the applied run did not go on training";
    EXPECT_TRUE(w.isRunning());
    w.pause();
    // Not playing: Apply restarts and waits for Play.
    topk->setValue(k == 1 ? 2 : 1);
    w.controls()->findChild<QPushButton*>("apply")->click();
    EXPECT_FALSE(w.isRunning());
}

TEST_F(Window, ComputeChoiceWithoutAGpuSaysSoAndTrainsOnTheCpu) {
    if (gpu::probe_device().usable) GTEST_SKIP() << "a GPU is present: the fallback cannot be seen here";
    MainWindow w;
    const Lesson lesson = tiny_lesson();
    w.openLesson(lesson);
    ASSERT_TRUE(wait_configured(w, lesson));
    w.setComputeDevice("cuda");
    ASSERT_TRUE(wait_for([&] { return !w.lastError().isEmpty(); }, 60000));
    EXPECT_TRUE(w.lastError().contains("CUDA was chosen, but no usable CUDA GPU")) << w.lastError().toStdString();
    ASSERT_TRUE(step_to(w, 2));
    EXPECT_EQ(w.latestSnapshot()->models[0].device, "CPU");
    EXPECT_TRUE(w.stepText().contains("on CPU")) << w.stepText().toStdString();
}

TEST_F(Window, HiddenControlsAreHidden) {
    nlohmann::json j = tiny_json();
    j["hidden_controls"] = {"seq_len", "segmentation"};
    MainWindow w;
    w.show();
    w.openLesson(lesson_from_json(QByteArray::fromStdString(j.dump()), "hidden.json"));
    EXPECT_TRUE(w.controls()->control(-1, "seq_len")->isHidden());
    EXPECT_TRUE(w.controls()->control(0, "segmentation")->isHidden());
    EXPECT_TRUE(w.controls()->control(1, "segmentation")->isHidden());
    EXPECT_FALSE(w.controls()->control(-1, "batch_size")->isHidden());
}

TEST_F(Window, ClickingATokenOrAPointFillsTheInspector) {
    MainWindow w;
    w.show();
    const Lesson lesson = tiny_lesson();
    ASSERT_TRUE(open_at_step(w, lesson, 1));
    ASSERT_TRUE(wait_for([&] { return !w.latestSnapshot()->models[0].probe.empty(); }, 10000));
    emit w.views().front()->tokenClicked(0, 0, 2);
    EXPECT_FALSE(w.inspector()->summary().isEmpty());
    QCPAxis* experts = w.inspector()->plot()->xAxis;
    EXPECT_TRUE(experts->tickLabels());
    EXPECT_NEAR(experts->range().upper, lesson.model_a.model.n_routed_experts - 0.3, 1e-9);

    // Another lesson: the inspector is empty, with no numbers left on its axes from the last lesson's experts.
    const Lesson plane = tiny_lesson({{"dataset", "spirals"}});
    w.openLesson(plane);
    EXPECT_TRUE(w.inspector()->summary().isEmpty());
    EXPECT_FALSE(experts->tickLabels());
    EXPECT_FALSE(w.inspector()->plot()->yAxis->tickLabels());
    EXPECT_NE(experts->range().upper, lesson.model_a.model.n_routed_experts - 0.3);
    ASSERT_TRUE(wait_configured(w, plane));
    emit w.views().front()->planeClicked(1, 0.5, -0.25);
    EXPECT_TRUE(wait_for([&] { return !w.inspector()->summary().isEmpty(); }, 10000));
}

TEST_F(Window, PresentationModeEnlargesTextAndHidesTheControls) {
    MainWindow w;
    w.show();
    w.openLesson(tiny_lesson());
    const qreal normal = w.font().pointSizeF();
    auto* controls_dock = w.findChild<QDockWidget*>("controlsDock");
    ASSERT_NE(controls_dock, nullptr);
    EXPECT_TRUE(controls_dock->isVisible());
    // The plots' text too: the loss curves' axis label and the token inspector's.
    QCustomPlot* loss = dynamic_cast<PlotView*>(w.views().front())->plot();
    QCustomPlot* inspector = w.inspector()->plot();
    auto label_size = [](QCustomPlot* plot) {
        plot->replot(QCustomPlot::rpImmediateRefresh);
        return plot->yAxis->labelFont().pointSizeF();
    };
    const qreal loss_label = label_size(loss), inspector_label = label_size(inspector);
    ASSERT_TRUE(step_to(w, 2));
    spin_ms(300);
    auto train_line = [&] {  // A's smoothed training curve (the raw one beside it is faint)
        loss->replot(QCustomPlot::rpImmediateRefresh);
        for (int i = 0; i < loss->graphCount(); ++i)
            if (loss->graph(i)->name() == "A train" && loss->graph(i)->pen().color().alpha() == 255)
                return loss->graph(i)->pen().widthF();
        return 0.0;
    };
    const double normal_line = train_line();
    ASSERT_GT(normal_line, 0.0);
    auto* explanation = w.findChild<QLabel*>("explanation_loss");
    ASSERT_NE(explanation, nullptr);
    EXPECT_TRUE(explanation->isVisible());

    // The score board's labels (headers, model letters, the note): each grows with the window's text.
    std::vector<std::pair<QLabel*, qreal>> board;
    for (QLabel* l : w.findChild<QWidget*>("scoreBoard")->findChildren<QLabel*>()) board.push_back({l, l->font().pointSizeF()});
    ASSERT_GE(board.size(), 10u);
    w.setPresentationMode(true);
    EXPECT_NEAR(w.font().pointSizeF(), 1.5 * normal, 1e-6);
    for (const auto& [label, size] : board)
        EXPECT_NEAR(label->font().pointSizeF(), 1.5 * size, 1e-6) << label->text().toStdString();
    // One view, large: no dock and no explanation unless asked for.
    for (const char* dock : {"controlsDock", "lessonDock", "inspectorDock"})
        EXPECT_FALSE(w.findChild<QDockWidget*>(dock)->isVisible()) << dock;
    EXPECT_FALSE(explanation->isVisible());
    EXPECT_NEAR(label_size(loss), 1.5 * loss_label, 1e-6);
    EXPECT_NEAR(label_size(inspector), 1.5 * inspector_label, 1e-6);
    EXPECT_GE(train_line(), 3.0) << "training lines read from the back of the room";
    // Page Down / Up move between the views; Escape leaves (the window's actions with those keys, enabled only here:
    // elsewhere Page Up/Down belong to the focused spin box).
    auto key = [&](Qt::Key k) -> QAction* {
        for (QAction* a : w.actions())
            if (a->shortcuts().contains(QKeySequence(k))) return a;
        return nullptr;
    };
    ASSERT_TRUE(key(Qt::Key_PageDown) && key(Qt::Key_PageUp) && key(Qt::Key_Escape));
    auto* tabs = w.findChild<QTabWidget*>();
    ASSERT_NE(tabs, nullptr);
    const int first = tabs->currentIndex();
    EXPECT_TRUE(key(Qt::Key_PageDown)->isEnabled());
    key(Qt::Key_PageDown)->trigger();
    EXPECT_EQ(tabs->currentIndex(), (first + 1) % tabs->count());
    key(Qt::Key_PageUp)->trigger();
    key(Qt::Key_PageUp)->trigger();
    EXPECT_EQ(tabs->currentIndex(), (first + tabs->count() - 1) % tabs->count());
    tabs->setCurrentIndex(first);
    key(Qt::Key_Escape)->trigger();
    EXPECT_FALSE(key(Qt::Key_PageDown)->isEnabled());
    EXPECT_FALSE(w.presentationMode());
    EXPECT_NEAR(w.font().pointSizeF(), normal, 1e-6);
    EXPECT_TRUE(controls_dock->isVisible());
    EXPECT_TRUE(explanation->isVisible());
    EXPECT_NEAR(label_size(loss), loss_label, 1e-6);
    EXPECT_NEAR(label_size(inspector), inspector_label, 1e-6);
    EXPECT_DOUBLE_EQ(train_line(), normal_line);
}

namespace {

// Trains the opened lesson to step `steps` and shows a probe token of model A in the inspector, as a click on the
// routing view does.
bool train_and_inspect_a_token(MainWindow& w, const Lesson& lesson, int steps) {
    if (!wait_configured(w, lesson) || !step_to(w, steps)) return false;
    if (!wait_for([&] { return !w.latestSnapshot()->models[0].probe.empty(); }, 10000)) return false;
    emit w.views().front()->tokenClicked(0, 0, 2);
    return true;
}

// Expects every entry of the plot's legends as wide as its icon and text and inside `shown` (plot pixels); returns how
// many entries there are.
int expect_legend_whole_inside(const QCustomPlot* plot, const QRect& shown) {
    int entries = 0;
    for (const QCPLegend* legend : plot->findChildren<QCPLegend*>()) {
        if (!legend->realVisibility()) continue;
        for (int i = 0; i < legend->itemCount(); ++i) {
            const QCPLayoutElement* entry = legend->item(i);
            if (!entry) continue;
            ++entries;
            EXPECT_GE(entry->outerRect().width(), entry->minimumOuterSizeHint().width()) << "entry " << i;
            EXPECT_TRUE(shown.contains(entry->outerRect())) << "entry " << i << " outside the shown part of the plot";
        }
    }
    return entries;
}

}  // namespace

// In the default window the token inspector's legend (under its bars) is whole: every entry as wide as its icon and
// text, and inside the part of the plot the dock shows.
TEST_F(Window, InspectorLegendIsWholeInTheDefaultWindow) {
    MainWindow w;
    w.show();
    const Lesson lesson = tiny_lesson();
    w.openLesson(lesson);
    ASSERT_TRUE(train_and_inspect_a_token(w, lesson, 1));
    QCustomPlot* plot = w.inspector()->plot();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    EXPECT_EQ(expect_legend_whole_inside(plot, plot->visibleRegion().boundingRect()), 3);
}

namespace {

// Lets the window settle after a change of tab or font: the plots' layouts, the minimum heights their text needs, the
// resizes that follow.
void settle_window() {
    for (int round = 0; round < 6; ++round) {
        QApplication::processEvents();
        spin_ms(20);
    }
}

}  // namespace

// Whether `w` shows all of itself inside `window`: visible, not clipped by a scroll area or by the window's edge.
static bool wholly_shown(const QWidget* w, const QWidget* window) {
    if (!w->isVisibleTo(window)) return false;
    if (w->visibleRegion().boundingRect() != w->rect()) return false;
    const QRect in_window(w->mapTo(window, QPoint(0, 0)), w->size());
    return window->rect().contains(in_window);
}

// The app on a 1366x768 projector and a 1920x1080 screen (fitToScreen, as the app does at start-up): the window is
// the screen's size, Play / Pause / Step / Reset and Apply are in sight without scrolling, every view's tab is whole
// (no scroll arrows), and both models' parameter counts are whole. With the controls in front on the small screen.
TEST_F(Window, FitsA1366x768ProjectorAndA1920x1080Screen) {
    for (const QSize screen : {QSize(1366, 768), QSize(1920, 1080)}) {
        SCOPED_TRACE(QString("%1x%2").arg(screen.width()).arg(screen.height()).toStdString());
        MainWindow w;
        w.openLesson(load_lesson(bundled_lessons().front()));
        w.fitToScreen(QRect(QPoint(0, 0), screen));
        w.show();
        auto* controls = w.findChild<QDockWidget*>("controlsDock");
        ASSERT_NE(controls, nullptr);
        controls->raise();
        settle_window();
        EXPECT_EQ(w.size(), screen);
        // For review: MOELAB_SCREENSHOT_DIR=folder saves what this test looked at.
        if (const QString dir = qEnvironmentVariable("MOELAB_SCREENSHOT_DIR"); !dir.isEmpty())
            w.grab().save(
                QDir(dir).filePath(QString("fit-controls-%1x%2.png").arg(screen.width()).arg(screen.height())));

        auto* toolbar = w.findChild<QToolBar*>("trainingToolbar");
        ASSERT_NE(toolbar, nullptr);
        int buttons = 0;
        for (QAction* a : toolbar->actions()) {
            if (!QStringList{"Play", "Pause", "Step", "Reset"}.contains(a->text())) continue;
            ++buttons;
            EXPECT_TRUE(wholly_shown(toolbar->widgetForAction(a), &w)) << a->text().toStdString();
        }
        EXPECT_EQ(buttons, 4);

        auto* apply = w.findChild<QPushButton*>("apply");
        ASSERT_NE(apply, nullptr);
        EXPECT_TRUE(wholly_shown(apply, &w));
        for (const QWidget* p = apply; p; p = p->parentWidget())
            EXPECT_EQ(qobject_cast<const QScrollArea*>(p), nullptr) << "Apply is inside a scroll area";
        for (const char* name : {"A_parameters", "B_parameters"}) {
            auto* label = w.findChild<QLabel*>(name);
            ASSERT_NE(label, nullptr) << name;
            EXPECT_FALSE(label->text().isEmpty()) << name;
            EXPECT_TRUE(wholly_shown(label, &w)) << name;
            EXPECT_LE(label->minimumSizeHint().width(), label->width()) << name << ": text cut";
        }

        auto* tabs = w.findChild<QTabWidget*>();
        ASSERT_NE(tabs, nullptr);
        QTabBar* bar = tabs->tabBar();
        ASSERT_EQ(bar->count(), static_cast<int>(w.views().size()));
        int shown = 0;
        for (int i = 0; i < bar->count(); ++i) {
            if (!bar->isTabVisible(i)) continue;  // a view that does not apply to this lesson (the 2-D plane)
            ++shown;
            EXPECT_TRUE(bar->rect().contains(bar->tabRect(i))) << bar->tabText(i).toStdString() << " is cut off";
        }
        EXPECT_GE(shown, 10);
        for (const QToolButton* arrow : bar->findChildren<QToolButton*>())
            EXPECT_FALSE(arrow->isVisible()) << "the tab bar scrolls";
        EXPECT_TRUE(wholly_shown(tabs, &w));
    }
}

// The routing view at 1366x768 and 1920x1080, with the token inspector open as after a click: the default lesson's
// probe (about 100 bytes) is one line of text under each map, every byte's column at least as wide as its letter, A
// and B and both colour scales in sight without scrolling. A clicked token is outlined in A and B and marked in the
// inspector's text; another lesson clears both.
TEST_F(Window, RoutingShowsTheWholeProbeAsTextAndOutlinesTheClickedToken) {
    for (const QSize screen : {QSize(1366, 768), QSize(1920, 1080)}) {
        SCOPED_TRACE(QString("%1x%2").arg(screen.width()).arg(screen.height()).toStdString());
        MainWindow w;
        const Lesson lesson = load_lesson(bundled_lessons().front());
        ASSERT_GE(lesson.probe_text.size(), 90u);
        w.fitToScreen(QRect(QPoint(0, 0), screen));
        w.show();
        ASSERT_TRUE(open_at_step(w, lesson, 1));
        ASSERT_TRUE(wait_for([&] { return !w.latestSnapshot()->models[0].probe.empty(); }, 10000));
        w.showView("routing");
        RoutingView* routing = nullptr;
        for (View* v : w.views())
            if (v->id() == "routing") routing = dynamic_cast<RoutingView*>(v);
        ASSERT_NE(routing, nullptr);
        emit routing->tokenClicked(0, 0, 0);  // the inspector open beside the view, as a class uses it
        settle_window();
        routing->plot()->replot(QCustomPlot::rpImmediateRefresh);
        settle_window();
        if (const QString dir = qEnvironmentVariable("MOELAB_SCREENSHOT_DIR"); !dir.isEmpty())
            w.grab().save(QDir(dir).filePath(QString("routing-%1x%2.png").arg(screen.width()).arg(screen.height())));

        const int bytes = int(lesson.probe_text.size());
        EXPECT_GE(routing->tokensPerLine(), bytes) << "the probe wraps";
        EXPECT_EQ(routing->lineCount(0), 1);
        EXPECT_EQ(routing->lineCount(1), 1);
        auto* scroll = routing->findChild<QScrollArea*>();
        ASSERT_NE(scroll, nullptr);
        EXPECT_EQ(scroll->verticalScrollBar()->maximum(), 0) << "the view scrolls";
        const QRect plot_area = routing->plot()->rect();
        for (int m = 0; m < 2; ++m) {
            const QCPColorMap* map = routing->colourMap(m);
            ASSERT_NE(map->colorScale(), nullptr);
            EXPECT_TRUE(map->colorScale()->visible());
            EXPECT_TRUE(plot_area.contains(map->colorScale()->outerRect())) << "colour scale " << m << " cut off";
            const QCPAxis* x = map->keyAxis();
            EXPECT_TRUE(plot_area.contains(x->axisRect()->outerRect())) << "panel " << m << " cut off";
            const double pitch = x->axisRect()->width() / double(routing->tokensPerLine());
            const QFontMetrics metrics(x->tickLabelFont());
            int widest = 0;
            for (int t = 0; t < bytes; ++t)
                widest = std::max(widest, metrics.horizontalAdvance(QString(QChar(lesson.probe_text[std::size_t(t)]))));
            EXPECT_LE(widest, pitch) << "letters wider than their columns";
            EXPECT_GE(metrics.height(), 10) << "readable letters";
        }
        EXPECT_EQ(text_collisions(routing->plot()), QStringList());

        // A click on byte 10 of B: the inspector shows that byte in its text, both maps outline its column.
        const int token = 10;
        send_click(routing->plot(), routing->cellCentre(1, token, 3));
        EXPECT_TRUE(wait_for([&] { return w.inspector()->summary().contains("model B"); }, 5000));
        const QString marked = QString("[%1]").arg(QChar(lesson.probe_text[std::size_t(token)]));
        EXPECT_TRUE(w.inspector()->summary().contains(marked)) << w.inspector()->summary().toStdString();
        routing->plot()->replot(QCustomPlot::rpImmediateRefresh);
        for (int m = 0; m < 2; ++m) {
            const QRectF outline = routing->inspectedOutline(m);
            EXPECT_TRUE(outline.contains(routing->cellCentre(m, token, 0))) << m;
            EXPECT_FALSE(outline.contains(routing->cellCentre(m, token + 1, 0))) << m;
        }
        w.openLesson(tiny_lesson());
        EXPECT_EQ(routing->inspectedToken(), -1);
        EXPECT_TRUE(routing->inspectedOutline(0).isEmpty());
    }
}

// In presentation mode at the usual 1400x900 (set before show(), as `moelab --screenshot --presentation` does: no full
// screen), with a token in the inspector: no view widens the window, no text of any view's plot is drawn over another
// or cut off (a plot taller than its tab scrolls to the rest, never squeezed), and the inspector's legend is inside
// the visible part of its dock, under its bars.
TEST_F(Window, PresentationModeShowsEveryPlotAndTheInspectorLegendWhole) {
    MainWindow w;
    w.resize(1400, 900);
    // 8 devices as in the device-limited lesson: the traffic view has its matrices, bars and curves.
    const Lesson lesson = tiny_lesson({{"devices", 8}, {"device_limit", 2}, {"placement", "round_robin"}});
    w.openLesson(lesson);
    w.setPresentationMode(true);
    w.show();
    ASSERT_TRUE(train_and_inspect_a_token(w, lesson, 3));
    settle_window();
    ASSERT_EQ(w.size(), QSize(1400, 900));

    int checked = 0;
    for (View* v : w.views()) {
        SCOPED_TRACE(v->id().toStdString());
        w.showView(v->id());
        settle_window();
        // No view widens the window past the screen (the parameter table scrolls instead).
        EXPECT_EQ(w.size(), QSize(1400, 900));
        auto* view = dynamic_cast<PlotView*>(v);
        if (!view) continue;  // the parameter table
        QCustomPlot* plot = view->plot();
        ASSERT_TRUE(plot->isVisible());
        plot->replot(QCustomPlot::rpImmediateRefresh);
        EXPECT_EQ(text_collisions(plot).join("\n").toStdString(), "");
        EXPECT_GE(plot->height(), content_height(plot)) << "squeezed";
        EXPECT_TRUE(qobject_cast<QScrollArea*>(plot->parentWidget()->parentWidget())) << "does not scroll";
        ++checked;
    }
    EXPECT_EQ(checked, 13);

    QCustomPlot* inspector = w.inspector()->plot();
    inspector->replot(QCustomPlot::rpImmediateRefresh);
    EXPECT_EQ(text_collisions(inspector).join("\n").toStdString(), "");
    auto* dock = w.findChild<QDockWidget*>("inspectorDock");
    ASSERT_TRUE(dock && dock->isVisible());
    const QRect in_dock(inspector->mapFrom(dock, QPoint(0, 0)), dock->size());
    EXPECT_EQ(expect_legend_whole_inside(inspector, inspector->visibleRegion().boundingRect() & in_dock), 3);
}

TEST_F(Window, CliRunFolderOpensReadOnlyWithItsCurves) {
    QTemporaryDir dir;
    const int steps = 7;
    {
        Config config = resolve_config("deepseek", "",
                                       {"hidden_size=32", "seq_len=32", "batch_size=4", "corpus_bytes_per_domain=8000",
                                        "routing_interval=2", "eval_interval=3", "steps=" + std::to_string(steps)});
        Trainer trainer(config);
        RunWriter writer(dir.path().toStdString(), config, trainer.dataset().domain_names());
        for (int s = 0; s < steps; ++s) writer.add(trainer.train_step());
        writer.flush();
        save_checkpoint(std::filesystem::path(dir.path().toStdString()) / "model.safetensors", trainer.model(), true,
                        256);
    }
    MainWindow w;
    w.show();
    const Lesson lesson = tiny_lesson();
    w.openLesson(lesson);
    QString error;
    ASSERT_TRUE(w.openRunFolder(dir.path(), &error)) << error.toStdString();
    EXPECT_TRUE(w.isReplay());
    EXPECT_FALSE(w.playAction()->isEnabled());
    EXPECT_FALSE(w.stepAction()->isEnabled());
    w.play();  // refused in replay
    spin_ms(200);
    EXPECT_TRUE(w.isReplay());
    QString loss;
    for (const View* v : w.views())
        if (v->id() == "loss") loss = v->csv();
    for (int s = 1; s <= steps; ++s)
        EXPECT_TRUE(loss.contains(QString("\n%1,A,").arg(s))) << "step " << s << " missing:\n" << loss.toStdString();
    EXPECT_TRUE(w.stepText().startsWith(QString("step %1").arg(steps))) << w.stepText().toStdString();
    EXPECT_EQ(w.lesson().model_a.model.hidden_size, 32);

    // Export works in replay too, with the run's config.
    QTemporaryDir out;
    ASSERT_TRUE(w.exportAll(out.path(), &error)) << error.toStdString();
    EXPECT_TRUE(QFileInfo::exists(QDir(out.path()).filePath("loss.png")));

    w.reset();  // back to the live lesson
    EXPECT_FALSE(w.isReplay());
    EXPECT_TRUE(w.playAction()->isEnabled());

    EXPECT_FALSE(w.openRunFolder(dir.filePath("missing"), &error));
    EXPECT_FALSE(error.isEmpty());
    EXPECT_FALSE(w.isReplay());
}

TEST_F(Window, SavedRunOpensWithBothModels) {
    MainWindow w;
    const Lesson lesson = tiny_lesson();
    ASSERT_TRUE(open_at_step(w, lesson, 4));
    QTemporaryDir dir;
    QString saved;
    QObject::connect(&w, &MainWindow::runSaved, [&](const QString& d) { saved = d; });
    w.saveRun(dir.path());
    ASSERT_TRUE(wait_for([&] { return !saved.isEmpty() || !w.lastError().isEmpty(); }, 60000));
    ASSERT_TRUE(w.lastError().isEmpty()) << w.lastError().toStdString();
    QString error;
    ASSERT_TRUE(w.openRunFolder(dir.path(), &error)) << error.toStdString();
    QString loss;
    for (const View* v : w.views())
        if (v->id() == "loss") loss = v->csv();
    EXPECT_TRUE(loss.contains("\n4,A,")) << loss.toStdString();
    EXPECT_TRUE(loss.contains("\n4,B,")) << loss.toStdString();
}

// ---- the program ------------------------------------------------------------------------------------------------

class Program : public Window {
protected:
    void SetUp() override {
        Window::SetUp();
        binary_ = moelab_binary();
        // Built with the tests, so a missing app is a broken build, not a reason to skip.
        ASSERT_TRUE(QFileInfo::exists(binary_)) << "moelab was not built: " << binary_.toStdString();
    }
    int run(const QStringList& args, QString* out = nullptr, QString* err = nullptr) {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        p.setProcessEnvironment(env);
        p.start(binary_, args);
        if (!p.waitForFinished(600000)) return -1;
        if (out) *out = QString::fromUtf8(p.readAllStandardOutput());
        if (err) *err = QString::fromUtf8(p.readAllStandardError());
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }
    QString binary_;
};

TEST_F(Program, HeadlessExportTrainsAndWritesEveryView) {
    QTemporaryDir dir;
    const QString lesson = dir.filePath("tiny.json");
    QFile f(lesson);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(QByteArray::fromStdString(tiny_json().dump(2)));
    f.close();
    QString out, err;
    const QString export_dir = dir.filePath("out");
    ASSERT_EQ(run({"--lesson", lesson, "--steps", "3", "--export-dir", export_dir}, &out, &err), 0)
        << err.toStdString();
    // Every view that applies to the lesson (two language models on one device each, greedy top-k: not the plane, not
    // the traffic, not the selection bias),
    // and an index naming the others.
    std::vector<View*> views = create_all_views(nullptr);
    for (View* v : views) {
        const bool applies = v->id() != "plane" && v->id() != "traffic" && v->id() != "selection_bias";
        for (const char* ext : {"png", "svg", "csv", "pdf"}) {
            const QFileInfo file(QDir(export_dir).filePath(v->id() + "." + ext));
            EXPECT_EQ(file.exists() && file.size() > 0, applies) << file.filePath().toStdString();
        }
        delete v;
    }
    EXPECT_TRUE(QFileInfo::exists(QDir(export_dir).filePath("index.json")));
    for (const char* name : {"config_A.json", "config_B.json", "lesson.json"})
        EXPECT_TRUE(QFileInfo::exists(QDir(export_dir).filePath(name))) << name;
    QFile loss(QDir(export_dir).filePath("loss.csv"));
    ASSERT_TRUE(loss.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(loss.readAll());
    EXPECT_TRUE(text.contains("\n3,A,")) << text.toStdString();
    EXPECT_FALSE(text.contains("\n4,A,")) << text.toStdString();
}

// Export all from the app (a 1366x768 window, the routing view in front) and `moelab --export-dir` (no screen) write
// the same figures: every image of the same size and the same pixels, every CSV the same text.
TEST_F(Program, HeadlessAndAppExportsAreTheSameFigures) {
    QTemporaryDir dir;
    const int steps = 3;
    nlohmann::json j = tiny_json(nlohmann::json::object(), steps);
    const QString lesson_path = dir.filePath("tiny.json");
    QFile f(lesson_path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(QByteArray::fromStdString(j.dump(2)));
    f.close();
    const QString headless = dir.filePath("headless");
    QString err;
    ASSERT_EQ(run({"--lesson", lesson_path, "--steps", QString::number(steps), "--export-dir", headless}, nullptr, &err), 0)
        << err.toStdString();

    Lesson lesson = load_lesson(lesson_path);
    MainWindow w;
    w.fitToScreen(QRect(0, 0, 1366, 768));
    w.show();
    w.openLesson(lesson);
    QString error;
    ASSERT_TRUE(play_until(w, steps, 120, &error)) << error.toStdString();
    w.showView("routing");
    settle_window();
    const QString app = dir.filePath("app");
    int written = 0;
    ASSERT_TRUE(w.exportAll(app, &error, &written)) << error.toStdString();
    ASSERT_GE(written, 10);

    int images = 0;
    for (const QFileInfo& file : QDir(app).entryInfoList({"*.png", "*.csv"}, QDir::Files)) {
        SCOPED_TRACE(file.fileName().toStdString());
        const QString other = QDir(headless).filePath(file.fileName());
        ASSERT_TRUE(QFileInfo::exists(other));
        if (file.suffix() == "png") {
            ++images;
            const QImage a(file.filePath()), b(other);
            ASSERT_FALSE(a.isNull());
            EXPECT_EQ(a.size(), b.size());
            EXPECT_TRUE(a == b) << "the pixels differ";
        } else {
            QFile fa(file.filePath()), fb(other);
            ASSERT_TRUE(fa.open(QIODevice::ReadOnly) && fb.open(QIODevice::ReadOnly));
            EXPECT_EQ(fa.readAll(), fb.readAll());
        }
    }
    EXPECT_EQ(images, written);
}

TEST_F(Program, HeadlessErrorsPrintOneLineAndFail) {
    QTemporaryDir dir;
    QString err;
    EXPECT_NE(run({"--lesson", dir.filePath("missing.json"), "--steps", "3", "--export-dir", dir.filePath("o")},
                  nullptr, &err), 0);
    EXPECT_EQ(err.trimmed().count('\n'), 0) << err.toStdString();
    EXPECT_TRUE(err.contains("missing.json")) << err.toStdString();

    const QString bad = dir.filePath("bad.json");
    QFile f(bad);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(R"({"title": "x", "model_a": {"preset": "deepseek", "num_experts_per_tok": 99}, "model_b": {}})");
    f.close();
    EXPECT_NE(run({"--lesson", bad, "--steps", "3", "--export-dir", dir.filePath("o")}, nullptr, &err), 0);
    EXPECT_TRUE(err.contains("num_experts_per_tok")) << err.toStdString();

    const QString nan = dir.filePath("nan.json");
    QFile g(nan);
    ASSERT_TRUE(g.open(QIODevice::WriteOnly));
    g.write(QByteArray::fromStdString(
        tiny_json({{"learning_rate", 1e30}, {"warmup_steps", 0}, {"grad_clip", 0}}).dump()));
    g.close();
    EXPECT_NE(run({"--lesson", nan, "--steps", "20", "--export-dir", dir.filePath("o")}, nullptr, &err), 0);
    EXPECT_EQ(err.trimmed().count('\n'), 0) << err.toStdString();
    EXPECT_TRUE(err.contains("step")) << err.toStdString();
}

}  // namespace moe::ui
