#include "ui/window/gui_benchmark.h"

#include "ui/session/training_session.h"
#include "ui/window/headless.h"
#include "ui/window/main_window.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

namespace moe::ui {
namespace {

constexpr int kProbeMs = 5;

// Resident memory of this process in MiB (Linux: VmRSS of /proc/self/status; 0 elsewhere).
double resident_mib() {
    QFile status("/proc/self/status");
    if (!status.open(QIODevice::ReadOnly)) return 0;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:")) return line.mid(6).trimmed().split(' ').front().toDouble() / 1024.0;
    return 0;
}

// Measures how late a 5 ms timer fires in the GUI thread.
class LatencyProbe {
public:
    LatencyProbe() {
        timer_.setTimerType(Qt::PreciseTimer);
        timer_.setInterval(kProbeMs);
        QObject::connect(&timer_, &QTimer::timeout, [this] {
            const qint64 now = clock_.nsecsElapsed();
            lateness_ms_.push_back(std::max(0.0, (now - last_) / 1e6 - kProbeMs));
            last_ = now;
        });
    }
    void start() {
        lateness_ms_.clear();
        clock_.start();
        last_ = 0;
        timer_.start();
    }
    void stop() { timer_.stop(); }
    double mean() const {
        return lateness_ms_.empty() ? 0
                                    : std::accumulate(lateness_ms_.begin(), lateness_ms_.end(), 0.0) /
                                          lateness_ms_.size();
    }
    double quantile(double q) const {
        if (lateness_ms_.empty()) return 0;
        std::vector<double> v = lateness_ms_;
        const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5));
        std::nth_element(v.begin(), v.begin() + k, v.end());
        return v[k];
    }
    double max() const {
        return lateness_ms_.empty() ? 0 : *std::max_element(lateness_ms_.begin(), lateness_ms_.end());
    }
    size_t samples() const { return lateness_ms_.size(); }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = 0;
    std::vector<double> lateness_ms_;
};

void wait_ms(int ms) {
    QEventLoop loop;
    QTimer::singleShot(ms, Qt::PreciseTimer, &loop, &QEventLoop::quit);
    loop.exec();
}

// Waits until the session has published its first snapshot of a freshly configured lesson.
bool wait_ready(MainWindow& window) {
    QString error;
    QEventLoop loop;
    QObject::connect(&window, &MainWindow::snapshotShown, &loop, &QEventLoop::quit);
    QObject::connect(&window, &MainWindow::errorShown, &loop, [&](const QString& m) {
        error = m;
        loop.quit();
    });
    if (!window.latestSnapshot()) loop.exec();
    if (!error.isEmpty()) std::fprintf(stderr, "moelab: %s\n", error.simplified().toUtf8().constData());
    return error.isEmpty();
}

const char* kTinyLesson = R"json({
  "title": "Tiny lesson (memory benchmark)",
  "model_a": {"preset": "deepseek"}, "model_b": {"preset": "gshard"},
  "shared": {"dataset": "corpus", "hidden_size": 32, "seq_len": 32, "batch_size": 4,
             "corpus_bytes_per_domain": 8000, "seed": 1}
})json";

}  // namespace

int run_gui_benchmark(double seconds, const QString& lesson_path) {
    Lesson lesson;
    try {
        lesson = lesson_or_default(lesson_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "moelab: %s\n", e.what());
        return 1;
    }
    lesson.steps = lesson.model_a.train.steps = lesson.model_b.train.steps = 100000000;  // never ends on its own
    MainWindow window;
    window.show();
    window.openLesson(lesson);
    if (!wait_ready(window)) return 1;
    wait_ms(200);
    const double rss_start = resident_mib();

    LatencyProbe probe;
    const quint64 refreshes0 = window.viewRefreshes();
    const int steps0 = window.session()->stepsDone();
    QElapsedTimer clock;
    clock.start();
    probe.start();
    window.play();
    // Memory once warm (the first steps allocate the trainers' work buffers and the plots' caches), then at the end.
    const int warm_ms = static_cast<int>(std::min(1.0, seconds / 4) * 1000);
    wait_ms(warm_ms);
    const double rss_warm = resident_mib();
    wait_ms(static_cast<int>(seconds * 1000) - warm_ms);
    const double elapsed = clock.nsecsElapsed() / 1e9;
    const int steps = window.session()->stepsDone() - steps0;
    const quint64 refreshes = window.viewRefreshes() - refreshes0;
    probe.stop();
    window.pause();
    wait_ms(100);
    const double rss_end = resident_mib();

    const size_t n_views = window.views().size();
    std::printf("MoE Lab GUI benchmark: \"%s\", %.1f s with the window shown, training at full speed\n",
                lesson.title.toUtf8().constData(), elapsed);
    std::printf("%-44s %12s\n", "measure", "value");
    std::printf("%-44s %12.2f\n", "event-loop latency, mean (ms)", probe.mean());
    std::printf("%-44s %12.2f\n", "event-loop latency, p99 (ms)", probe.quantile(0.99));
    std::printf("%-44s %12.2f\n", "event-loop latency, max (ms)", probe.max());
    std::printf("%-44s %12zu\n", "latency samples (5 ms timer)", probe.samples());
    std::printf("%-44s %12.1f\n", "snapshots shown per second (all views)", refreshes / elapsed);
    std::printf("%-44s %12.1f\n", QString("views updated per second (%1 views)").arg(n_views).toUtf8().constData(),
                refreshes * n_views / elapsed);
    std::printf("%-44s %12.2f\n", "training steps per second (A and B)", steps / elapsed);
    std::printf("%-44s %12.1f\n", "resident memory at start (MiB)", rss_start);
    std::printf("%-44s %12.1f\n", QString("resident memory after %1 s (MiB)").arg(warm_ms / 1000.0).toUtf8().constData(),
                rss_warm);
    std::printf("%-44s %12.1f\n", "resident memory at end (MiB)", rss_end);
    return 0;
}

int run_gui_benchmark_steps(int steps, const QString& lesson_path) {
    Lesson lesson;
    try {
        lesson = lesson_path.isEmpty() ? lesson_from_json(kTinyLesson, "tiny-benchmark.json")
                                       : load_lesson(lesson_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "moelab: %s\n", e.what());
        return 1;
    }
    lesson.steps = lesson.model_a.train.steps = lesson.model_b.train.steps = steps;
    MainWindow window;
    window.show();
    window.openLesson(lesson);
    if (!wait_ready(window)) return 1;
    const double rss_start = resident_mib();

    std::printf("MoE Lab GUI memory benchmark: \"%s\", %d steps as fast as possible with the window shown\n",
                lesson.title.toUtf8().constData(), steps);
    std::printf("%10s %14s %12s %14s\n", "step", "memory (MiB)", "steps/s", "latency p99");
    std::printf("%10d %14.1f %12s %14s\n", 0, rss_start, "-", "-");
    const int rows = 8;
    LatencyProbe probe;
    QElapsedTimer clock, total;
    total.start();
    int done = 0;
    for (int r = 1; r <= rows; ++r) {
        const int target = static_cast<int>(static_cast<long long>(steps) * r / rows);
        clock.start();
        probe.start();
        QString error;
        if (!play_until(window, target, 0, &error)) {
            std::fprintf(stderr, "moelab: %s\n", error.simplified().toUtf8().constData());
            return 1;
        }
        probe.stop();
        const int now = window.latestSnapshot()->step;
        std::printf("%10d %14.1f %12.1f %11.2f ms\n", now, resident_mib(), (now - done) / (clock.nsecsElapsed() / 1e9),
                    probe.quantile(0.99));
        std::fflush(stdout);
        done = now;
    }
    std::printf("%d steps in %.1f s; memory %.1f MiB at the start, %.1f MiB at the end\n", done,
                total.nsecsElapsed() / 1e9, rss_start, resident_mib());
    return 0;
}

int run_gui_benchmark_lessons(int switches, int steps_each) {
    const QStringList bundled = bundled_lessons();
    if (bundled.isEmpty()) {
        std::fprintf(stderr, "moelab: no bundled lesson found\n");
        return 1;
    }
    MainWindow window;
    window.show();
    std::printf("MoE Lab lesson-switch memory benchmark: %d switches over the %lld bundled lessons, %d steps each\n",
                switches, static_cast<long long>(bundled.size()), steps_each);
    std::printf("%8s  %-34s %14s\n", "switch", "lesson", "memory (MiB)");
    std::vector<double> rss;
    for (int i = 0; i < switches; ++i) {
        const QString path = bundled[i % bundled.size()];
        QString error;
        if (!window.openLessonFile(path, &error)) {
            std::fprintf(stderr, "moelab: %s\n", error.simplified().toUtf8().constData());
            return 1;
        }
        if (!wait_ready(window) || !play_until(window, steps_each, 0, &error)) {
            if (!error.isEmpty()) std::fprintf(stderr, "moelab: %s\n", error.simplified().toUtf8().constData());
            return 1;
        }
        wait_ms(100);
        rss.push_back(resident_mib());
        std::printf("%8d  %-34s %14.1f\n", i + 1, path.section('/', -1).toUtf8().constData(), rss.back());
        std::fflush(stdout);
    }
    // Growth over the second half: the first round allocates each lesson's models and the plots' caches once.
    const std::size_t half = rss.size() / 2;
    std::printf("memory after switch %zu: %.1f MiB, after switch %zu: %.1f MiB (%+.1f MiB over the second half)\n",
                half, rss[half > 0 ? half - 1 : 0], rss.size(), rss.back(), rss.back() - rss[half > 0 ? half - 1 : 0]);
    return 0;
}

}  // namespace moe::ui
