// moelab: the desktop app.
//   moelab                                   the first bundled lesson, ready to play
//   moelab LESSON.json                       that lesson
//   moelab --device cuda [LESSON.json]       both models on the GPU (the toolbar's Compute choice)
//   moelab --lesson F --steps N --export-dir DIR   train N steps with no window, write every view and the configs
//   moelab --benchmark SECONDS | --benchmark-steps N   responsiveness and memory of the window while training
//   moelab --benchmark-lessons N [--steps S]   memory over N switches between the bundled lessons
#include "core/runtime.h"
#include "ui/window/gui_benchmark.h"
#include "ui/window/headless.h"
#include "ui/window/main_window.h"

#include <CLI/CLI.hpp>

#include <QApplication>
#include <QScreen>

#include <cstdio>
#include <cstring>

namespace {

bool has_display() {
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

// Modes that need no screen. Decided before QApplication exists, because the platform is chosen when it is built.
bool wants_no_screen(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        for (const char* flag :
             {"--export-dir", "--benchmark", "--benchmark-steps", "--benchmark-lessons", "--screenshot", "--help", "-h"})
            if (std::strcmp(argv[i], flag) == 0 || std::strncmp(argv[i], (std::string(flag) + "=").c_str(),
                                                                 std::strlen(flag) + 1) == 0)
                return true;
    return false;
}

// Without a window, stderr is for scripts: one line per problem. Qt's own chatter (no XDG_RUNTIME_DIR, an offscreen
// platform that cannot resize windows, ...) is harmless there and would bury that line, so only its errors stay
// (MOELAB_QT_MESSAGES=1 shows everything).
void quiet_qt_messages(QtMsgType type, const QMessageLogContext&, const QString& message) {
    if (type == QtCriticalMsg || type == QtFatalMsg)
        std::fprintf(stderr, "moelab: %s\n", message.simplified().toUtf8().constData());
}

}  // namespace

int main(int argc, char** argv) {
    moe::configure_allocator();  // as the CLI: training's repeated large allocations stay in the process
    const bool no_screen = wants_no_screen(argc, argv);
    if (no_screen && qEnvironmentVariableIsEmpty("MOELAB_QT_MESSAGES")) qInstallMessageHandler(quiet_qt_messages);
    if (!has_display() && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        if (!no_screen) {
            std::fprintf(stderr,
                         "moelab: no display (DISPLAY and WAYLAND_DISPLAY are unset): run it on a desktop, or use "
                         "--export-dir DIR to train and export without a window\n");
            return 1;
        }
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication qt(argc, argv);  // removes Qt's own options (-platform, -style, ...) from argv
    QApplication::setApplicationName("MoE Lab");
    QApplication::setOrganizationName("MoE Lab");

    CLI::App cli{"MoE Lab: train two small Mixture-of-Experts models side by side and watch their routers", "moelab"};
    std::string positional, lesson, export_dir, screenshot, view;
    int steps = 0, benchmark_steps = 0, benchmark_lessons = 0;
    double benchmark = 0;
    cli.add_option("lesson_file", positional, "lesson to open (JSON); default: the first bundled lesson");
    cli.add_option("--lesson", lesson, "lesson to open or train (JSON)");
    cli.add_option("--steps", steps, "with --export-dir: training steps (default: the lesson's)")
        ->check(CLI::PositiveNumber);
    cli.add_option("--export-dir", export_dir,
                   "train without a window, then write every view (PNG, SVG, PDF, CSV), config_A.json, config_B.json "
                   "and lesson.json to this folder");
    cli.add_option("--benchmark", benchmark, "train for this many seconds with the window and report GUI latency, "
                                             "refresh rate, steps/s and memory")->check(CLI::PositiveNumber);
    cli.add_option("--benchmark-steps", benchmark_steps,
                   "run this many steps as fast as possible with the window (a tiny lesson unless --lesson) and "
                   "report memory along the way")->check(CLI::PositiveNumber);
    cli.add_option("--benchmark-lessons", benchmark_lessons,
                   "open the bundled lessons in turn this many times, training --steps steps each (default 30), and "
                   "report memory after every switch")->check(CLI::PositiveNumber);
    cli.add_option("--screenshot", screenshot, "train --steps steps, then save the window as PNG")->group("");
    cli.add_option("--view", view, "with --screenshot: the view to show (loss, routing, ...)")->group("");
    std::string window_size = "1400x900";
    cli.add_option("--size", window_size, "with --screenshot: the window size, WxH (e.g. 1366x768)")->group("");
    std::string device = "cpu";
    cli.add_option("--device", device, "where both models train: cpu, cuda (the CPU, with a message, when no GPU is "
                                       "usable) or auto")
        ->check(CLI::IsMember({"cpu", "cuda", "auto"}));
    bool presentation = false;
    cli.add_flag("--presentation", presentation, "start in presentation mode (large text, no controls)");
    try {
        cli.parse(argc, argv);
        if (!positional.empty() && !lesson.empty())
            throw CLI::ValidationError("give the lesson either as an argument or with --lesson, not both");
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }
    const QString lesson_path = QString::fromStdString(lesson.empty() ? positional : lesson);

    if (!export_dir.empty()) return moe::ui::run_export(lesson_path, steps, QString::fromStdString(export_dir));
    if (!screenshot.empty()) {
        const QSize size = moe::ui::parse_window_size(QString::fromStdString(window_size));
        if (!size.isValid()) {
            std::fprintf(stderr, "moelab: --size \"%s\" is not WxH with sides from 320 to 8192 (e.g. 1366x768)\n",
                         window_size.c_str());
            return 2;
        }
        return moe::ui::run_screenshot(lesson_path, steps > 0 ? steps : 200, QString::fromStdString(screenshot),
                                       QString::fromStdString(view), presentation, size);
    }
    if (benchmark > 0) return moe::ui::run_gui_benchmark(benchmark, lesson_path);
    if (benchmark_steps > 0) return moe::ui::run_gui_benchmark_steps(benchmark_steps, lesson_path);
    if (benchmark_lessons > 0) return moe::ui::run_gui_benchmark_lessons(benchmark_lessons, steps > 0 ? steps : 30);

    moe::ui::Lesson first;
    try {
        first = moe::ui::lesson_or_default(lesson_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "moelab: %s\n", e.what());
        return 1;
    }
    moe::ui::MainWindow window;
    window.openLesson(first);
    window.setComputeDevice(QString::fromStdString(device));
    // Fit the screen the app starts on (a 1366x768 projector as much as a large monitor); where the window fills
    // it, maximise too, so that the window manager's frame does not push the edges off screen.
    if (const QScreen* screen = QGuiApplication::primaryScreen()) {
        const QRect available = screen->availableGeometry();
        window.fitToScreen(available);
        if (window.width() >= available.width()) window.setWindowState(window.windowState() | Qt::WindowMaximized);
    }
    window.show();
    if (presentation) window.setPresentationMode(true);
    return QApplication::exec();
}
