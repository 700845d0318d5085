#include "ui/window/sweep_dialog.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "ui/window/seed_sweep.h"
#include "ui/window/sweep_runner.h"
#include "ui/window/sweep_table.h"

#include <QCheckBox>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace moe::ui {
namespace {

constexpr const char* kErrorStyle = "color: #c62828;";

// A message shown next to (wrap: under) its field while the field is wrong.
QLabel* error_label(const QString& name, bool wrap) {
    auto* label = new QLabel;
    label->setObjectName(name);
    label->setStyleSheet(kErrorStyle);
    label->setWordWrap(wrap);
    label->hide();
    return label;
}

void show_error(QLabel* label, const QString& message) {
    label->setText(message);
    label->setVisible(!message.isEmpty());
}

// "1 min 20 s", "45 s": for the time left and the time taken.
QString duration_text(double seconds) {
    const int s = static_cast<int>(seconds + 0.5);
    return s >= 60 ? QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60) : QObject::tr("%1 s").arg(s);
}

// A fresh default folder, never one an earlier sweep of this session wrote (timestamps have 1 s resolution).
QString fresh_folder(const QString& title) {
    const QString base = default_sweep_folder(title);
    QString dir = base;
    for (int i = 2; QFileInfo::exists(dir); ++i) dir = base + "-" + QString::number(i);
    return dir;
}

}  // namespace

SweepDialog::SweepDialog(const Lesson& lesson, const QString& device, QWidget* parent)
    : QDialog(parent), lesson_(lesson), device_(device) {
    setObjectName("sweepDialog");
    setWindowTitle(tr("Run seeds - %1").arg(lesson.title));
    runner_ = new SweepRunner(this);
    connect(runner_, &SweepRunner::progress, this, &SweepDialog::onProgress);
    connect(runner_, &SweepRunner::runDone, this, &SweepDialog::onRunDone);
    connect(runner_, &SweepRunner::notice, this, [this](const QString& message) {
        notice_->setText(message);
        notice_->show();
    });
    connect(runner_, &SweepRunner::finished, this, &SweepDialog::onFinished);

    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        tr("Trains <b>A: %1</b> and <b>B: %2</b> of this lesson from fresh weights once per seed, one run after "
           "another, and tabulates the final validation loss. A difference between A and B larger than the spread "
           "over the seeds is a real one. The main window's training is not paused: both compete for the CPU, so "
           "pause it (Space) for a faster sweep.")
            .arg(lesson.label_a.toHtmlEscaped(), lesson.label_b.toHtmlEscaped()));
    intro->setWordWrap(true);
    layout->addWidget(intro);
    layout->addWidget(buildForm());
    layout->addWidget(buildButtons());

    progress_ = new QProgressBar;
    progress_->setObjectName("progress");
    progress_->setRange(0, 1000);  // a fraction of the whole sweep: runs done plus the current run's steps
    progress_->setValue(0);
    progress_->setFormat(tr("not started"));
    layout->addWidget(progress_);
    status_ = new QLabel;
    status_->setObjectName("status");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(status_);
    notice_ = new QLabel;
    notice_->setObjectName("deviceNotice");
    notice_->setWordWrap(true);
    notice_->setStyleSheet("color: #e65100;");
    notice_->hide();
    layout->addWidget(notice_);

    table_ = new QTableWidget;
    table_->setObjectName("results");
    table_->verticalHeader()->hide();
    table_->setSelectionMode(QAbstractItemView::ContiguousSelection);
    table_->setAlternatingRowColors(true);
    layout->addWidget(table_, 1);
    resize(780, 560);
    validate();
}

SweepDialog::~SweepDialog() {
    // Joined here, before any widget goes: the worker's last queued signals are then dropped with this object.
    delete runner_;
    runner_ = nullptr;
}

QWidget* SweepDialog::buildForm() {
    auto* form_widget = new QWidget;
    auto* form = new QFormLayout(form_widget);
    form->setContentsMargins(0, 8, 0, 8);

    seeds_ = new QLineEdit("1,2,3");
    seeds_->setObjectName("seeds");
    seeds_->setToolTip(tr("Whole numbers separated by commas: each configuration is trained once per seed"));
    seeds_error_ = error_label("seedsError", false);
    seeds_->setMinimumWidth(220);
    // Field, then its message, then the rest: the field keeps its width whether a message shows or not.
    auto* seeds_row = new QHBoxLayout;
    seeds_row->addWidget(seeds_);
    seeds_row->addWidget(seeds_error_);
    seeds_row->addStretch(1);
    form->addRow(tr("Seeds"), seeds_row);

    steps_ = new QSpinBox;
    steps_->setObjectName("steps");
    steps_->setRange(0, 1000000);  // 0 is allowed in the box so that it can be refused with a message
    steps_->setValue(std::max(1, lesson_.steps));
    steps_->setToolTip(tr("Training steps of every run (also the length of the learning-rate schedule)"));
    steps_error_ = error_label("stepsError", false);
    steps_->setMinimumWidth(120);
    auto* steps_row = new QHBoxLayout;
    steps_row->addWidget(steps_);
    steps_row->addWidget(steps_error_);
    steps_row->addStretch(1);
    form->addRow(tr("Steps"), steps_row);

    default_folder_ = fresh_folder(lesson_.title);
    folder_ = new QLineEdit(QDir::toNativeSeparators(default_folder_));
    folder_->setObjectName("outputFolder");
    folder_->setToolTip(tr("One run folder per run, plus runs.csv, summary.csv and summary.json"));
    browse_ = new QPushButton(tr("Browse..."));
    connect(browse_, &QPushButton::clicked, this, &SweepDialog::browse);
    auto* folder_row = new QHBoxLayout;
    folder_row->addWidget(folder_, 1);
    folder_row->addWidget(browse_);
    form->addRow(tr("Output folder"), folder_row);
    replace_ = new QCheckBox(tr("Replace an earlier sweep in this folder"));
    replace_->setObjectName("replaceEarlier");
    replace_->setToolTip(tr("A sweep is never mixed with an earlier one. Ticked, an earlier sweep's tables and run "
                            "folders there are deleted first (nothing else: a folder holding other files is "
                            "refused); unticked, a folder that is not empty is refused."));
    form->addRow(QString(), replace_);
    folder_error_ = error_label("folderError", true);
    form->addRow(QString(), folder_error_);

    const QString device = device_ == "cuda" ? tr("CUDA") : device_ == "auto" ? tr("Auto") : tr("CPU");
    form->addRow(tr("Compute"), new QLabel(tr("%1 (the main window's Compute choice)").arg(device)));

    for (QLineEdit* edit : {seeds_, folder_}) connect(edit, &QLineEdit::textChanged, this, &SweepDialog::validate);
    connect(steps_, &QSpinBox::valueChanged, this, &SweepDialog::validate);
    return form_widget;
}

QWidget* SweepDialog::buildButtons() {
    auto* row_widget = new QWidget;
    auto* row = new QHBoxLayout(row_widget);
    row->setContentsMargins(0, 0, 0, 0);
    start_ = new QPushButton(tr("Start"));
    start_->setObjectName("start");
    start_->setDefault(true);
    stop_ = new QPushButton(tr("Stop"));
    stop_->setObjectName("stop");
    stop_->setToolTip(tr("Stops after the step in flight; the tables keep every run that finished"));
    open_folder_ = new QPushButton(tr("Open folder"));
    open_folder_->setObjectName("openFolder");
    open_folder_->setEnabled(false);
    auto* close = new QPushButton(tr("Close"));
    connect(start_, &QPushButton::clicked, this, &SweepDialog::start);
    connect(stop_, &QPushButton::clicked, this, &SweepDialog::stop);
    connect(open_folder_, &QPushButton::clicked, this,
            [this] { QDesktopServices::openUrl(QUrl::fromLocalFile(sweep_dir_)); });
    connect(close, &QPushButton::clicked, this, &QWidget::close);
    row->addWidget(start_);
    row->addWidget(stop_);
    row->addWidget(open_folder_);
    row->addStretch(1);
    row->addWidget(close);
    return row_widget;
}

bool SweepDialog::isRunning() const { return runner_ && runner_->isRunning(); }

bool SweepDialog::canStart() const {
    return !isRunning() && parse_seeds(seeds_->text()).has_value() && steps_->value() > 0 &&
           !folder_->text().trimmed().isEmpty();
}

QString SweepDialog::statusText() const { return status_->text(); }

void SweepDialog::setStatus(const QString& text, bool error) {
    status_->setText(text);
    status_->setStyleSheet(error ? QString(kErrorStyle) : QString());
}
QString SweepDialog::noticeText() const { return notice_->text(); }

void SweepDialog::validate() {
    QString why;
    const auto seeds = parse_seeds(seeds_->text(), &why);
    show_error(seeds_error_, why);
    show_error(steps_error_, steps_->value() > 0 ? QString() : tr("At least 1 step"));
    show_error(folder_error_, folder_->text().trimmed().isEmpty() ? tr("Choose an output folder") : QString());
    start_->setEnabled(canStart());
    stop_->setEnabled(isRunning());
    if (isRunning()) return;
    if (!canStart()) {
        setStatus(tr("Correct the fields marked in red to start."));
        return;
    }
    const SweepPlan plan = lesson_sweep_plan(lesson_, *seeds, steps_->value());
    setStatus(tr("Ready: %1 configurations x %2 seeds = %3 runs of %4 steps.")
                         .arg(plan.configs.size()).arg(plan.seeds.size()).arg(plan.runs()).arg(steps_->value()));
}

void SweepDialog::browse() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder for the sweep's runs and tables"),
                                                          QFileInfo(folder_->text()).absolutePath());
    if (!dir.isEmpty()) folder_->setText(QDir::toNativeSeparators(dir));
}

void SweepDialog::start() {
    if (!canStart()) return;
    const QString dir = QFileInfo(QDir::fromNativeSeparators(folder_->text().trimmed())).absoluteFilePath();
    // Checked here, on the GUI thread, so the message sits next to the field instead of ending a sweep.
    const ExistingFolder existing = replace_->isChecked() ? ExistingFolder::replace : ExistingFolder::refuse;
    try {
        // With replace, this refuses a folder that holds anything but an earlier sweep, with the reason.
        const bool earlier = !sweep_files_to_replace(dir.toStdString(), ExistingFolder::replace).empty();
        if (earlier && existing == ExistingFolder::refuse)
            throw Error(tr("%1 is not empty: a new sweep is never mixed with an earlier one. Tick \"%2\" to "
                           "delete the earlier sweep first, or choose another folder.")
                            .arg(QDir::toNativeSeparators(dir), replace_->text()).toStdString());
        ensure_directory(dir.toStdString());
        if (!QFileInfo(dir).isWritable())
            throw Error(tr("The output folder %1 is not writable: choose another.").arg(dir).toStdString());
    } catch (const std::exception& e) {
        show_error(folder_error_, QString::fromUtf8(e.what()));
        setStatus(tr("Nothing was started: the output folder cannot be used."), true);
        return;
    }
    plan_ = lesson_sweep_plan(lesson_, *parse_seeds(seeds_->text()), steps_->value());
    runs_.clear();
    sweep_dir_ = dir;
    fill_sweep_table(table_, plan_, runs_);
    notice_->clear();
    notice_->hide();
    open_folder_->setEnabled(false);
    setProgress(0);
    setStatus(tr("Starting %1 runs into %2 ...").arg(plan_.runs()).arg(QDir::toNativeSeparators(dir)));
    clock_.start();
    gpu::ComputeDevice device = gpu::ComputeDevice::Cpu;
    try {
        device = gpu::parse_compute_device(device_.toStdString());
    } catch (const std::exception&) {  // the window offers only cpu, cuda and auto; anything else is the CPU
    }
    runner_->start(plan_, dir, device, existing);
    setRunning(true);
}

void SweepDialog::stop() {
    if (!isRunning()) return;
    runner_->requestStop();
    stop_->setEnabled(false);
    setStatus(tr("Stopping after the step in flight ..."));
}

void SweepDialog::setRunning(bool running) {
    for (QWidget* w : std::initializer_list<QWidget*>{seeds_, steps_, folder_, browse_, replace_})
        w->setEnabled(!running);
    validate();
}

void SweepDialog::setProgress(double runs_done) {
    const double total = std::max<double>(1, static_cast<double>(plan_.runs()));
    progress_->setValue(static_cast<int>(1000 * runs_done / total));
    progress_->setFormat(tr("%1 of %2 runs done").arg(static_cast<int>(runs_done)).arg(plan_.runs()));
}

void SweepDialog::onProgress(const SweepProgress& p) {
    if (!isRunning()) return;  // queued before Stop took effect
    const double done = p.run + (p.steps > 0 ? static_cast<double>(p.step) / p.steps : 0.0);
    setProgress(done);
    QString text = tr("run %1 of %2: %3 seed %4, step %5/%6")
                       .arg(p.run + 1).arg(p.runs).arg(p.label).arg(p.seed).arg(p.step).arg(p.steps);
    if (!p.device.isEmpty()) text += tr(" on %1").arg(p.device);
    const double seconds = clock_.elapsed() / 1000.0;
    if (done > 0 && seconds > 2) text += tr(", about %1 left").arg(duration_text(seconds * (p.runs - done) / done));
    setStatus(text);
}

void SweepDialog::onRunDone(const SweepRun& run) {
    runs_.push_back(run);
    fill_sweep_table(table_, plan_, runs_);
    setProgress(static_cast<double>(runs_.size()));
    open_folder_->setEnabled(true);  // the run folder and the tables are written before this signal
}

void SweepDialog::onFinished(const QString& error, bool stopped) {
    const auto finished = std::count_if(runs_.begin(), runs_.end(), [](const SweepRun& r) { return r.status != "stopped"; });
    const auto failed = std::count_if(runs_.begin(), runs_.end(),
                                      [](const SweepRun& r) { return r.status.rfind("failed", 0) == 0; });
    setProgress(static_cast<double>(finished));
    QString text;
    if (!error.isEmpty())
        text = tr("The sweep ended with an error after %1 of %2 runs: %3").arg(finished).arg(plan_.runs()).arg(error);
    else if (stopped && finished < static_cast<std::ptrdiff_t>(plan_.runs()))
        text = tr("Stopped after %1 of %2 runs: the tables hold the runs that finished.").arg(finished).arg(plan_.runs());
    else
        text = tr("Done: %1 runs in %2.").arg(finished).arg(duration_text(clock_.elapsed() / 1000.0));
    if (failed) text += tr(" %1 failed (see the table; the others went on).").arg(failed);
    if (!runs_.empty())
        text += tr(" Tables: summary.csv, summary.json and runs.csv in %1").arg(QDir::toNativeSeparators(sweep_dir_));
    // The next Start must not overwrite this sweep's folders unless the user asks for that folder.
    if (QDir::fromNativeSeparators(folder_->text().trimmed()) == default_folder_) {
        default_folder_ = fresh_folder(lesson_.title);
        folder_->setText(QDir::toNativeSeparators(default_folder_));
    }
    setRunning(false);
    setStatus(text, !error.isEmpty());  // after setRunning, whose validate() writes "Ready"
    emit sweepFinished();
    if (close_when_done_) close();
}

void SweepDialog::closeEvent(QCloseEvent* event) {
    if (!isRunning()) return QDialog::closeEvent(event);
    closeWhenStopped();
    event->ignore();
}

void SweepDialog::done(int result) {
    if (!isRunning()) return QDialog::done(result);
    closeWhenStopped();  // Esc or a reject() mid-sweep: as closing
}

void SweepDialog::closeWhenStopped() {
    // Hidden now; closed (and deleted, with WA_DeleteOnClose) by onFinished once the step in flight is done, so the
    // GUI thread never waits for a step.
    close_when_done_ = true;
    runner_->requestStop();
    hide();
}

}  // namespace moe::ui
