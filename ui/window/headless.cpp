#include "ui/window/headless.h"

#include "core/error.h"
#include "ui/views/token_inspector.h"
#include "ui/views/view.h"
#include "ui/window/main_window.h"

#include <QEventLoop>
#include <QPixmap>
#include <QTimer>

#include <cstdio>

namespace moe::ui {
namespace {

// A message on one line: scripts read stderr line by line.
void fail_line(const QString& message) {
    QString line = message.simplified();
    std::fprintf(stderr, "moelab: %s\n", line.toUtf8().constData());
}

void settle(int ms) {
    // Lets queued replots and layout requests run before a grab.
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

}  // namespace

bool play_until(MainWindow& window, int step, double timeout_s, QString* error) {
    const auto& latest = window.latestSnapshot();
    if (latest && latest->step >= step) return true;
    QEventLoop loop;
    bool reached = false;
    QString problem;
    auto shown = QObject::connect(&window, &MainWindow::snapshotShown, &loop, [&](const SnapshotPtr& s) {
        if (s->step < step) return;
        reached = true;
        window.pause();
        loop.quit();
    });
    auto failed = QObject::connect(&window, &MainWindow::errorShown, &loop, [&](const QString& message) {
        problem = message;
        loop.quit();
    });
    QTimer timer;
    if (timeout_s > 0) {
        timer.setSingleShot(true);
        QObject::connect(&timer, &QTimer::timeout, &loop, [&] {
            problem = QString("training did not reach step %1 within %2 s").arg(step).arg(timeout_s);
            loop.quit();
        });
        timer.start(static_cast<int>(timeout_s * 1000));
    }
    window.play();
    loop.exec();
    QObject::disconnect(shown);
    QObject::disconnect(failed);
    if (!reached && error) *error = problem.isEmpty() ? QString("training stopped before step %1").arg(step) : problem;
    return reached;
}

Lesson lesson_or_default(const QString& path) {
    if (!path.isEmpty()) return load_lesson(path);
    const QStringList bundled = bundled_lessons();
    if (bundled.isEmpty()) throw ConfigError("no bundled lesson found");
    return load_lesson(bundled.front());
}

int run_export(const QString& lesson_path, int steps, const QString& dir) {
    Lesson lesson;
    try {
        lesson = lesson_or_default(lesson_path);
    } catch (const std::exception& e) {
        fail_line(QString::fromUtf8(e.what()));
        return 1;
    }
    if (steps > 0) {
        // Like `moelab-cli train --steps N`: the run is N steps long, so the learning-rate schedule ends there too.
        lesson.steps = steps;
        lesson.model_a.train.steps = lesson.model_b.train.steps = steps;
    }
    MainWindow window;
    window.setAttribute(Qt::WA_DontShowOnScreen);  // laid out and rendered, never on a screen
    window.show();
    window.openLesson(lesson);
    QString error;
    if (!play_until(window, lesson.steps, 0, &error)) {
        fail_line(error);
        return 1;
    }
    int written = 0;
    if (!window.exportAll(dir, &error, &written)) {
        fail_line(error);
        return 1;
    }
    std::printf("moelab: trained %d steps of \"%s\"; wrote %d views (PNG, SVG, PDF, CSV), config_A.json, "
                "config_B.json, lesson.json and index.json (%d views that do not apply, and why) to %s\n",
                window.latestSnapshot()->step, lesson.title.toUtf8().constData(), written,
                int(window.views().size()) - written, dir.toUtf8().constData());
    return 0;
}

QSize parse_window_size(const QString& text) {
    const QStringList parts = text.trimmed().toLower().split('x');
    if (parts.size() != 2) return {};
    bool ok_w = false, ok_h = false;
    const int w = parts[0].toInt(&ok_w), h = parts[1].toInt(&ok_h);
    if (!ok_w || !ok_h || w < 320 || h < 320 || w > 8192 || h > 8192) return {};
    return {w, h};
}

int run_screenshot(const QString& lesson_path, int steps, const QString& png, const QString& view_id,
                   bool presentation, QSize size) {
    Lesson lesson;
    try {
        lesson = lesson_or_default(lesson_path);
    } catch (const std::exception& e) {
        fail_line(QString::fromUtf8(e.what()));
        return 1;
    }
    MainWindow window;
    // What a screen of that size shows: the window fits it as at start-up.
    window.fitToScreen(QRect(QPoint(0, 0), size.isValid() ? size : QSize(1400, 900)));
    window.openLesson(lesson);
    window.setPresentationMode(presentation);  // before show(): the screenshot keeps its size, not full screen
    window.show();
    if (!view_id.isEmpty()) window.showView(view_id);
    QString error;
    if (!play_until(window, steps, 0, &error)) {
        fail_line(error);
        return 1;
    }
    settle(400);
    // Show the inspector at work, as a teacher would after clicking a token of the probe text (not when presenting:
    // there the inspector stays hidden until asked for).
    if (SnapshotPtr s = window.latestSnapshot(); !presentation && s && !s->models[0].probe.empty())
        emit window.views().front()->tokenClicked(0, 0, std::min<int>(4, s->models[0].probe_text.size() - 1));
    settle(400);
    if (!window.grab().save(png, "PNG", 0)) {
        fail_line(QString("cannot write %1").arg(png));
        return 1;
    }
    std::printf("moelab: saved a %dx%d screenshot at step %d to %s\n", window.width(), window.height(),
                window.latestSnapshot()->step, png.toUtf8().constData());
    return 0;
}

}  // namespace moe::ui
