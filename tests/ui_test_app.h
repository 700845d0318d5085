// What every widget test needs: a QApplication made on first use (never at static-initialisation time: test
// discovery runs the binary just to list the tests) and an event loop turned until something has happened.
#pragma once

#include <QApplication>
#include <QElapsedTimer>
#include <QMouseEvent>
#include <QWidget>
#include <QThread>

#include <functional>

namespace moe::ui::test {

inline void ensure_app() {
    static int argc = 1;
    static char name[] = "moelab_ui_test";
    static char* argv[] = {name, nullptr};
    if (QApplication::instance()) return;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    new QApplication(argc, argv);
}

// Processes events (queued signals from worker threads included) until `done` holds; false when time ran out.
inline bool wait_for(const std::function<bool()>& done, int timeout_ms) {
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeout_ms) return false;
        QApplication::processEvents(QEventLoop::AllEvents, 5);
        QThread::usleep(200);
    }
    return true;
}

// A left click (press and release) at pos, in target's coordinates.
inline void send_click(QWidget* target, const QPointF& pos) {
    QMouseEvent press(QEvent::MouseButtonPress, pos, target->mapToGlobal(pos), Qt::LeftButton, Qt::LeftButton,
                      Qt::NoModifier);
    QApplication::sendEvent(target, &press);
    QMouseEvent release(QEvent::MouseButtonRelease, pos, target->mapToGlobal(pos), Qt::LeftButton, Qt::NoButton,
                        Qt::NoModifier);
    QApplication::sendEvent(target, &release);
}

}  // namespace moe::ui::test
