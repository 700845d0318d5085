// The GUI's training session without widgets: bounded history, lessons, the worker-thread session (same batches for
// A and B, prompt pause, bounded snapshot rate, NaN handling, reset), and run folders written and read back.
#include "core/checkpoint.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"
#include "gpu/device_probe.h"
#include "ui/session/lesson.h"
#include "ui/session/model_history.h"
#include "ui/session/run_folder.h"
#include "ui/session/series.h"
#include "ui/session/training_session.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QThread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <thread>

namespace moe::ui {
namespace {

// Created on first use, never at static-initialisation time (test discovery runs the binary to list the tests).
void ensure_app() {
    static int argc = 1;
    static char name[] = "test_ui_session";
    static char* argv[] = {name, nullptr};
    if (!QCoreApplication::instance()) new QCoreApplication(argc, argv);
}

// Processes events until `done` holds or the time is up.
bool wait_for(const std::function<bool()>& done, int timeout_ms) {
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeout_ms) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        QThread::usleep(200);
    }
    return true;
}

// A lesson small enough for a test to train quickly.
Lesson tiny_lesson(nlohmann::json extra_shared = nlohmann::json::object(), int steps = 300) {
    nlohmann::json j = {
        {"title", "tiny"},
        {"model_a", {{"preset", "deepseek"}}},
        {"model_b", {{"preset", "gshard"}}},
        {"shared",
         {{"hidden_size", 32}, {"num_attention_heads", 2}, {"ffn_base_width", 32}, {"seq_len", 32}, {"batch_size", 4},
          {"corpus_bytes_per_domain", 8000}, {"eval_interval", 10}, {"eval_sequences", 2}, {"routing_interval", 5}}},
        {"probe_text", "Hello, experts! 1+1=2"},
        {"steps", steps}};
    for (const auto& [k, v] : extra_shared.items()) j["shared"][k] = v;
    return lesson_from_json(QByteArray::fromStdString(j.dump()), "tiny.json");
}

// A session in its own thread, observed from the test's (main) thread as the GUI would.
class Harness : public QObject {
public:
    Harness() {
        ensure_app();
        session = new TrainingSession;
        session->moveToThread(&thread);
        connect(&thread, &QThread::finished, session, &QObject::deleteLater);
        connect(session, &TrainingSession::snapshotReady, this, [this](const SnapshotPtr& s) {
            if (last) { EXPECT_GT(s->serial, last->serial); }
            last = s;
            ++snapshots;
        });
        connect(session, &TrainingSession::error, this, [this](const QString& m) { errors << m; });
        connect(session, &TrainingSession::runSaved, this, [this](const QString& dir) { saved = dir; });
        connect(session, &TrainingSession::pointInspected, this,
                [this](const PointInspection& p) { inspections.push_back(p); });
        thread.start();
    }
    ~Harness() override {
        session->requestPause();
        thread.quit();
        thread.wait();
    }
    // Queued, like a GUI's signal-slot call.
    void call(std::function<void(TrainingSession*)> f) {
        QMetaObject::invokeMethod(session, [s = session, f] { f(s); }, Qt::QueuedConnection);
    }
    bool wait_step(int step, int timeout_ms = 20000) {
        return wait_for([&] { return last && last->step == step && !last->running; }, timeout_ms);
    }

    QThread thread;
    TrainingSession* session = nullptr;
    SnapshotPtr last;
    int snapshots = 0;
    QStringList errors;
    QString saved;
    std::vector<PointInspection> inspections;
};

Config lesson_config(const Lesson& l, int model) {
    Config c = model == 0 ? l.model_a : l.model_b;
    c.train.steps = l.steps;
    return c;
}

// ---------------------------------------------------------------------------------------------------------------
// Bounded history

TEST(Series, KeepsCapacityMeanAndEndsOver100kPoints) {
    DownsampledSeries s(2048);
    const int n = 100000;
    double raw_sum = 0;
    for (int i = 1; i <= n; ++i) {
        const double y = std::sin(i * 1e-3) + 1e-5 * i;
        raw_sum += y;
        s.add(i, y);
        ASSERT_LE(s.size(), 2048u) << "after " << i << " points";
    }
    ASSERT_GT(s.size(), 512u);
    // Every stored point but the last stands for `stride` raw points; the last for the rest.
    const double stride = static_cast<double>(s.stride());
    const double rest = n - stride * static_cast<double>(s.size() - 1);
    ASSERT_GT(rest, 0);
    ASSERT_LE(rest, stride);
    double sum = 0;
    for (size_t i = 0; i + 1 < s.size(); ++i) sum += stride * s.y()[i];
    sum += rest * s.y().back();
    EXPECT_NEAR(sum / n, raw_sum / n, 1e-9);
    // The curve spans the same steps: the ends are group centres, within a stride of the first and last x.
    EXPECT_NEAR(s.x().front(), 1 + (stride - 1) / 2, 1e-9);
    EXPECT_NEAR(s.x().back(), n - (rest - 1) / 2, 1e-9);
    EXPECT_LE(s.x().back(), n);
    for (size_t i = 1; i < s.size(); ++i) ASSERT_LT(s.x()[i - 1], s.x()[i]);
}

TEST(Series, SmallHistoriesAreKeptExactly) {
    DownsampledSeries s(8);
    for (int i = 0; i < 7; ++i) s.add(i, 10 * i);
    ASSERT_EQ(s.size(), 7u);
    EXPECT_EQ(s.x()[3], 3);
    EXPECT_EQ(s.y()[6], 60);
    s.clear();
    EXPECT_EQ(s.size(), 0u);
}

TEST(Series, RowsStayBoundedAndAveraged) {
    DownsampledRows r(256);
    for (int i = 1; i <= 100000; ++i) {
        r.add(i, {1.0, static_cast<double>(i % 2), 0.25});
        ASSERT_LE(r.size(), 256u);
    }
    ASSERT_EQ(r.x().size(), r.rows().size());
    for (const auto& row : r.rows()) {
        ASSERT_EQ(row.size(), 3u);
        EXPECT_DOUBLE_EQ(row[0], 1.0);
        EXPECT_NEAR(row[1], 0.5, 1e-9);
        EXPECT_DOUBLE_EQ(row[2], 0.25);
    }
}

TEST(Series, ModelHistoryMemoryIsFlatOver100kSteps) {
    ModelConfig mc;
    ModelHistory h(mc);
    for (int step = 1; step <= 100000; ++step) {
        StepMetrics m;
        m.step = step;
        m.loss = 5.0 / step;
        m.val_loss = step % 50 == 0 ? 4.0 : std::nan("");
        if (step % 10 == 0) {
            RoutingStats s;
            s.layer = 1;
            s.load = {3, 0, 5, 8};
            s.mean_prob = {0.2, 0.1, 0.3, 0.4};
            s.domain_load = {{1, 0, 2, 3}, {2, 0, 3, 5}};
            m.routing.push_back(s);
        }
        h.add_step(m);
    }
    ModelSnapshot s;
    h.fill(s);
    EXPECT_LE(s.loss.x.size(), 2048u);
    EXPECT_LE(s.val_loss.x.size(), 2048u);
    EXPECT_DOUBLE_EQ(s.final_val_loss, 4.0);
    ASSERT_EQ(s.layers.size(), 1u);
    const LayerSnapshot& l = s.layers[0];
    EXPECT_LE(l.util_rows.size(), 256u);
    EXPECT_EQ(l.n_routed, 4);
    EXPECT_DOUBLE_EQ(l.load_fraction[3], 0.5);
    EXPECT_TRUE(l.dead[1]);
    EXPECT_EQ(l.balance.dead_experts, 1);
    EXPECT_DOUBLE_EQ(l.domain_load[1][3], 5.0 * 10000);  // accumulated over the 10000 samples
}

// ---------------------------------------------------------------------------------------------------------------
// Lessons

TEST(Lesson, EveryBundledLessonLoadsAndRoundTrips) {
    ensure_app();
    const QStringList paths = bundled_lessons();
    ASSERT_GE(paths.size(), 4);
    EXPECT_TRUE(paths.front().endsWith("01-ladder.json")) << paths.front().toStdString();
    QStringList sorted = paths;
    sorted.sort();
    EXPECT_EQ(sorted, paths);
    for (const QString& path : paths) {
        SCOPED_TRACE(path.toStdString());
        Lesson l;
        ASSERT_NO_THROW(l = load_lesson(path));
        EXPECT_FALSE(l.title.isEmpty());
        EXPECT_GT(l.text.size(), 80);
        EXPECT_GT(l.steps, 0);
        EXPECT_EQ(l.model_a.train.steps, l.steps);
        EXPECT_NO_THROW(check_same_data(l.model_a, l.model_b));
        if (l.model_a.data.dataset == "corpus") { EXPECT_FALSE(l.probe_text.isEmpty()); }
        const Lesson back = lesson_from_json(lesson_to_json(l), path);
        EXPECT_EQ(config_to_json(back.model_a), config_to_json(l.model_a)) << lesson_to_json(l).toStdString();
        EXPECT_EQ(config_to_json(back.model_b), config_to_json(l.model_b)) << lesson_to_json(l).toStdString();
        EXPECT_EQ(back.title, l.title);
        EXPECT_EQ(back.probe_text, l.probe_text);
        EXPECT_EQ(back.hidden_controls, l.hidden_controls);
        EXPECT_EQ(back.steps, l.steps);
    }
    // The default lesson is the paper's ladder: equal activated expert parameters in A and B.
    const Lesson ladder = load_lesson(paths.front());
    EXPECT_EQ(account(ladder.model_a).experts_activated, account(ladder.model_b).experts_activated);
    EXPECT_EQ(account(ladder.model_a).experts_total, account(ladder.model_b).experts_total);
}

TEST(Lesson, SharedKeysThenModelKeys) {
    const Lesson l = lesson_from_json(R"({"model_a": {"preset": "gshard", "hidden_size": 48, "num_attention_heads": 4},
                                          "model_b": {"preset": "fine2", "n_shared_experts": 0},
                                          "shared": {"hidden_size": 32, "learning_rate": 0.01}, "steps": 123})",
                                      "x.json");
    EXPECT_EQ(l.model_a.preset, "gshard");
    EXPECT_EQ(l.model_a.model.hidden_size, 48);
    EXPECT_EQ(l.model_b.model.hidden_size, 32);
    EXPECT_EQ(l.model_b.model.n_routed_experts, 32);  // the ladder re-derived with K_s = 0
    EXPECT_EQ(l.model_b.model.num_experts_per_tok, 4);
    EXPECT_DOUBLE_EQ(l.model_b.train.learning_rate, 0.01);
    EXPECT_EQ(l.steps, 123);
    EXPECT_EQ(l.label_a, "A");
}

std::string config_error(const std::string& json) {
    try {
        lesson_from_json(QByteArray::fromStdString(json), "/some/where/bad-lesson.json");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no ConfigError)";
}

TEST(Lesson, ErrorsNameTheFileAndTheProblem) {
    const std::string malformed = config_error(R"({"model_a": {"preset": "gshard"}, )");
    EXPECT_NE(malformed.find("bad-lesson.json"), std::string::npos) << malformed;
    EXPECT_NE(malformed.find("JSON"), std::string::npos) << malformed;

    const std::string unknown =
        config_error(R"({"modle_a": {}, "model_a": {}, "model_b": {}, "learning_rate": 0.1})");
    EXPECT_NE(unknown.find("bad-lesson.json"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("\"modle_a\""), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("\"learning_rate\""), std::string::npos) << unknown;

    const std::string impossible = config_error(R"({"model_a": {"preset": "switch", "num_experts_per_tok": 40},
                                                     "model_b": {"preset": "gshard"}})");
    EXPECT_NE(impossible.find("bad-lesson.json"), std::string::npos) << impossible;
    EXPECT_NE(impossible.find("model_a"), std::string::npos) << impossible;
    EXPECT_NE(impossible.find("num_experts_per_tok"), std::string::npos) << impossible;

    const std::string typo = config_error(R"({"model_a": {}, "model_b": {}, "shared": {"learning_rat": 0.1}})");
    EXPECT_NE(typo.find("did you mean \"learning_rate\""), std::string::npos) << typo;

    const std::string bad_preset = config_error(R"({"model_a": {"preset": "deepseak"}, "model_b": {}})");
    EXPECT_NE(bad_preset.find("unknown preset"), std::string::npos) << bad_preset;

    const std::string missing = config_error(R"({"model_a": {}})");
    EXPECT_NE(missing.find("model_b"), std::string::npos) << missing;

    EXPECT_THROW(load_lesson("/no/such/lesson.json"), ConfigError);
}

TEST(Lesson, CheckSameDataRejectsDifferentSeeds) {
    const std::string msg = config_error(R"({"model_a": {}, "model_b": {"seed": 2}})");
    EXPECT_NE(msg.find("\"seed\""), std::string::npos) << msg;
    Config a = resolve_config("deepseek", "", {}), b = resolve_config("gshard", "", {});
    EXPECT_NO_THROW(check_same_data(a, b));
    b.train.seed = 7;
    EXPECT_THROW(check_same_data(a, b), ConfigError);
    b = a;
    b.train.batch_size = 3;
    EXPECT_THROW(check_same_data(a, b), ConfigError);
}

// The aux-loss lesson must show its point early: without the balance loss the routers collapse onto a few experts.
TEST(Lesson, AuxLossLessonShowsCollapseWithoutTheBalanceLoss) {
    ensure_app();
    const Lesson l = load_lesson(":/lessons/02-aux-loss.json");
    ASSERT_EQ(l.model_a.model.aux_loss_alpha, 0.0);
    ASSERT_GT(l.model_b.model.aux_loss_alpha, 0.0);
    Trainer a(lesson_config(l, 0)), b(lesson_config(l, 1));
    const int steps = 150, window = 50;
    const size_t layers = l.model_a.model.num_hidden_layers;
    std::vector<double> imbalance[2], dead[2];
    for (int m = 0; m < 2; ++m) imbalance[m].assign(layers, 0.0), dead[m].assign(layers, 0.0);
    for (int s = 1; s <= steps; ++s) {
        const StepMetrics m[2] = {a.train_step(), b.train_step()};
        if (s <= steps - window) continue;
        for (int i = 0; i < 2; ++i)
            for (size_t k = 0; k < layers; ++k) {
                imbalance[i][k] += m[i].balance[k].imbalance / window;
                dead[i][k] += static_cast<double>(m[i].balance[k].dead_experts) / window;
            }
    }
    double worst[2] = {0, 0}, most_dead[2] = {0, 0};
    for (int i = 0; i < 2; ++i)
        for (size_t k = 0; k < layers; ++k) {
            std::printf("[ measured ] %s layer %zu, steps %d-%d: imbalance %.2f, dead experts %.1f of 16\n",
                        i == 0 ? "alpha 0   " : "alpha 0.01", k, steps - window + 1, steps, imbalance[i][k],
                        dead[i][k]);
            worst[i] = std::max(worst[i], imbalance[i][k]);
            most_dead[i] = std::max(most_dead[i], dead[i][k]);
        }
    EXPECT_GT(worst[0], 1.5 * worst[1]);
    EXPECT_GT(most_dead[0], most_dead[1] + 1.5);
}

// ---------------------------------------------------------------------------------------------------------------
// The session in a worker thread

TEST(Session, StepTrainsBothModelsOnTheSameBatch) {
    const Lesson lesson = tiny_lesson();
    Harness h;
    h.call([lesson](TrainingSession* s) { s->configure(lesson); });
    ASSERT_TRUE(h.wait_step(0));
    EXPECT_EQ(h.last->models[0].loss.x.size(), 0u);
    h.call([](TrainingSession* s) { s->step(); });
    ASSERT_TRUE(h.wait_step(1));
    ASSERT_TRUE(h.errors.isEmpty()) << h.errors.join("; ").toStdString();
    const Snapshot& snap = *h.last;
    EXPECT_EQ(snap.target_steps, 300);
    EXPECT_EQ(h.session->stepsDone(), 1);
    const double loss_a = snap.models[0].loss.y.at(0), loss_b = snap.models[1].loss.y.at(0);
    EXPECT_NE(loss_a, loss_b);  // different models

    // Two standalone trainers give the same first losses: each model was trained on batch 0...
    Trainer ta(lesson_config(lesson, 0)), tb(lesson_config(lesson, 1));
    EXPECT_EQ(ta.train_step().loss, loss_a);
    EXPECT_EQ(tb.train_step().loss, loss_b);
    // ...and batch 0 is the same for both.
    const TrainConfig& t = lesson.model_a.train;
    EXPECT_EQ(ta.dataset().train_batch(0, t.batch_size, t.seq_len).inputs,
              tb.dataset().train_batch(0, t.batch_size, t.seq_len).inputs);

    // The rest of the snapshot: routing of step 1, accounting, probe.
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snap.models[m];
        EXPECT_TRUE(ms.language);
        EXPECT_EQ(ms.label, m == 0 ? "A" : "B");
        EXPECT_GT(ms.accounting.total(), 0);
        ASSERT_EQ(ms.layers.size(), 2u);
        for (const LayerSnapshot& l : ms.layers) {
            EXPECT_EQ(static_cast<int>(l.load_fraction.size()), ms.config.model.n_routed_experts);
            double sum = 0;
            for (double f : l.load_fraction) sum += f;
            EXPECT_NEAR(sum, 1.0, 1e-9);
            EXPECT_EQ(l.domain_load.size(), ms.domain_names.size());
            EXPECT_EQ(l.util_rows.size(), 1u);
        }
        ASSERT_EQ(ms.probe.size(), 2u);
        EXPECT_EQ(ms.probe_text, "Hello, experts! 1+1=2");
        const ProbeLayer& p = ms.probe[0];
        ASSERT_EQ(p.scores.size(), ms.probe_text.size());
        double ps = 0;
        for (float x : p.scores[3]) ps += x;
        EXPECT_NEAR(ps, 1.0, 1e-4);
        EXPECT_EQ(static_cast<int>(p.topk_idx[3].size()), ms.config.model.num_experts_per_tok);
        for (float share : p.shared_share) {
            if (ms.config.model.n_shared_experts == 0) { EXPECT_EQ(share, 0.0f); }
            EXPECT_GE(share, 0.0f);
            EXPECT_LE(share, 1.0f);
        }
        if (ms.config.model.n_shared_experts > 0) { EXPECT_GT(p.shared_share[0], 0.0f); }
    }

    // A new probe text is run at once while paused.
    const int before = h.snapshots;
    h.call([](TrainingSession* s) { s->setProbeText("abc"); });
    ASSERT_TRUE(wait_for([&] { return h.snapshots > before; }, 10000));
    EXPECT_EQ(h.last->models[0].probe_text, "abc");
    EXPECT_EQ(h.last->models[0].probe[0].scores.size(), 3u);
}

TEST(Session, PauseIsPromptOnTheDefaultLesson) {
    ensure_app();
    const Lesson lesson = load_lesson(bundled_lessons().front());
    Harness h;
    h.call([lesson](TrainingSession* s) {
        s->configure(lesson);
        s->setSpeed(0);
        s->play();
    });
    ASSERT_TRUE(wait_for([&] { return h.session->stepsDone() >= 3; }, 60000));
    EXPECT_TRUE(h.session->isRunning());

    // Time a few steps, then ask for the pause in the middle of one, as a teacher's click would land.
    using Clock = std::chrono::steady_clock;
    auto next_step = [&] {
        const int n = h.session->stepsDone();
        while (h.session->stepsDone() == n) std::this_thread::sleep_for(std::chrono::microseconds(50));
        return Clock::now();
    };
    const auto first = next_step();
    auto end = first;
    for (int i = 0; i < 3; ++i) end = next_step();
    const auto step_time = (end - first) / 3;
    std::this_thread::sleep_for(step_time / 2);
    const auto t0 = Clock::now();
    h.session->requestPause();
    h.call([](TrainingSession* s) { s->pause(); });
    // Watch the step counter: the step in flight may still finish, nothing after it.
    const int at_request = h.session->stepsDone();
    int seen = at_request;
    auto last_change = t0;
    while (Clock::now() - t0 < std::chrono::milliseconds(300)) {
        const int now = h.session->stepsDone();
        if (now != seen) {
            seen = now;
            last_change = Clock::now();
        }
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    const double latency_ms = std::chrono::duration<double, std::milli>(last_change - t0).count();
    std::printf("[ measured ] default lesson: %.1f ms per step of A and B; pause latency %.1f ms (stopped at %d)\n",
                std::chrono::duration<double, std::milli>(step_time).count(), latency_ms, seen);
    // The step in flight may finish, none after it; and it stops within that step (plus a margin for the event
    // loop), so the bound follows the build's speed (a sanitizer build steps several times slower).
    EXPECT_LE(seen - at_request, 1);
    const double step_ms = std::chrono::duration<double, std::milli>(step_time).count();
    EXPECT_LT(latency_ms, std::max(250.0, 2.0 * step_ms + 50.0));
    // And it stays stopped.
    ASSERT_TRUE(wait_for([&] { return h.last && !h.last->running; }, 5000));
    const int stopped_at = h.session->stepsDone();
    wait_for([] { return false; }, 300);
    EXPECT_EQ(h.session->stepsDone(), stopped_at);
    EXPECT_FALSE(h.session->isRunning());
    EXPECT_EQ(h.last->step, stopped_at);
    EXPECT_TRUE(h.errors.isEmpty()) << h.errors.join("; ").toStdString();
}

TEST(Session, SnapshotsArriveAtMost30TimesASecond) {
    const Lesson lesson = tiny_lesson({}, 100000);
    Harness h;
    h.call([lesson](TrainingSession* s) { s->configure(lesson); });
    ASSERT_TRUE(h.wait_step(0));
    const int before = h.snapshots;
    const int steps_before = h.session->stepsDone();
    QElapsedTimer t;
    t.start();
    h.call([](TrainingSession* s) { s->play(); });
    wait_for([] { return false; }, 1500);
    h.session->requestPause();
    const double seconds = t.elapsed() / 1000.0;
    const int received = h.snapshots - before;
    const int steps = h.session->stepsDone() - steps_before;
    const double rate = received / seconds;
    std::printf("[ measured ] %d snapshots in %.2f s (%.1f Hz) for %d steps (%.0f steps/s)\n", received, seconds, rate,
                steps, steps / seconds);
    // The cap can only be seen when the engine steps faster than it; a much slower build (sanitizers) says so.
    if (steps <= 30 * seconds)
        GTEST_SKIP() << "this build steps at " << steps / seconds << " steps/s, below the 30 Hz cap being tested";
    EXPECT_GT(steps, received);  // faster than the snapshot rate: the cap is what is being tested
    EXPECT_LE(received, 30 * seconds + 3);  // + the forced ones after play and pause
    EXPECT_GE(received, 5);
    ASSERT_TRUE(wait_for([&] { return h.last && !h.last->running; }, 5000));
    EXPECT_GT(h.last->models[0].loss.x.size(), 0u);
}

TEST(Session, SpeedCapPacesTheSteps) {
    const Lesson lesson = tiny_lesson({}, 100000);
    Harness h;
    // This build's own rate first, uncapped: the lower bound below follows it (a sanitizer build is many times
    // slower than Release), so it tests the cap and not the machine.
    h.call([lesson](TrainingSession* s) {
        s->configure(lesson);
        s->setSpeed(0);
        s->play();
    });
    QElapsedTimer t;
    t.start();
    wait_for([] { return false; }, 500);
    h.session->requestPause();
    const double free_rate = h.session->stepsDone() / (t.elapsed() / 1000.0);
    ASSERT_TRUE(wait_for([&] { return h.last && !h.last->running; }, 5000));

    const int before = h.session->stepsDone();
    h.call([](TrainingSession* s) {
        s->setSpeed(20);
        s->play();
    });
    t.start();
    wait_for([] { return false; }, 1000);
    h.session->requestPause();
    const double seconds = t.elapsed() / 1000.0;
    const int steps = h.session->stepsDone() - before;
    std::printf("[ measured ] %d steps in %.2f s at a cap of 20 steps/s (uncapped: %.0f steps/s)\n", steps, seconds,
                free_rate);
    EXPECT_LE(steps, 20 * seconds + 4);  // the cap holds
    // And it does not throttle below the cap: at least 80 % of the cap, or of the build's own rate if that is lower.
    EXPECT_GE(steps, 0.8 * std::min(20.0, free_rate) * seconds - 1);
}

TEST(Session, NaNReportsTheStepAndStops) {
    const Lesson lesson = tiny_lesson({{"learning_rate", 1e30}, {"warmup_steps", 0}, {"grad_clip", 0}});
    Harness h;
    h.call([lesson](TrainingSession* s) {
        s->configure(lesson);
        s->play();
    });
    ASSERT_TRUE(wait_for([&] { return !h.errors.isEmpty(); }, 60000));
    const std::string msg = h.errors.front().toStdString();
    EXPECT_NE(msg.find("step"), std::string::npos) << msg;
    ASSERT_TRUE(wait_for([&] { return h.last && !h.last->running; }, 5000));
    EXPECT_FALSE(h.session->isRunning());
    const int stopped_at = h.session->stepsDone();
    EXPECT_LT(stopped_at, 300);
    wait_for([] { return false; }, 200);
    EXPECT_EQ(h.session->stepsDone(), stopped_at);
    // The last snapshot is the last good state.
    EXPECT_EQ(h.last->step, stopped_at);
    for (double y : h.last->models[0].loss.y) EXPECT_TRUE(std::isfinite(y));
    // Reset recovers.
    h.call([](TrainingSession* s) { s->reset(); });
    ASSERT_TRUE(h.wait_step(0));
}

TEST(Session, ResetGoesBackToStepZeroAndTheSameFirstLoss) {
    const Lesson lesson = tiny_lesson();
    Harness h;
    h.call([lesson](TrainingSession* s) {
        s->configure(lesson);
        s->step();
    });
    ASSERT_TRUE(h.wait_step(1));
    const double first_a = h.last->models[0].loss.y.at(0), first_b = h.last->models[1].loss.y.at(0);
    h.call([](TrainingSession* s) {
        s->step();
        s->step();
    });
    ASSERT_TRUE(h.wait_step(3));
    h.call([](TrainingSession* s) { s->reset(); });
    ASSERT_TRUE(h.wait_step(0));
    EXPECT_EQ(h.session->stepsDone(), 0);
    EXPECT_TRUE(h.last->models[0].loss.y.empty());
    EXPECT_TRUE(h.last->models[0].layers.empty());
    h.call([](TrainingSession* s) { s->step(); });
    ASSERT_TRUE(h.wait_step(1));
    EXPECT_EQ(h.last->models[0].loss.y.at(0), first_a);
    EXPECT_EQ(h.last->models[1].loss.y.at(0), first_b);
}

TEST(Session, StopsAtTheLessonsLength) {
    const Lesson lesson = tiny_lesson({}, 12);
    Harness h;
    h.call([lesson](TrainingSession* s) {
        s->configure(lesson);
        s->play();
    });
    ASSERT_TRUE(h.wait_step(12, 60000));
    wait_for([] { return false; }, 200);
    EXPECT_EQ(h.session->stepsDone(), 12);
    EXPECT_FALSE(h.session->isRunning());
    EXPECT_FALSE(std::isnan(h.last->models[0].final_val_loss));  // evaluated at the last step
}

TEST(Session, BadLessonReportsAnErrorAndKeepsTheOldOne) {
    const Lesson good = tiny_lesson();
    Lesson bad = good;
    bad.model_b.train.seed = 99;  // different batches
    Harness h;
    h.call([good, bad](TrainingSession* s) {
        s->configure(good);
        s->configure(bad);
        s->step();
    });
    ASSERT_TRUE(h.wait_step(1));
    ASSERT_EQ(h.errors.size(), 1);
    EXPECT_TRUE(h.errors.front().contains("seed")) << h.errors.front().toStdString();
}

TEST(Session, TwoDimensionalPlaneAndPointInspection) {
    ensure_app();
    Lesson lesson = load_lesson(":/lessons/04-spirals.json");
    Harness h;
    h.call([lesson](TrainingSession* s) {
        s->configure(lesson);
        s->step();
    });
    ASSERT_TRUE(h.wait_step(1));
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = h.last->models[m];
        EXPECT_FALSE(ms.language);
        EXPECT_TRUE(ms.probe.empty());
        const PlaneSnapshot& p = ms.plane;
        EXPECT_EQ(p.grid, 48);
        EXPECT_EQ(p.n_classes, 4);
        ASSERT_EQ(p.predicted_class.size(), 48u * 48u);
        ASSERT_EQ(p.top1_expert.size(), static_cast<size_t>(ms.config.model.num_hidden_layers));
        for (int e : p.top1_expert[0]) {
            ASSERT_GE(e, 0);
            ASSERT_LT(e, ms.config.model.n_routed_experts);
        }
        for (int c : p.predicted_class) ASSERT_TRUE(c >= 0 && c < 4);
        EXPECT_EQ(p.labels.size(), 2000u);
        EXPECT_EQ(p.points.size(), 2 * p.labels.size());
    }
    h.call([](TrainingSession* s) { s->inspectPoint(1, 0.5, -0.25); });
    ASSERT_TRUE(wait_for([&] { return !h.inspections.empty(); }, 10000));
    const PointInspection& pi = h.inspections.front();
    EXPECT_EQ(pi.model, 1);
    EXPECT_DOUBLE_EQ(pi.x, 0.5);
    ASSERT_EQ(pi.class_probs.size(), 4u);
    double sum = 0;
    for (float p : pi.class_probs) sum += p;
    EXPECT_NEAR(sum, 1.0, 1e-5);
    ASSERT_EQ(pi.layers.size(), 2u);
    EXPECT_EQ(pi.layers[0].topk_idx.at(0).size(), 2u);  // gshard: top-2
}

// ---------------------------------------------------------------------------------------------------------------
// Run folders

TEST(RunFolder, LoadsWhatTheEngineWrote) {
    ensure_app();
    QTemporaryDir tmp;
    ASSERT_TRUE(tmp.isValid());
    const Lesson lesson = tiny_lesson({}, 5);
    const Config config = lesson_config(lesson, 0);
    Trainer trainer(config);
    RunWriter writer(tmp.path().toStdString(), config, trainer.dataset().domain_names());
    std::vector<StepMetrics> steps;
    for (int s = 0; s < 5; ++s) {
        steps.push_back(trainer.train_step());
        writer.add(steps.back());
    }
    writer.flush();
    save_checkpoint(std::filesystem::path(tmp.path().toStdString()) / "model.safetensors", trainer.model(), true, 256);

    const RunData run = load_run_folder(tmp.path());
    EXPECT_EQ(config_to_json(run.config), config_to_json(config));
    const ModelSnapshot& s = run.snapshot;
    ASSERT_EQ(s.loss.y.size(), 5u);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(s.loss.x[i], i + 1);
        EXPECT_EQ(s.loss.y[i], steps[i].loss);  // csv_number writes the shortest text that reads back exactly
        EXPECT_EQ(s.aux_loss.y[i], steps[i].aux_loss);
        EXPECT_EQ(s.grad_norm.y[i], steps[i].grad_norm);
    }
    ASSERT_EQ(s.val_loss.y.size(), 1u);  // the empty cells are skipped
    EXPECT_EQ(s.val_loss.x[0], 5);
    EXPECT_EQ(s.final_val_loss, steps[4].val_loss);
    EXPECT_EQ(run.domains.size(), trainer.dataset().domain_names().size());
    EXPECT_EQ(s.label, QFileInfo(tmp.path()).fileName());
    EXPECT_GT(s.accounting.total(), 0);
    ASSERT_EQ(s.layers.size(), 2u);
    // Routing samples at steps 1 and 5 (routing_interval 5): the latest is step 5.
    const RoutingStats& r = steps[4].routing.at(1);
    const LayerSnapshot& l = s.layers[1];
    EXPECT_EQ(l.layer, r.layer);
    EXPECT_EQ(l.util_steps, (std::vector<double>{1, 5}));
    int64_t total = 0;
    for (auto x : r.load) total += x;
    for (size_t e = 0; e < r.load.size(); ++e) {
        EXPECT_NEAR(l.load_fraction[e], static_cast<double>(r.load[e]) / total, 1e-12);
        EXPECT_EQ(l.dead[e], r.load[e] == 0);
    }
    EXPECT_EQ(l.balance.imbalance, steps[4].balance[1].imbalance);
    EXPECT_EQ(l.balance.dead_experts, steps[4].balance[1].dead_experts);
    const auto& first = steps[0].routing.at(1).domain_load;
    for (size_t d = 0; d < r.domain_load.size(); ++d)
        EXPECT_EQ(l.domain_load[d][3], static_cast<double>(first[d][3] + r.domain_load[d][3]));
}

TEST(RunFolder, MissingOrMalformedFilesThrowFileError) {
    ensure_app();
    try {
        load_run_folder("/no/such/run-folder");
        FAIL() << "expected a FileError";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("/no/such/run-folder"), std::string::npos) << e.what();
    }
    QTemporaryDir tmp;
    const std::filesystem::path dir = tmp.path().toStdString();
    EXPECT_THROW(load_run_folder(tmp.path()), FileError);  // no config.json
    write_file_atomic(dir / "config.json", config_to_json(resolve_config("gshard", "", {})).dump());
    write_file_atomic(dir / "metrics.csv", "step,loss,aux_loss,val_loss\n1,5.5,0.1,\n2,5.4\n");
    write_file_atomic(dir / "routing.csv", "step,layer,expert,load,load_fraction,mean_prob\n");
    try {
        load_run_folder(tmp.path());
        FAIL() << "expected a FileError";
    } catch (const FileError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("metrics.csv"), std::string::npos) << msg;
        EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
    }
    write_file_atomic(dir / "metrics.csv", "step,loss,aux_loss,val_loss\n1,5.5,0.1,\n2,oops,0.1,\n");
    try {
        load_run_folder(tmp.path());
        FAIL() << "expected a FileError";
    } catch (const FileError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("oops"), std::string::npos) << msg;
        EXPECT_NE(msg.find("loss"), std::string::npos) << msg;
    }
    write_file_atomic(dir / "metrics.csv", "step,loss,aux_loss,val_loss\n1,5.5,0.1,\n");
    std::filesystem::remove(dir / "routing.csv");
    EXPECT_THROW(load_run_folder(tmp.path()), FileError);
}

TEST(RunFolder, SaveRunWritesLoadableFolders) {
    const Lesson lesson = tiny_lesson();
    QTemporaryDir tmp;
    ASSERT_TRUE(tmp.isValid());
    const QString out = QDir(tmp.path()).filePath("saved");
    Harness h;
    h.call([lesson](TrainingSession* s) {
        s->configure(lesson);
        s->saveRun("/unused");  // nothing trained yet: an error, no folder
        for (int i = 0; i < 6; ++i) s->step();
    });
    ASSERT_TRUE(h.wait_step(6));
    ASSERT_EQ(h.errors.size(), 1);
    h.call([out](TrainingSession* s) { s->saveRun(out); });
    ASSERT_TRUE(wait_for([&] { return !h.saved.isEmpty(); }, 20000)) << h.errors.join("; ").toStdString();
    EXPECT_EQ(h.saved, out);
    for (int m = 0; m < 2; ++m) {
        const QString dir = QDir(out).filePath(m == 0 ? "A" : "B");
        const RunData run = load_run_folder(dir);
        const ModelSnapshot& live = h.last->models[m];
        EXPECT_EQ(run.snapshot.loss.y, live.loss.y);
        EXPECT_EQ(run.snapshot.loss.x, live.loss.x);
        EXPECT_EQ(config_to_json(run.config), config_to_json(live.config));
        ASSERT_EQ(run.snapshot.layers.size(), live.layers.size());
        EXPECT_EQ(run.snapshot.layers[0].load_fraction, live.layers[0].load_fraction);
        EXPECT_EQ(run.snapshot.layers[0].domain_load, live.layers[0].domain_load);
        const LoadedCheckpoint ckpt = load_checkpoint(std::filesystem::path(dir.toStdString()) / "model.safetensors");
        EXPECT_EQ(config_to_json(ckpt.config), config_to_json(live.config));
        EXPECT_GT(ckpt.model->num_parameters(), 0);
    }
}

}  // namespace
}  // namespace moe::ui

// ---------------------------------------------------------------------------------------------------------------
// Compute device

namespace moe::ui {
namespace {

TEST(SessionDevice, EmulatedGpuStepTrainsLikeTheCpuAndSaysWhereItRuns) {
    const Lesson lesson = tiny_lesson({}, 20);
    Harness cpu, gpu;
    cpu.call([lesson](TrainingSession* s) { s->configure(lesson); });
    gpu.call([lesson](TrainingSession* s) {
        s->configure(lesson);
        s->setComputeDevice("emulated");
    });
    for (int i = 0; i < 5; ++i) {
        cpu.call([](TrainingSession* s) { s->step(); });
        gpu.call([](TrainingSession* s) { s->step(); });
    }
    ASSERT_TRUE(cpu.wait_step(5));
    ASSERT_TRUE(gpu.wait_step(5));
    EXPECT_TRUE(gpu.errors.isEmpty()) << gpu.errors.join("; ").toStdString();
    for (int m = 0; m < 2; ++m) {
        EXPECT_EQ(cpu.last->models[m].device, "CPU");
        EXPECT_TRUE(gpu.last->models[m].device.startsWith("emulated")) << gpu.last->models[m].device.toStdString();
        ASSERT_FALSE(gpu.last->models[m].loss.y.empty());
        EXPECT_NEAR(gpu.last->models[m].loss.y.back(), cpu.last->models[m].loss.y.back(), 1e-4);
    }
}

TEST(SessionDevice, CudaWithoutAGpuSaysSoAndTrainsOnTheCpu) {
    if (gpu::probe_device().usable) GTEST_SKIP() << "a GPU is present: the fallback cannot be seen here";
    Harness h;
    h.call([](TrainingSession* s) {
        s->configure(tiny_lesson({}, 20));
        s->setComputeDevice("cuda");
        s->step();
    });
    ASSERT_TRUE(h.wait_step(1));
    ASSERT_FALSE(h.errors.isEmpty());
    EXPECT_TRUE(h.errors.front().contains("CUDA was chosen, but no usable CUDA GPU")) << h.errors.front().toStdString();
    EXPECT_TRUE(h.errors.front().contains("train on the CPU")) << h.errors.front().toStdString();
    EXPECT_EQ(h.last->models[0].device, "CPU");
}

}  // namespace
}  // namespace moe::ui
