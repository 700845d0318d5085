#include "ui/window/main_window.h"

#include "datasets/dataset.h"
#include "ui/session/run_folder.h"
#include "ui/session/training_session.h"
#include "ui/views/probes_view.h"
#include "ui/views/token_inspector.h"
#include "ui/views/view.h"
#include "ui/views/view_factory.h"
#include "ui/window/controls_panel.h"
#include "ui/window/export.h"
#include "ui/window/lesson_builder.h"
#include "ui/window/lesson_panel.h"
#include "ui/window/score_board.h"
#include "ui/window/view_panel.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QScrollArea>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>
#include <map>

namespace moe::ui {
namespace {

// Steps-per-second caps offered to a teacher; 0 = as fast as the machine goes.
const std::vector<std::pair<QString, double>> kSpeeds = {
    {"slow motion (0.5/s)", 0.5}, {"1 step/s", 1}, {"2 steps/s", 2}, {"5 steps/s", 5},
    {"10 steps/s", 10},           {"30 steps/s", 30}, {"max", 0},
};

// Short tab labels so every view's tab fits without scrolling; the full title is above the plot.
QString tab_label(const View* view) {
    static const std::map<QString, QString> labels = {
        {"loss", QObject::tr("Loss")},           {"aux_loss", QObject::tr("Balance")},
        {"utilisation", QObject::tr("Utilisation")}, {"utilisation_over_time", QObject::tr("Load over time")},
        {"selection_bias", QObject::tr("Bias")},
        {"routing", QObject::tr("Routing")},     {"domains", QObject::tr("Domains")},
        {"plane", QObject::tr("2-D plane")},     {"traffic", QObject::tr("Traffic")},
        {"accounting", QObject::tr("Parameters")}, {"probes", QObject::tr("Probes")},
    };
    const auto it = labels.find(view->id());
    return it != labels.end() ? it->second : view->title();
}

QDockWidget* make_dock(const QString& title, const QString& name, QWidget* content, QMainWindow* window) {
    auto* dock = new QDockWidget(title, window);
    dock->setObjectName(name);
    dock->setWidget(content);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                      QDockWidget::DockWidgetClosable);
    return dock;
}

QScrollArea* scrolled(QWidget* content) {
    auto* area = new QScrollArea;
    area->setWidget(content);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    area->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    return area;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle("MoE Lab");
    normal_font_ = font();
    startSession();
    buildActions();
    buildCentral();
    buildDocks();
    buildMenus();
    buildToolbar();
    statusBar()->showMessage(tr("Pick a lesson (File > Lessons), then press Play."));
    resize(1400, 900);
    resizeDocks({controls_dock_, lesson_dock_}, {335, 280}, Qt::Horizontal);
    updateActions();
}

void MainWindow::fitToScreen(const QRect& available) {
    const QSize size = available.size().boundedTo(QSize(1920, 1200));
    resize(size);
    move(available.topLeft() +
         QPoint((available.width() - size.width()) / 2, (available.height() - size.height()) / 2));
    const bool narrow = size.width() < 1600;
    const bool stacked = tabifiedDockWidgets(controls_dock_).contains(lesson_dock_);
    if (narrow && !stacked) {
        // One column of tabs on the left (controls, lesson, token inspector): the views keep ~1040 px of a
        // 1366 px screen, enough for every view's tab and a large plot. The lesson is in front at the start;
        // clicking a token brings the inspector forward.
        tabifyDockWidget(controls_dock_, lesson_dock_);
        tabifyDockWidget(lesson_dock_, inspector_dock_);
        lesson_dock_->raise();
    } else if (!narrow && stacked) {
        addDockWidget(Qt::RightDockWidgetArea, lesson_dock_);
        splitDockWidget(lesson_dock_, inspector_dock_, Qt::Vertical);
    }
    // The controls need about 320 px for the knob names and both model columns, about 350 px for whole preset names.
    if (narrow) {
        resizeDocks({controls_dock_}, {std::clamp(size.width() * 255 / 1000, 320, 380)}, Qt::Horizontal);
    } else {
        resizeDocks({controls_dock_, lesson_dock_},
                    {std::clamp(size.width() * 175 / 1000, 320, 380), std::clamp(size.width() * 16 / 100, 260, 400)},
                    Qt::Horizontal);
    }
}

MainWindow::~MainWindow() {
    // Stop after the step in flight, then let the thread's event loop end; the session is deleted with it.
    session_->requestPause();
    thread_.quit();
    thread_.wait();
}

void MainWindow::startSession() {
    qRegisterMetaType<moe::ui::SnapshotPtr>("moe::ui::SnapshotPtr");
    qRegisterMetaType<moe::ui::Lesson>("moe::ui::Lesson");
    qRegisterMetaType<moe::ui::PointInspection>("moe::ui::PointInspection");
    session_ = new TrainingSession;
    session_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, session_, &QObject::deleteLater);
    connect(session_, &TrainingSession::snapshotReady, this, &MainWindow::onSnapshot, Qt::QueuedConnection);
    connect(session_, &TrainingSession::error, this, &MainWindow::onSessionError, Qt::QueuedConnection);
    connect(session_, &TrainingSession::runningChanged, this, &MainWindow::onRunningChanged, Qt::QueuedConnection);
    connect(session_, &TrainingSession::runSaved, this, &MainWindow::onRunSaved, Qt::QueuedConnection);
    thread_.setObjectName("training");
    thread_.start();
}

void MainWindow::buildActions() {
    QStyle* s = style();
    play_ = new QAction(s->standardIcon(QStyle::SP_MediaPlay), tr("Play"), this);
    play_->setToolTip(tr("Train both models continuously (Space)"));
    pause_ = new QAction(s->standardIcon(QStyle::SP_MediaPause), tr("Pause"), this);
    pause_->setToolTip(tr("Stop after the step in flight (Space)"));
    step_ = new QAction(s->standardIcon(QStyle::SP_MediaSkipForward), tr("Step"), this);
    step_->setToolTip(tr("One training step of each model (Right arrow)"));
    step_->setShortcut(Qt::Key_Right);
    reset_ = new QAction(s->standardIcon(QStyle::SP_BrowserReload), tr("Reset"), this);
    reset_->setToolTip(tr("Back to step 0 with fresh weights from the seed, with any changed settings (Ctrl+R)"));
    reset_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    play_pause_ = new QAction(tr("Play / Pause"), this);
    play_pause_->setShortcut(Qt::Key_Space);
    connect(play_, &QAction::triggered, this, &MainWindow::play);
    connect(pause_, &QAction::triggered, this, &MainWindow::pause);
    connect(step_, &QAction::triggered, this, &MainWindow::step);
    connect(reset_, &QAction::triggered, this, &MainWindow::reset);
    connect(play_pause_, &QAction::triggered, this, [this] { running_ ? pause() : play(); });
    addAction(play_pause_);
}

void MainWindow::buildCentral() {
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 4);
    banner_ = new QLabel;
    banner_->setWordWrap(true);
    banner_->setObjectName("banner");
    banner_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    banner_->hide();
    layout->addWidget(banner_);
    scores_ = new ScoreBoard;
    layout->addWidget(scores_);

    tabs_ = new QTabWidget;
    tabs_->setDocumentMode(true);
    views_ = create_all_views(tabs_);
    for (View* view : views_) {
        auto* panel = new ViewPanel(view);
        panels_.push_back(panel);
        tabs_->addTab(panel, tab_label(view));
        tabs_->setTabToolTip(tabs_->count() - 1, view->explanation());
        connect(view, &View::explanationChanged, this,
                [this, panel, view] { tabs_->setTabToolTip(tabs_->indexOf(panel), view->explanation()); });
        connect(panel, &ViewPanel::message, this, [this](const QString& m) { statusBar()->showMessage(m, 8000); });
        connect(view, &View::tokenClicked, this, &MainWindow::inspectToken);
        connect(view, &View::planeClicked, this, [this](int model, double x, double y) {
            if (replay_) return;  // a saved run has no live model to ask
            QMetaObject::invokeMethod(session_, [s = session_, model, x, y] { s->inspectPoint(model, x, y); },
                                      Qt::QueuedConnection);
        });
        // The probes run on copies of the live models, made by the session between two steps.
        if (auto* probes = qobject_cast<ProbesView*>(view)) {
            connect(probes, &ProbesView::modelCopiesRequested, this, [this] {
                QMetaObject::invokeMethod(session_, [s = session_] { s->requestModelCopies(); }, Qt::QueuedConnection);
            });
            connect(session_, &TrainingSession::modelCopiesReady, probes, &ProbesView::runOnCopies,
                    Qt::QueuedConnection);
        }
    }
    // A newly shown tab must show the newest data even if it was hidden while snapshots arrived.
    connect(tabs_, &QTabWidget::currentChanged, this, [this] { refreshViews(); });
    layout->addWidget(tabs_, 1);
    setCentralWidget(central);
}

void MainWindow::buildDocks() {
    controls_ = new ControlsPanel;
    controls_dock_ = make_dock(tr("Controls"), "controlsDock", controls_, this);  // scrolls its own knobs
    addDockWidget(Qt::LeftDockWidgetArea, controls_dock_);
    connect(controls_, &ControlsPanel::validityChanged, this, [this] { updateActions(); });
    connect(controls_, &ControlsPanel::pendingChanged, this, [this] { updateActions(); });
    connect(controls_, &ControlsPanel::applyRequested, this, &MainWindow::apply);
    connect(controls_, &ControlsPanel::liveKnobsEdited, this, [this](const Lesson& lesson) {
        lesson_.model_a = lesson.model_a;
        lesson_.model_b = lesson.model_b;
        QMetaObject::invokeMethod(session_, [s = session_, lesson] { s->setLiveKnobs(lesson); },
                                  Qt::QueuedConnection);
        statusBar()->showMessage(tr("Changed live: the models take it at the next step."), 5000);
    });
    connect(controls_, &ControlsPanel::probeTextEdited, this, [this](const QString& text) {
        lesson_.probe_text = text;
        QMetaObject::invokeMethod(session_, [s = session_, text] { s->setProbeText(text); }, Qt::QueuedConnection);
    });

    lesson_panel_ = new LessonPanel;
    lesson_dock_ = make_dock(tr("Lesson"), "lessonDock", scrolled(lesson_panel_), this);
    addDockWidget(Qt::RightDockWidgetArea, lesson_dock_);

    inspector_ = new TokenInspector;
    inspector_dock_ = make_dock(tr("Token inspector"), "inspectorDock", inspector_, this);
    inspector_dock_->setMinimumWidth(260);
    addDockWidget(Qt::RightDockWidgetArea, inspector_dock_);
    connect(session_, &TrainingSession::pointInspected, inspector_, [this](const PointInspection& p) {
        inspector_->showPoint(p);
        inspector_dock_->show();
        inspector_dock_->raise();
    }, Qt::QueuedConnection);
    resizeDocks({lesson_dock_, inspector_dock_}, {260, 500}, Qt::Vertical);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Open lesson..."), QKeySequence::Open, this, &MainWindow::openLessonDialog);
    lessons_menu_ = file->addMenu(tr("Lessons"));
    for (const QString& path : bundled_lessons()) {
        QString title = QFileInfo(path).baseName();
        QString problem;
        try {
            title = load_lesson(path).title;
        } catch (const std::exception& e) {
            problem = QString::fromUtf8(e.what());
        }
        QAction* action = lessons_menu_->addAction(title, this, [this, path] { openLessonFile(path); });
        if (!problem.isEmpty()) action->setEnabled(false), action->setToolTip(problem);
    }
    lessons_menu_->setToolTipsVisible(true);
    file->addAction(tr("Open run folder..."), this, &MainWindow::openRunDialog);
    file->addSeparator();
    file->addAction(tr("Save lesson..."), this, &MainWindow::saveLessonDialog)
        ->setToolTip(tr("Save the models, data, knobs, probe text and hidden controls as a lesson file to share"));
    save_run_ = file->addAction(tr("Save run..."), QKeySequence::Save, this, &MainWindow::saveRunDialog);
    file->addAction(tr("Export all..."), QKeySequence(Qt::CTRL | Qt::Key_E), this, &MainWindow::exportAllDialog);
    file->addSeparator();
    file->addAction(tr("Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* training = menuBar()->addMenu(tr("&Training"));
    training->addActions({play_, pause_, step_, reset_, play_pause_});
    training->addSeparator();
    training->addAction(tr("Run seeds..."), this, &MainWindow::openSweepDialog)
        ->setToolTip(tr("Train A and B of this lesson with several seeds in the background and compare the table"));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    presentation_action_ = view->addAction(tr("Presentation mode"));
    presentation_action_->setCheckable(true);
    presentation_action_->setShortcut(Qt::Key_F11);
    presentation_action_->setToolTip(tr("For a projector: one view large, full screen, with large text and thick lines; "
                                        "the docks and explanations are hidden (this menu brings them back). "
                                        "Page Up/Down: previous/next view, Space: play/pause, Esc: leave"));
    connect(presentation_action_, &QAction::toggled, this, &MainWindow::setPresentationMode);
    QAction* global = view->addAction(tr("Heatmaps: one colour scale for all layers"));
    global->setCheckable(true);
    connect(global, &QAction::toggled, this, [this](bool on) {
        for (View* v : views_) v->setGlobalNormalisation(on);
    });
    explanations_action_ = view->addAction(tr("Show \"What am I looking at?\""));
    explanations_action_->setCheckable(true);
    explanations_action_->setChecked(true);
    connect(explanations_action_, &QAction::toggled, this, [this](bool on) {
        for (ViewPanel* p : panels_) p->setExplanationVisible(on);
    });
    // Presentation mode's keys: the controls are hidden there, so Page Up/Down cannot be a spin box's.
    auto presentation_key = [this](const QString& text, QList<QKeySequence> keys, auto slot) {
        auto* action = new QAction(text, this);
        action->setShortcuts(keys);
        action->setEnabled(false);
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        presentation_keys_.push_back(action);
    };
    presentation_key(tr("Next view"), {Qt::Key_PageDown}, [this] {
        tabs_->setCurrentIndex((tabs_->currentIndex() + 1) % tabs_->count());
    });
    presentation_key(tr("Previous view"), {Qt::Key_PageUp}, [this] {
        tabs_->setCurrentIndex((tabs_->currentIndex() + tabs_->count() - 1) % tabs_->count());
    });
    presentation_key(tr("Leave presentation mode"), {Qt::Key_Escape}, [this] { setPresentationMode(false); });
    // TensorBoard-style: each earlier run of the lesson (Apply, Reset) drawn faded on the curves, or hidden.
    earlier_menu_ = view->addMenu(tr("Earlier runs"));
    earlier_menu_->setToolTip(tr("The runs before the last Apply or Reset, drawn faded and dashed on the curves"));
    connect(earlier_menu_, &QMenu::aboutToShow, this, &MainWindow::fillEarlierRunsMenu);
    view->addSeparator();
    view->addAction(controls_dock_->toggleViewAction());
    view->addAction(lesson_dock_->toggleViewAction());
    view->addAction(inspector_dock_->toggleViewAction());
}

void MainWindow::buildToolbar() {
    QToolBar* bar = addToolBar(tr("Training"));
    bar->setObjectName("trainingToolbar");
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addActions({play_, pause_, step_, reset_});
    bar->addSeparator();
    bar->addWidget(new QLabel(tr(" Speed ")));
    speed_ = new QComboBox;
    speed_->setObjectName("speed");
    speed_->setToolTip(tr("At most this many training steps per second (slow motion for a class)"));
    for (const auto& [text, value] : kSpeeds) speed_->addItem(text, value);
    speed_->setCurrentIndex(speed_->count() - 1);
    connect(speed_, &QComboBox::currentIndexChanged, this,
            [this] { setSpeed(speed_->currentData().toDouble()); });
    bar->addWidget(speed_);
    bar->addWidget(new QLabel(tr(" Compute ")));
    compute_ = new QComboBox;
    compute_->setObjectName("computeDevice");
    compute_->setToolTip(tr("Where both models train. CUDA needs an NVIDIA GPU (the CPU is used, with a message, "
                            "when none is usable); Auto takes the GPU when there is one. Changing it restarts "
                            "both models from step 0."));
    compute_->addItem(tr("CPU"), "cpu");
    compute_->addItem(tr("CUDA"), "cuda");
    compute_->addItem(tr("Auto"), "auto");
    connect(compute_, &QComboBox::currentIndexChanged, this, [this] {
        const QString device = compute_->currentData().toString();
        QMetaObject::invokeMethod(session_, [s = session_, device] { s->setComputeDevice(device); },
                                  Qt::QueuedConnection);
        statusBar()->showMessage(tr("Compute device: %1; both models restart from step 0.")
                                     .arg(compute_->currentText()), 8000);
    });
    bar->addWidget(compute_);
    bar->addSeparator();
    step_label_ = new QLabel;
    step_label_->setObjectName("stepCounter");
    step_label_->setMinimumWidth(260);
    // A bold font rather than a style sheet, so presentation mode's larger window font reaches the counter too.
    QFont bold = step_label_->font();
    bold.setBold(true);
    step_label_->setFont(bold);
    step_label_->setContentsMargins(8, 0, 0, 0);
    bar->addWidget(step_label_);
    updateStepLabel();
}

// ---- lessons and runs ------------------------------------------------------------------------------------------

void MainWindow::openLesson(const Lesson& lesson) {
    leaveReplay();
    clearBanner();
    pause();
    lesson_ = lesson;
    latest_.reset();
    earlier_.clear();  // another lesson's curves are not comparable
    showEarlierRuns();
    controls_->setLesson(lesson);
    lesson_panel_->setLesson(lesson);
    clearInspector();
    setWindowTitle(QString("MoE Lab - %1").arg(lesson.title));
    updateTabs();
    const Lesson copy = lesson;
    const double speed = speed_->currentData().toDouble();
    awaiting_start_ = true;
    QMetaObject::invokeMethod(session_, [s = session_, copy, speed] {
        s->configure(copy);
        s->setSpeed(speed);
    }, Qt::QueuedConnection);
    statusBar()->showMessage(tr("Lesson \"%1\" ready: press Play (Space).").arg(lesson.title), 8000);
    updateActions();
    updateStepLabel();
}

bool MainWindow::openLessonFile(const QString& path, QString* error) {
    try {
        openLesson(load_lesson(path));
        return true;
    } catch (const std::exception& e) {
        const QString message = QString::fromUtf8(e.what());
        showError(message);
        if (error) *error = message;
        return false;
    }
}

bool MainWindow::openRunFolder(const QString& dir, QString* error) {
    const QDir folder(dir);
    const bool pair = folder.exists("A/config.json") && folder.exists("B/config.json");
    std::vector<RunData> runs;
    try {
        if (pair) {
            runs.push_back(load_run_folder(folder.filePath("A")));
            runs.push_back(load_run_folder(folder.filePath("B")));
        } else {
            runs.push_back(load_run_folder(dir));
        }
    } catch (const std::exception& e) {
        const QString message = tr("Cannot open the run folder %1: %2").arg(dir, QString::fromUtf8(e.what()));
        showError(message);
        if (error) *error = message;
        return false;
    }
    pause();
    auto snapshot = std::make_shared<Snapshot>();
    const QString name = QFileInfo(QDir::cleanPath(dir)).fileName();
    for (size_t i = 0; i < runs.size(); ++i) {
        snapshot->models[i] = runs[i].snapshot;
        if (snapshot->models[i].label.isEmpty())
            snapshot->models[i].label = pair ? QString("%1/%2").arg(name, QChar('A' + int(i))) : name;
        const Series& loss = runs[i].snapshot.loss;
        if (!loss.x.empty()) snapshot->step = std::max(snapshot->step, static_cast<int>(loss.x.back()));
    }
    snapshot->target_steps = runs[0].config.train.steps;
    replay_snapshot_ = snapshot;

    replay_lesson_ = Lesson{};
    replay_lesson_.title = tr("Run %1").arg(name);
    replay_lesson_.text = tr("A saved run, shown read-only: its curves and its last routing statistics. "
                             "Open a lesson or press Reset to train again.");
    replay_lesson_.model_a = runs[0].config;
    replay_lesson_.model_b = runs.back().config;
    replay_lesson_.label_a = snapshot->models[0].label;
    replay_lesson_.label_b = pair ? snapshot->models[1].label : tr("(none: a single-model run)");
    replay_lesson_.steps = snapshot->target_steps;
    replay_lesson_.source = dir;
    replay_ = true;

    controls_->showReadOnly(replay_lesson_.model_a, replay_lesson_.model_b);
    lesson_panel_->setLesson(replay_lesson_);
    clearInspector();
    banner_->setStyleSheet("background: #e3f2fd; color: #0d47a1; padding: 6px; border-radius: 4px;");
    banner_->setText(tr("Replay of the run folder %1 (read-only: Play is off). Press Reset or open a lesson to "
                        "train again.").arg(QDir::toNativeSeparators(dir)));
    banner_->show();
    setWindowTitle(QString("MoE Lab - %1").arg(replay_lesson_.title));
    updateTabs();
    refresh_pending_ = false;
    refreshViews();
    updateActions();
    return true;
}

void MainWindow::inspectToken(int model, int layer, int token) {
    if (!latest_) return;
    inspector_->showToken(replay_ ? replay_snapshot_ : latest_, model, layer, token);
    for (View* v : views_) v->setInspectedToken(token);
    inspector_dock_->show();
    inspector_dock_->raise();
}

void MainWindow::clearInspector() {
    inspector_->clear();
    for (View* v : views_) v->setInspectedToken(-1);
}

void MainWindow::leaveReplay() {
    if (!replay_) return;
    replay_ = false;
    replay_snapshot_.reset();
    clearBanner();
    controls_->leaveReadOnly();
    lesson_panel_->setLesson(lesson_);
    setWindowTitle(QString("MoE Lab - %1").arg(lesson_.title));
    updateTabs();
    refreshViews();
    updateActions();
}

bool MainWindow::exportAll(const QString& dir, QString* error, int* written) const {
    QString why;
    const bool ok = export_all(views_, lesson(), dir, &why, written);
    if (error) *error = why;
    return ok;
}

void MainWindow::saveRun(const QString& dir) {
    QMetaObject::invokeMethod(session_, [s = session_, dir] { s->saveRun(dir); }, Qt::QueuedConnection);
    statusBar()->showMessage(tr("Saving the run to %1 ...").arg(dir));
}

void MainWindow::onRunSaved(const QString& dir) {
    statusBar()->showMessage(tr("Saved the run to %1 (open it with File > Open run folder)").arg(dir), 10000);
    emit runSaved(dir);
}

void MainWindow::openLessonDialog() {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open lesson"), QString(), tr("Lessons (*.json);;All files (*)"));
    if (!path.isEmpty()) openLessonFile(path);
}

void MainWindow::openRunDialog() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open run folder (config.json, metrics.csv)"));
    if (!dir.isEmpty()) openRunFolder(dir);
}

void MainWindow::saveRunDialog() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Save the run into (A/ and B/ are created)"));
    if (!dir.isEmpty()) saveRun(dir);
}

void MainWindow::keepEarlierRun() {
    if (replay_ || !latest_ || latest_->step <= 0) return;
    earlier_.add(latest_, QStringLiteral("A: %1, B: %2")
                              .arg(describe_model(latest_->models[0].config), describe_model(latest_->models[1].config)));
    showEarlierRuns();
}

void MainWindow::showEarlierRuns() {
    for (View* v : views_) v->setEarlierRuns(earlier_.runs());
}

void MainWindow::setEarlierRunShown(std::size_t index, bool shown) {
    earlier_.setShown(index, shown);
    showEarlierRuns();
}

void MainWindow::fillEarlierRunsMenu() {
    earlier_menu_->clear();
    const EarlierRunsPtr runs = earlier_.runs();
    if (runs->empty()) earlier_menu_->addAction(tr("None yet: Apply or Reset keeps the run so far here"))->setEnabled(false);
    for (std::size_t i = 0; i < runs->size(); ++i) {
        QAction* a = earlier_menu_->addAction((*runs)[i].label);
        a->setCheckable(true);
        a->setChecked((*runs)[i].shown);
        connect(a, &QAction::toggled, this, [this, i](bool on) { setEarlierRunShown(i, on); });
    }
    earlier_menu_->addSeparator();
    QAction* clear = earlier_menu_->addAction(tr("Forget earlier runs"), this, [this] {
        earlier_.clear();
        showEarlierRuns();
    });
    clear->setEnabled(!runs->empty());
    earlier_menu_->addAction(tr("(the latest %1 are kept)").arg(EarlierRuns::kMax))->setEnabled(false);
}

bool MainWindow::saveLesson(const QString& path, QString* error) const {
    if (!replay_ && !controls_->isValid()) {
        if (error) *error = tr("The controls hold an impossible setting: fix the one in red before saving the lesson.");
        return false;
    }
    Lesson saved = replay_ ? replay_lesson_ : controls_->builtLesson();
    saved.title = lesson_.title;
    saved.text = lesson_.text;
    saved.hidden_controls = lesson_.hidden_controls;
    return write_file_atomically(path, lesson_to_json(saved), error);
}

void MainWindow::saveLessonDialog() {
    QString path = QFileDialog::getSaveFileName(this, tr("Save lesson"), QDir::home().filePath("lesson.json"),
                                                tr("Lessons (*.json)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(".json", Qt::CaseInsensitive)) path += ".json";
    QString error;
    if (saveLesson(path, &error))
        statusBar()->showMessage(tr("Saved the lesson to %1 (File > Open lesson opens it again)").arg(path), 10000);
    else
        showError(error);
}

void MainWindow::exportAllDialog() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export every view, the configs and the lesson to"));
    if (dir.isEmpty()) return;
    QString error;
    int written = 0;
    if (exportAll(dir, &error, &written))
        statusBar()->showMessage(tr("Exported %1 views (PNG, SVG, PDF, CSV), config_A.json, config_B.json, lesson.json "
                                    "and index.json (which views do not apply, and why) to %2")
                                     .arg(written)
                                     .arg(dir),
                                 10000);
    else
        showError(error);
}

// ---- transport ------------------------------------------------------------------------------------------------

void MainWindow::play() {
    if (replay_ || !controls_->isValid()) return;
    clearBanner();
    statusBar()->clearMessage();
    running_ = true;  // shown at once; runningChanged confirms
    QMetaObject::invokeMethod(session_, [s = session_] { s->play(); }, Qt::QueuedConnection);
    updateActions();
}

void MainWindow::pause() {
    // The flag is read between steps: it takes effect after the step in flight, without waiting for the queue.
    session_->requestPause();
    QMetaObject::invokeMethod(session_, [s = session_] { s->pause(); }, Qt::QueuedConnection);
    running_ = false;
    updateActions();
}

void MainWindow::step() {
    if (replay_ || !controls_->isValid()) return;
    QMetaObject::invokeMethod(session_, [s = session_] { s->step(); }, Qt::QueuedConnection);
}

void MainWindow::reset() {
    if (replay_) {
        leaveReplay();
        return;
    }
    if (controls_->hasPendingChanges() && controls_->isValid()) {
        apply();
        return;
    }
    pause();
    keepEarlierRun();
    clearInspector();
    awaiting_start_ = true;
    QMetaObject::invokeMethod(session_, [s = session_] { s->reset(); }, Qt::QueuedConnection);
}

void MainWindow::apply() {
    if (!controls_->isValid()) return;
    // A class watching a run keeps watching: the edited models restart from step 0 and go on playing.
    const bool was_running = running_;
    pause();
    keepEarlierRun();
    clearBanner();
    lesson_ = controls_->builtLesson();
    controls_->markApplied();
    lesson_panel_->setLesson(lesson_);
    clearInspector();
    updateTabs();
    const Lesson copy = lesson_;
    awaiting_start_ = true;
    QMetaObject::invokeMethod(
        session_,
        [s = session_, copy, was_running] {
            s->configure(copy);
            if (was_running) s->play();
        },
        Qt::QueuedConnection);
    if (was_running) {
        running_ = true;  // shown at once; runningChanged confirms
        updateActions();
    }
    statusBar()->showMessage(was_running ? tr("Applied: both models restart from step 0 and keep training.")
                                         : tr("Applied: both models restart from step 0 (press Play)."),
                             8000);
}

void MainWindow::setSpeed(double steps_per_second) {
    speed_->blockSignals(true);
    int index = speed_->findData(steps_per_second);
    if (index >= 0) speed_->setCurrentIndex(index);
    speed_->blockSignals(false);
    QMetaObject::invokeMethod(session_, [s = session_, steps_per_second] { s->setSpeed(steps_per_second); },
                              Qt::QueuedConnection);
}

void MainWindow::updateTabs() {
    // Only the views that can show something for this lesson: the probe text is for language models, the input
    // plane for 2-D tasks, the selection bias for a model with one (noaux_tc), the traffic for a model on more than
    // one simulated device. Hidden views still receive snapshots (Export all writes every view that applies). So
    // every lesson's tabs fit a 1366-wide projector without scrolling.
    const Lesson& l = lesson();
    const bool language = is_language_dataset(l.model_a.data.dataset);
    const bool bias = uses_selection_bias(l.model_a.model) || uses_selection_bias(l.model_b.model);
    const bool devices = l.model_a.model.devices > 1 || l.model_b.model.devices > 1;
    for (int i = 0; i < static_cast<int>(views_.size()); ++i) {
        const QString id = views_[i]->id();
        tabs_->setTabVisible(i, !(language && id == "plane") && !(!language && id == "routing") &&
                                    !(!bias && id == "selection_bias") && !(!devices && id == "traffic"));
    }
}

void MainWindow::showView(const QString& id) {
    for (int i = 0; i < static_cast<int>(views_.size()); ++i)
        if (views_[i]->id() == id) tabs_->setCurrentIndex(i);
}

void MainWindow::setPresentationMode(bool on) {
    if (on == presentation_) return;
    presentation_ = on;
    if (presentation_action_->isChecked() != on) presentation_action_->setChecked(on);
    QFont f = normal_font_;
    if (on) {
        f.setPointSizeF(normal_font_.pointSizeF() * 1.5);
        normal_state_ = windowState();
    }
    setFont(f);
    // One view, large: the docks and the explanations go, and come back as they were. The View menu (and a click on
    // a token, for the inspector) brings any of them back while presenting.
    const std::array<QDockWidget*, 3> docks = {controls_dock_, lesson_dock_, inspector_dock_};
    if (on) {
        for (std::size_t i = 0; i < docks.size(); ++i) docks_shown_[i] = !docks[i]->isHidden();
        explanations_shown_ = explanations_action_->isChecked();
        for (QDockWidget* d : docks) d->hide();
        explanations_action_->setChecked(false);
    } else {
        for (std::size_t i = 0; i < docks.size(); ++i) docks[i]->setVisible(docks_shown_[i]);
        if (docks_shown_[1]) lesson_dock_->raise();  // tabified in a narrow window: the lesson in front, as at start
        explanations_action_->setChecked(explanations_shown_);
    }
    for (QAction* a : presentation_keys_) a->setEnabled(on);
    lesson_panel_->setLarge(on);
    // The lesson's text is what the class reads: give it the room the controls had.
    resizeDocks({lesson_dock_}, {on ? 420 : 280}, Qt::Horizontal);
    resizeDocks({lesson_dock_, inspector_dock_}, {on ? 560 : 260, on ? 340 : 500}, Qt::Vertical);
    if (isVisible()) setWindowState(on ? (normal_state_ | Qt::WindowFullScreen) : normal_state_);
}

// ---- what the session reports ---------------------------------------------------------------------------------

void MainWindow::onSnapshot(moe::ui::SnapshotPtr snapshot) {
    // After configure or reset, snapshots of the old run may still be queued: the new run starts at step 0.
    if (awaiting_start_ && snapshot->step != 0) return;
    awaiting_start_ = false;
    latest_ = std::move(snapshot);
    if (replay_ || refresh_pending_) return;
    // Coalesce: however many snapshots arrive in this turn of the event loop, the views repaint once.
    refresh_pending_ = true;
    QTimer::singleShot(0, this, [this] {
        refresh_pending_ = false;
        refreshViews();
    });
}

void MainWindow::refreshViews() {
    const SnapshotPtr& shown = replay_ ? replay_snapshot_ : latest_;
    if (!shown) return;
    for (View* view : views_) view->setSnapshot(shown);
    scores_->setSnapshot(shown);
    ++refreshes_;
    updateStepLabel();
    emit snapshotShown(shown);
}

void MainWindow::onSessionError(const QString& message) {
    awaiting_start_ = false;  // a refused configure keeps the old run going
    showError(message);
    updateActions();
}

void MainWindow::onRunningChanged(bool running) {
    running_ = running;
    updateActions();
}

void MainWindow::showError(const QString& message) {
    last_error_ = message;
    banner_->setStyleSheet("background: #ffebee; color: #b71c1c; padding: 6px; border-radius: 4px;");
    banner_->setText(message);
    banner_->show();
    statusBar()->showMessage(message, 15000);
    emit errorShown(message);
}

void MainWindow::clearBanner() {
    if (!replay_) banner_->hide();
}

QString MainWindow::stepText() const { return step_label_->text(); }

void MainWindow::setComputeDevice(const QString& device) {
    const int index = compute_->findData(device);
    if (index >= 0) compute_->setCurrentIndex(index);
}

void MainWindow::updateStepLabel() {
    const SnapshotPtr& s = replay_ ? replay_snapshot_ : latest_;
    if (!s) {
        step_label_->setText(tr("step 0 / %1").arg(lesson_.steps));
        return;
    }
    QString text = tr("step %1 / %2").arg(s->step).arg(s->target_steps > 0 ? s->target_steps : lesson().steps);
    if (replay_)
        text += tr("   (replay)");
    else if (s->steps_per_second > 0 && running_)
        text += tr("   %1 steps/s").arg(s->steps_per_second, 0, 'f', s->steps_per_second < 10 ? 1 : 0);
    if (!replay_) {
        const QString& a = s->models[0].device;
        const QString& b = s->models[1].device;
        text += a == b ? tr("   on %1").arg(a) : tr("   A on %1, B on %2").arg(a, b);
    }
    step_label_->setText(text);
}

void MainWindow::updateActions() {
    const bool valid = controls_->isValid();
    play_->setEnabled(!replay_ && valid && !running_);
    pause_->setEnabled(running_);
    step_->setEnabled(!replay_ && valid && !running_);
    reset_->setEnabled(true);
    play_pause_->setEnabled(!replay_ && (valid || running_));
    save_run_->setEnabled(!replay_);
    updateStepLabel();
}

}  // namespace moe::ui
