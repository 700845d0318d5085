// Training > Run seeds...: the ablation a student ends with. Models A and B of the current lesson are trained from
// fresh weights once per seed, in the background, and the final validation losses are tabulated (mean ± sd, 95 %
// interval, min, max and each seed's value, and B − A paired by seed with its interval and wins), which is what
// tells a real A vs B difference from seed noise. Every run is a run
// folder, and runs.csv, summary.csv and summary.json (the table) are rewritten after each run (core/train/sweep.h).
//
// Non-modal: the main window's live training goes on (both compete for the CPU). Closing the dialog mid-sweep
// stops the sweep; the dialog goes away once the step in flight has finished.
#pragma once

#include "core/train/sweep.h"
#include "ui/session/lesson.h"

#include <QDialog>
#include <QElapsedTimer>

#include <vector>

class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace moe::ui {

class SweepRunner;
struct SweepProgress;

class SweepDialog : public QDialog {
    Q_OBJECT
public:
    // `device`: the main window's Compute choice, "cpu", "cuda" or "auto".
    SweepDialog(const Lesson& lesson, const QString& device, QWidget* parent = nullptr);
    ~SweepDialog() override;

    // What the buttons do (also for tests and scripts).
    void start();
    void stop();
    bool isRunning() const;
    bool canStart() const;

    QLineEdit* seedsEdit() const { return seeds_; }
    QSpinBox* stepsSpin() const { return steps_; }
    QLineEdit* folderEdit() const { return folder_; }
    QCheckBox* replaceBox() const { return replace_; }  // replace an earlier sweep in the folder
    QTableWidget* table() const { return table_; }
    QString statusText() const;
    QString noticeText() const;
    QString sweepFolder() const { return sweep_dir_; }  // of the sweep started last
    const std::vector<SweepRun>& runs() const { return runs_; }

    // Mid-sweep, closing (also Esc) stops the sweep and hides the dialog; it closes once the thread has ended.
    void done(int result) override;

signals:
    void sweepFinished();  // after the table and the status show the end

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    QWidget* buildForm();
    QWidget* buildButtons();
    void validate();
    void browse();
    void setRunning(bool running);
    void setStatus(const QString& text, bool error = false);
    void closeWhenStopped();
    void onProgress(const SweepProgress& p);
    void onRunDone(const SweepRun& run);
    void onFinished(const QString& error, bool stopped);
    void fillTable();
    void setProgress(double runs_done);

    Lesson lesson_;
    QString device_;
    SweepPlan plan_;  // of the sweep started last
    std::vector<SweepRun> runs_;
    QString sweep_dir_;
    QString default_folder_;  // replaced by a fresh one after each sweep unless the user typed another
    QElapsedTimer clock_;
    bool close_when_done_ = false;

    SweepRunner* runner_ = nullptr;
    QLineEdit* seeds_ = nullptr;
    QLabel* seeds_error_ = nullptr;
    QSpinBox* steps_ = nullptr;
    QLabel* steps_error_ = nullptr;
    QLineEdit* folder_ = nullptr;
    QPushButton* browse_ = nullptr;
    QCheckBox* replace_ = nullptr;
    QLabel* folder_error_ = nullptr;
    QPushButton* start_ = nullptr;
    QPushButton* stop_ = nullptr;
    QPushButton* open_folder_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* status_ = nullptr;
    QLabel* notice_ = nullptr;
    QTableWidget* table_ = nullptr;
};

}  // namespace moe::ui
