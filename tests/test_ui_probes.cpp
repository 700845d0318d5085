// The Probes tab: Run probes copies A's and B's weights off the training thread and runs DeepSeekMoE's probes in a
// worker thread. The r = 0 point is the model's ordinary validation loss, the GUI thread keeps turning while the
// probes run (and training may go on), Stop ends the run early, a model without a shared expert or with too few
// experts to mask says why instead of drawing, A and B share one loss axis, and the CSV and export hold the results.
#include "core/train/trainer.h"
#include "ui/session/lesson.h"
#include "ui/session/probe_runner.h"
#include "ui/views/plot_text.h"
#include "ui/views/probes_view.h"
#include "ui/window/headless.h"
#include "ui/window/main_window.h"

#include "ui_test_app.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QProgressBar>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTimer>

#include <qcustomplot.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <memory>

namespace moe::ui {
namespace {

using test::ensure_app;
using test::wait_for;

// A tiny lesson: each evaluation pass takes milliseconds. `b` adds keys to model B only, `shared` to both.
Lesson tiny_lesson(int steps, const nlohmann::json& b = nlohmann::json::object(),
                   const nlohmann::json& shared = nlohmann::json::object()) {
    nlohmann::json j = {{"title", "probe test"},
                        {"label_a", "DeepSeek"},
                        {"label_b", "GShard"},
                        {"model_a", {{"preset", "deepseek"}}},
                        {"model_b", {{"preset", "gshard"}}},
                        {"shared",
                         {{"hidden_size", 32}, {"seq_len", 32}, {"batch_size", 4}, {"corpus_bytes_per_domain", 6000},
                          {"eval_interval", 3}, {"eval_sequences", 2}, {"routing_interval", 5}}},
                        {"steps", steps}};
    for (const auto& [k, v] : b.items()) j["model_b"][k] = v;
    for (const auto& [k, v] : shared.items()) j["shared"][k] = v;
    return lesson_from_json(QByteArray::fromStdString(j.dump()), "probe_test.json");
}

// Both models of the lesson trained `steps` steps here, copied as the session copies them; `val_loss` gets each
// trainer's own evaluation of the same weights.
ModelCopiesPtr trained_copies(const Lesson& lesson, int steps, std::array<double, 2>* val_loss = nullptr) {
    auto copies = std::make_shared<ModelCopies>();
    copies->step = steps;
    for (int m = 0; m < 2; ++m) {
        Config c = m == 0 ? lesson.model_a : lesson.model_b;
        c.train.steps = lesson.steps;
        Trainer t(c);
        for (int s = 0; s < steps; ++s) t.train_step();
        copies->models[std::size_t(m)] = copy_trainer(t, m == 0 ? lesson.label_a : lesson.label_b);
        if (val_loss) (*val_loss)[std::size_t(m)] = t.evaluate()->loss;
    }
    return copies;
}

// Runs the view's probes on `copies` and waits for the results.
ProbeRunPtr run_on(ProbesView& view, const ModelCopiesPtr& copies) {
    view.runOnCopies(copies, QString());
    EXPECT_TRUE(wait_for([&] { return !view.isProbing(); }, 120000));
    return view.results();
}

// RFC 4180 lines (quoted fields may hold commas); the views write no line breaks inside fields.
std::vector<QStringList> parse_csv(const QString& text) {
    std::vector<QStringList> rows;
    for (const QString& line : text.split('\n', Qt::SkipEmptyParts)) {
        QStringList fields;
        QString field;
        bool quoted = false;
        for (int i = 0; i < line.size(); ++i) {
            const QChar c = line[i];
            if (quoted) {
                if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') field += '"', ++i;
                else if (c == '"') quoted = false;
                else field += c;
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields << field;
                field.clear();
            } else {
                field += c;
            }
        }
        fields << field;
        rows.push_back(fields);
    }
    return rows;
}

QString model_letter_for_test(int m) { return m == 0 ? "A" : "B"; }

// A difference as the view writes it: a sign (a true minus; ± when it rounds to zero), 3 decimals below 0.1.
QString signed_text(double v) {
    const QString digits = QString::number(std::abs(v), 'f', std::abs(v) < 0.1 ? 3 : 2);
    if (digits.toDouble() == 0) return QString::fromUtf8("±") + digits;
    return (v > 0 ? QString("+") : QString::fromUtf8("−")) + digits;
}

class ProbesTest : public ::testing::Test {
protected:
    void SetUp() override { ensure_app(); }
};

}  // namespace

// From the window: Run probes goes through the session's copies; the r = 0 point, k' = k and the baseline are the
// ordinary validation loss the session measured at that step, bit for bit.
TEST_F(ProbesTest, RunFromTheWindowGivesTheValidationLossAtRZero) {
    MainWindow window;
    window.setAttribute(Qt::WA_DontShowOnScreen);
    window.show();
    window.openLesson(tiny_lesson(6));
    QString error;
    ASSERT_TRUE(play_until(window, 6, 60, &error)) << error.toStdString();
    ASSERT_TRUE(wait_for([&] { return !window.isRunning(); }, 10000));  // the lesson ends at step 6
    const SnapshotPtr snap = window.latestSnapshot();
    ASSERT_EQ(snap->step, 6);
    window.showView("probes");
    ProbesView* view = window.findChild<ProbesView*>();
    ASSERT_NE(view, nullptr);
    auto* run = view->findChild<QPushButton*>("runProbes");
    ASSERT_NE(run, nullptr);
    int last_done = 0, last_total = 0, reports = 0;
    QObject::connect(view->runner(), &ProbeRunner::progress, view, [&](int done, int total) {
        EXPECT_GE(done, last_done);  // the bar only moves forward
        last_done = done;
        last_total = total;
        ++reports;
    });
    run->click();
    EXPECT_TRUE(view->isProbing());
    ASSERT_TRUE(wait_for([&] { return !view->isProbing(); }, 120000)) << view->statusText().toStdString();
    const ProbeRunPtr res = view->results();
    ASSERT_NE(res, nullptr) << view->statusText().toStdString();
    EXPECT_EQ(res->step, 6);
    EXPECT_FALSE(res->stopped);
    for (int m = 0; m < 2; ++m) {
        SCOPED_TRACE(m);
        ASSERT_TRUE(res->ran(m)) << res->errors[std::size_t(m)].toStdString();
        const ProbeResults& r = res->results[std::size_t(m)];
        const double val = snap->models[std::size_t(m)].eval.loss;
        ASSERT_TRUE(std::isfinite(val));
        EXPECT_EQ(r.baseline_loss, val);
        ASSERT_FALSE(r.mask.empty());
        EXPECT_EQ(r.mask[0].x, 0);
        EXPECT_EQ(r.mask[0].loss, val);
        ASSERT_FALSE(r.active_k.empty());
        EXPECT_EQ(r.active_k.back().x, r.top_k);
        EXPECT_EQ(r.active_k.back().loss, val);
        // Masking the best expert must cost something: the probes did change the routing.
        ASSERT_GE(r.mask.size(), 2u);
        EXPECT_NE(r.mask[1].loss, val);
    }
    // One report per evaluation pass of either model, ending full.
    EXPECT_EQ(last_done, last_total);
    EXPECT_EQ(reports, last_total);
    EXPECT_GT(reports, 10);
    EXPECT_EQ(res->labels[0], "DeepSeek");
    EXPECT_TRUE(view->headline().startsWith("Probes at step 6")) << view->headline().toStdString();
    EXPECT_FALSE(view->headline().contains("training is at step")) << view->headline().toStdString();
}

// Training goes on while the probes run; afterwards the title says the numbers are of the step they were taken at.
TEST_F(ProbesTest, TrainingGoesOnWhileProbingAndTheTitleSaysWhichStep) {
    MainWindow window;
    window.setAttribute(Qt::WA_DontShowOnScreen);
    window.show();
    // A larger validation set, so the probes take long enough for training to move on meanwhile.
    window.openLesson(tiny_lesson(100000, {}, {{"eval_sequences", 24}, {"eval_interval", 100000}}));
    QString error;
    ASSERT_TRUE(play_until(window, 3, 60, &error)) << error.toStdString();
    window.play();
    window.showView("probes");
    ProbesView* view = window.findChild<ProbesView*>();
    ASSERT_NE(view, nullptr);
    view->runProbes();
    ASSERT_TRUE(wait_for([&] { return !view->isProbing(); }, 120000));
    ASSERT_NE(view->results(), nullptr) << view->statusText().toStdString();
    const int probed = view->results()->step;
    ASSERT_TRUE(wait_for([&] { return window.latestSnapshot()->step > probed + 2; }, 30000));
    window.pause();
    ASSERT_TRUE(wait_for([&] { return !window.isRunning(); }, 10000));
    const int now = window.latestSnapshot()->step;
    EXPECT_GT(now, probed);
    // The last snapshot reaches the view through the event loop: bounded wait, not a fixed delay (a sanitizer
    // build is many times slower).
    const QString expected = QString("training is at step %1 now").arg(now);
    EXPECT_TRUE(wait_for([&] { return view->headline().contains(expected); }, 10000)) << view->headline().toStdString();
    EXPECT_TRUE(view->headline().contains(QString("Probes at step %1").arg(probed))) << view->headline().toStdString();
}

// The probes run in their own thread: the GUI thread's event loop keeps turning (a timer ticks) the whole time,
// and starting a run returns at once.
TEST_F(ProbesTest, TheGuiThreadIsNotBlocked) {
    const ModelCopiesPtr copies = trained_copies(tiny_lesson(20, {}, {{"eval_sequences", 12}}), 4);
    ProbesView view;
    int ticks = 0;
    QElapsedTimer since_tick;
    qint64 longest_gap = 0;
    QTimer timer;
    QObject::connect(&timer, &QTimer::timeout, [&] {
        if (since_tick.isValid()) longest_gap = std::max(longest_gap, since_tick.elapsed());
        since_tick.start();
        ++ticks;
    });
    timer.start(5);
    QElapsedTimer clock;
    clock.start();
    view.runOnCopies(copies, QString());
    const qint64 start_ms = clock.elapsed();
    ASSERT_TRUE(view.isProbing());
    ticks = 0;
    ASSERT_TRUE(wait_for([&] { return !view.isProbing(); }, 120000));
    const qint64 total_ms = clock.elapsed();
    ASSERT_NE(view.results(), nullptr);
    std::printf("  probes took %lld ms, start() %lld ms, %d timer ticks, longest gap %lld ms\n",
                static_cast<long long>(total_ms), static_cast<long long>(start_ms), ticks,
                static_cast<long long>(longest_gap));
    EXPECT_GT(total_ms, 40) << "too quick to tell a blocked GUI from a free one";
    EXPECT_LT(start_ms * 4, total_ms);
    EXPECT_GE(ticks, 4);
    EXPECT_LT(longest_gap * 2, total_ms);
}

// Stop after the first pass: the run ends early, the points not run are missing and say so.
TEST_F(ProbesTest, StopEndsTheRunEarly) {
    const ModelCopiesPtr copies = trained_copies(tiny_lesson(20, {}, {{"eval_sequences", 8}}), 2);
    ProbesView view;
    int reports = 0, last_total = 0;
    QObject::connect(view.runner(), &ProbeRunner::progress, &view, [&](int, int total) {
        last_total = total;
        if (++reports == 1) view.findChild<QPushButton*>("stopProbes")->click();
    });
    view.runOnCopies(copies, QString());
    ASSERT_TRUE(wait_for([&] { return !view.isProbing(); }, 120000));
    const ProbeRunPtr res = view.results();
    ASSERT_NE(res, nullptr);
    EXPECT_TRUE(res->stopped);
    EXPECT_LT(reports, last_total);  // A alone would report more than 20 passes
    EXPECT_TRUE(view.statusText().startsWith("stopped")) << view.statusText().toStdString();
    EXPECT_TRUE(view.headline().contains("stopped")) << view.headline().toStdString();
    int missing = 0;
    for (const ProbePoint& p : res->results[0].mask)
        if (!p.available) {
            ++missing;
            EXPECT_NE(p.reason.find("stopped"), std::string::npos) << p.reason;
        }
    EXPECT_GT(missing, 0);
    EXPECT_FALSE(res->ran(1));  // B's turn never came
    EXPECT_TRUE(view.numbersText().contains("B not probed: stopped")) << view.numbersText().toStdString();
    EXPECT_TRUE(view.shownPoints(ProbesView::Mask, 1).empty());
    // The missing points are not drawn.
    EXPECT_EQ(int(view.shownPoints(ProbesView::Mask, 0).size()), int(res->results[0].mask.size()) - missing);
    EXPECT_TRUE(view.findChild<QPushButton*>("runProbes")->isEnabled());
}

// B: a conventional MoE with 4 experts, top-2 and no shared expert. Shared off says so instead of drawing; masking
// r = 3 or 4 of 4 leaves too few experts: those points are not drawn and the numbers give the reason.
TEST_F(ProbesTest, UnavailablePointsAreNotDrawnAndSayWhy) {
    const Lesson lesson = tiny_lesson(
        20, {{"ladder_experts", 4}});
    ProbesView view;
    const ProbeRunPtr res = run_on(view, trained_copies(lesson, 2));
    ASSERT_NE(res, nullptr);
    ASSERT_TRUE(res->ran(0) && res->ran(1));
    const ProbeResults& b = res->results[1];
    ASSERT_EQ(b.n_routed, 4);
    ASSERT_EQ(b.n_shared, 0);
    ASSERT_EQ(b.mask.size(), 5u);  // r = 0..4
    EXPECT_FALSE(b.mask[3].available);
    EXPECT_FALSE(b.mask[4].available);

    view.setXAxis(ProbesView::XAxis::Count);
    std::vector<double> xs;
    for (const QPointF& p : view.shownPoints(ProbesView::Mask, 1)) xs.push_back(p.x());
    EXPECT_EQ(xs, (std::vector<double>{0, 1, 2}));
    view.setXAxis(ProbesView::XAxis::Share);
    xs.clear();
    for (const QPointF& p : view.shownPoints(ProbesView::Mask, 1)) xs.push_back(p.x());
    EXPECT_EQ(xs, (std::vector<double>{0, 0.25, 0.5}));
    const QString numbers = view.numbersText();
    EXPECT_TRUE(numbers.contains("B not drawn: r = 3")) << numbers.toStdString();
    EXPECT_TRUE(numbers.contains(QString::fromStdString(b.mask[3].reason))) << numbers.toStdString();

    // Shared off: A (1 shared expert) drawn on and off; B says it has nothing to switch off.
    EXPECT_EQ(view.shownPoints(ProbesView::SharedOff, 0).size(), 2u);
    EXPECT_TRUE(view.shownPoints(ProbesView::SharedOff, 1).empty());
    EXPECT_TRUE(view.panelNote(ProbesView::SharedOff).contains("B: no shared expert:\nnothing to switch off"))
        << view.panelNote(ProbesView::SharedOff).toStdString();
    EXPECT_TRUE(numbers.contains("B no shared expert: nothing to switch off")) << numbers.toStdString();
    EXPECT_FALSE(view.panelNote(ProbesView::SharedOff).contains("A:"));
}

// A dense model has no routing to probe: it is not drawn and says why; the other model is probed as usual.
TEST_F(ProbesTest, ADenseModelIsNotProbedAndSaysWhy) {
    ProbesView view;
    const ProbeRunPtr res = run_on(view, trained_copies(tiny_lesson(20, {{"preset", "dense"}}), 1));
    ASSERT_NE(res, nullptr);
    EXPECT_TRUE(res->ran(0));
    EXPECT_FALSE(res->ran(1));
    EXPECT_TRUE(res->errors[1].contains("no MoE layer")) << res->errors[1].toStdString();
    EXPECT_TRUE(view.numbersText().contains("B not probed:")) << view.numbersText().toStdString();
    EXPECT_TRUE(view.shownPoints(ProbesView::Mask, 1).empty());
    EXPECT_FALSE(view.shownPoints(ProbesView::Mask, 0).empty());
}

// One loss axis: every panel has the same y range, holding every point of A and B; the points drawn are the
// results (all tokens, then one domain), and the numbers are their differences from the baseline.
TEST_F(ProbesTest, AAndBShareOneLossAxisAndThePointsAreTheResults) {
    ProbesView view;
    // Trained long enough for the experts to matter: masking one costs a visible rise.
    const ProbeRunPtr res = run_on(view, trained_copies(tiny_lesson(40), 40));
    ASSERT_NE(res, nullptr);
    const auto range = view.yRange(ProbesView::Mask);
    EXPECT_LT(range[0], range[1]);
    EXPECT_EQ(view.yRange(ProbesView::SharedOff), range);
    EXPECT_EQ(view.yRange(ProbesView::ActiveK), range);
    for (int panel = 0; panel < 3; ++panel)
        for (int m = 0; m < 2; ++m)
            for (const QPointF& p : view.shownPoints(ProbesView::Panel(panel), m)) {
                EXPECT_GT(p.y(), range[0]);
                EXPECT_LT(p.y(), range[1]);
            }
    for (const int domain : {-1, 1}) {
        SCOPED_TRACE(domain);
        view.setDomain(domain);
        ASSERT_EQ(view.domain(), domain);
        for (int m = 0; m < 2; ++m) {
            const ProbeResults& r = res->results[std::size_t(m)];
            const std::vector<QPointF> shown = view.shownPoints(ProbesView::Mask, m);
            ASSERT_EQ(shown.size(), r.mask.size());
            for (std::size_t i = 0; i < shown.size(); ++i) {
                EXPECT_DOUBLE_EQ(shown[i].x(), r.mask[i].ratio);
                const double loss = domain < 0 ? r.mask[i].loss : r.mask[i].domain_loss[std::size_t(domain)];
                EXPECT_DOUBLE_EQ(shown[i].y(), loss);
            }
        }
        // "top-1: A +0.004, B +0.012": each model's rise over its own baseline, in the view's format.
        QStringList rises;
        for (int m = 0; m < 2; ++m) {
            const ProbeResults& r = res->results[std::size_t(m)];
            const double base = domain < 0 ? r.baseline_loss : r.baseline_domain_loss[std::size_t(domain)];
            const double rise = (domain < 0 ? r.mask[1].loss : r.mask[1].domain_loss[std::size_t(domain)]) - base;
            rises << QString("%1 %2").arg(model_letter_for_test(m), signed_text(rise));
        }
        EXPECT_TRUE(view.numbersText().contains("top-1: " + rises.join(", ")))
            << rises.join(", ").toStdString() << "\n"
            << view.numbersText().toStdString();
    }
    view.setDomain(1);
    EXPECT_TRUE(view.headline().contains(QString::fromStdString(res->domain_names[1])))
        << view.headline().toStdString();
    // Different numbers of experts: the equal-share comparison (1 of 16 ≈ 4 of 63) is spelled out.
    view.setDomain(-1);
    EXPECT_TRUE(view.numbersText().contains("(4 of 63), B")) << view.numbersText().toStdString();
}

// The CSV is the results: one row per point and domain (and "all"), with its loss and difference.
TEST_F(ProbesTest, CsvHoldsTheResults) {
    ProbesView view;
    const ProbeRunPtr res = run_on(view, trained_copies(tiny_lesson(20), 2));
    ASSERT_NE(res, nullptr);
    const std::vector<QStringList> rows = parse_csv(view.csv());
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows[0], (QStringList{"step", "model", "label", "probe", "x", "ratio", "domain", "available", "loss",
                                    "delta", "reason"}));
    const std::size_t domains = res->domain_names.size() + 1;
    std::size_t expected = 1;
    for (const ProbeResults& r : res->results)
        expected += (r.mask.size() + (r.has_shared_off ? 1 : 0) + r.active_k.size()) * domains;
    ASSERT_EQ(rows.size(), expected);
    std::size_t checked = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const QStringList& row = rows[i];
        ASSERT_EQ(row.size(), 11);
        EXPECT_EQ(row[0], "2");
        const int m = row[1] == "A" ? 0 : 1;
        const ProbeResults& r = res->results[std::size_t(m)];
        const int d = row[6] == "all" ? -1 : int(std::find(res->domain_names.begin(), res->domain_names.end(),
                                                              row[6].toStdString()) - res->domain_names.begin());
        const ProbePoint* p = nullptr;
        const std::vector<ProbePoint>& list = row[3] == "mask_top_r" ? r.mask : r.active_k;
        if (row[3] == "shared_off") p = &r.shared_off;
        else
            for (const ProbePoint& q : list)
                if (q.x == row[4].toInt()) p = &q;
        ASSERT_NE(p, nullptr) << row.join(',').toStdString();
        EXPECT_EQ(row[7], p->available ? "1" : "0");
        EXPECT_EQ(row[10].toStdString(), p->reason);
        if (!p->available) {
            EXPECT_TRUE(row[8].isEmpty());
            continue;
        }
        const double loss = d < 0 ? p->loss : p->domain_loss[std::size_t(d)];
        const double base = d < 0 ? r.baseline_loss : r.baseline_domain_loss[std::size_t(d)];
        EXPECT_EQ(row[8].toDouble(), loss) << row.join(',').toStdString();
        EXPECT_NEAR(row[9].toDouble(), loss - base, 1e-12);
        ++checked;
    }
    EXPECT_GT(checked, rows.size() / 2);
}

// Before the first run the figure says what to do (no empty axes) and the CSV is only its header; after a run the
// export writes the figure and the CSV, and no text of the figure collides with another.
TEST_F(ProbesTest, BeforeTheFirstRunItAsksAndExportWritesTheFiles) {
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    ProbesView view;
    view.resize(1200, 720);
    view.show();
    EXPECT_EQ(view.panelNote(ProbesView::Mask), "press Run probes");
    EXPECT_TRUE(view.headline().contains("press Run probes"));
    EXPECT_FALSE(view.plot()->axisRects().front()->axis(QCPAxis::atLeft)->visible());
    EXPECT_EQ(view.csv().count('\n'), 1);
    QString error;
    ASSERT_TRUE(view.exportTo(dir.path(), &error)) << error.toStdString();
    // Nothing to copy from: said, and nothing runs.
    view.runProbes();
    EXPECT_FALSE(view.isProbing());
    EXPECT_FALSE(view.statusText().isEmpty());
    view.runOnCopies(nullptr, "No lesson is loaded yet");
    EXPECT_EQ(view.statusText(), "No lesson is loaded yet");

    ASSERT_NE(run_on(view, trained_copies(tiny_lesson(20), 2)), nullptr);
    EXPECT_TRUE(view.plot()->axisRects().front()->axis(QCPAxis::atLeft)->visible());
    for (int round = 0; round < 4; ++round) {
        view.plot()->replot(QCustomPlot::rpImmediateRefresh);
        QApplication::processEvents();
    }
    EXPECT_EQ(text_collisions(view.plot()).join("\n").toStdString(), "");
    ASSERT_TRUE(view.exportTo(dir.path(), &error)) << error.toStdString();
    const QString base = QDir(dir.path()).filePath("probes");
    for (const char* ext : {".png", ".svg", ".pdf", ".csv"})
        EXPECT_GT(QFileInfo(base + ext).size(), 100) << ext;
    QImage png(base + ".png");
    EXPECT_GT(png.width(), 500);
    QFile csv(base + ".csv");
    ASSERT_TRUE(csv.open(QIODevice::ReadOnly));
    EXPECT_EQ(QString::fromUtf8(csv.readAll()), view.csv());
}

}  // namespace moe::ui

namespace moe::ui {

// With results, in a narrow view and in presentation mode (1.5x text): no title, legend entry, axis label or note
// is drawn over another or cut off (the plot grows and scrolls instead).
TEST_F(ProbesTest, TextStandsApartInNarrowAndPresentationViews) {
    const ModelCopiesPtr copies = trained_copies(tiny_lesson(20), 2);
    for (const double scale : {1.0, 1.5})
        for (const QSize size : {QSize(708, 640), QSize(940, 450), QSize(1300, 700)}) {
            SCOPED_TRACE(QString("%1x%2 at %3x").arg(size.width()).arg(size.height()).arg(scale).toStdString());
            QWidget window;
            QFont font = window.font();
            font.setPointSizeF(font.pointSizeF() * scale);
            window.setFont(font);
            window.resize(size);
            auto* view = new ProbesView(&window);
            view->setGeometry(QRect(QPoint(), size));
            window.show();
            ASSERT_NE(run_on(*view, copies), nullptr);
            for (int round = 0; round < 5; ++round) {
                view->plot()->replot(QCustomPlot::rpImmediateRefresh);
                QApplication::processEvents();
            }
            EXPECT_EQ(text_collisions(view->plot()).join("\n").toStdString(), "");
            EXPECT_GE(view->plot()->height(), content_height(view->plot()));
        }
}

}  // namespace moe::ui
