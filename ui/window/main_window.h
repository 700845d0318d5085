// The main window: a toolbar to play, pause, step and reset training, the live views in tabs, the controls of the
// ablation (left), the lesson text and the token inspector (right).
//
// Qt's worker pattern: the TrainingSession lives in its own QThread and is only reached through queued calls; its
// snapshots arrive as signals. The window keeps the latest snapshot and hands it to every view once per event-loop
// turn, so a burst of snapshots costs one refresh and the GUI thread never waits on a training step.
#pragma once

#include "ui/session/earlier_runs.h"
#include "ui/session/lesson.h"
#include "ui/session/snapshot.h"

#include <QMainWindow>
#include <QThread>

#include <array>
#include <vector>

class QAction;
class QComboBox;
class QDockWidget;
class QLabel;
class QMenu;
class QTabWidget;

namespace moe::ui {

class ControlsPanel;
class LessonPanel;
class TokenInspector;
class TrainingSession;
class View;
class ViewPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Lessons and runs. Errors are shown in the window (and returned); nothing is modal.
    void openLesson(const Lesson& lesson);  // also configures the session: ready to play
    bool openLessonFile(const QString& path, QString* error = nullptr);
    // A run folder (`moelab-cli train --out DIR`, or one saved here with A/ and B/ inside) shown read-only.
    bool openRunFolder(const QString& dir, QString* error = nullptr);
    // Every view that applies (see export_all), the configs, the lesson and index.json. `written`: the views written.
    bool exportAll(const QString& dir, QString* error = nullptr, int* written = nullptr) const;
    void saveRun(const QString& dir);
    // Writes the setup the controls show (both models with their edits, the data, the probe text, the hidden
    // controls, the lesson's title and text) as a lesson file a teacher can share and reopen. Atomic.
    bool saveLesson(const QString& path, QString* error = nullptr) const;
    // The runs before the last Apply or Reset of this lesson, drawn faded on the curves (View > Earlier runs).
    EarlierRunsPtr earlierRuns() const { return earlier_.runs(); }
    void setEarlierRunShown(std::size_t index, bool shown);

    // What the toolbar does.
    void play();
    void pause();
    void step();
    void reset();
    void apply();  // trains the lesson the controls describe, from step 0
    void setSpeed(double steps_per_second);  // 0 = as fast as possible
    void setPresentationMode(bool on);
    // Sizes the window and its docks for a screen whose free area is `available` (QScreen::availableGeometry):
    // the whole area, up to 1920x1200, with the docks in proportion. Below 1600 px of width the controls, the
    // lesson and the token inspector share the left column as tabs, so that the views keep the width they need.
    void fitToScreen(const QRect& available);
    // "cpu", "cuda" or "auto": selects the toolbar's Compute choice (both models restart on it).
    void setComputeDevice(const QString& device);
    void showView(const QString& id);

    TrainingSession* session() const { return session_; }
    const std::vector<View*>& views() const { return views_; }
    ControlsPanel* controls() const { return controls_; }
    TokenInspector* inspector() const { return inspector_; }
    SnapshotPtr latestSnapshot() const { return latest_; }
    const Lesson& lesson() const { return replay_ ? replay_lesson_ : lesson_; }
    bool isReplay() const { return replay_; }
    bool isRunning() const { return running_; }
    bool presentationMode() const { return presentation_; }
    QString stepText() const;
    QString lastError() const { return last_error_; }
    quint64 viewRefreshes() const { return refreshes_; }  // times every view was given a new snapshot
    QAction* playAction() const { return play_; }
    QAction* pauseAction() const { return pause_; }
    QAction* stepAction() const { return step_; }
    QAction* resetAction() const { return reset_; }

signals:
    void snapshotShown(moe::ui::SnapshotPtr snapshot);  // after every view has it
    void errorShown(const QString& message);
    void runSaved(const QString& dir);

private slots:
    void onSnapshot(moe::ui::SnapshotPtr snapshot);
    void onSessionError(const QString& message);
    void onRunningChanged(bool running);
    void onRunSaved(const QString& dir);

private:
    void startSession();
    void buildActions();
    void buildMenus();
    void buildToolbar();
    void buildCentral();
    void buildDocks();
    void refreshViews();
    void updateActions();
    void updateTabs();
    void updateStepLabel();
    void showError(const QString& message);
    void showNotice(const QString& message);
    void clearBanner();
    void leaveReplay();
    void openLessonDialog();
    void openRunDialog();
    void saveRunDialog();
    void saveLessonDialog();
    // The inspector and the views that mark its token (the routing view's outline) show the same token, or none.
    void inspectToken(int model, int layer, int token);
    void clearInspector();
    void keepEarlierRun();  // before Apply or Reset restarts: the run so far joins the earlier runs
    void showEarlierRuns();
    void fillEarlierRunsMenu();
    void exportAllDialog();
    void openSweepDialog();  // Training > Run seeds... (main_window_sweep.cpp)

    QThread thread_;
    TrainingSession* session_ = nullptr;  // lives in thread_, deleted when it finishes

    Lesson lesson_;          // what the session trains
    Lesson replay_lesson_;   // the replayed run's configs
    SnapshotPtr latest_;     // newest snapshot from the session
    SnapshotPtr replay_snapshot_;
    bool replay_ = false;
    bool running_ = false;
    bool refresh_pending_ = false;
    bool awaiting_start_ = false;  // configure/reset sent: ignore snapshots until one of step 0
    bool presentation_ = false;
    quint64 refreshes_ = 0;
    QString last_error_;
    QFont normal_font_;
    Qt::WindowStates normal_state_;

    std::vector<View*> views_;
    std::vector<ViewPanel*> panels_;
    QTabWidget* tabs_ = nullptr;
    QLabel* banner_ = nullptr;
    class ScoreBoard* scores_ = nullptr;
    QLabel* step_label_ = nullptr;
    QComboBox* speed_ = nullptr;
    QComboBox* compute_ = nullptr;  // CPU / CUDA / Auto: where both models train
    ControlsPanel* controls_ = nullptr;
    LessonPanel* lesson_panel_ = nullptr;
    TokenInspector* inspector_ = nullptr;
    QDockWidget* controls_dock_ = nullptr;
    QDockWidget* lesson_dock_ = nullptr;
    QDockWidget* inspector_dock_ = nullptr;
    QMenu* lessons_menu_ = nullptr;

    QAction* play_ = nullptr;
    QAction* pause_ = nullptr;
    QAction* step_ = nullptr;
    QAction* reset_ = nullptr;
    QAction* play_pause_ = nullptr;
    QAction* presentation_action_ = nullptr;
    QAction* explanations_action_ = nullptr;
    EarlierRuns earlier_;
    QMenu* earlier_menu_ = nullptr;
    std::vector<QAction*> presentation_keys_;  // next / previous view, leave: enabled in presentation mode
    std::array<bool, 3> docks_shown_{true, true, true};  // controls, lesson, inspector before presenting
    bool explanations_shown_ = true;
    QAction* save_run_ = nullptr;
};

}  // namespace moe::ui
