#include "ui/window/sweep_table.h"

#include <QObject>
#include <QTableWidget>

#include <algorithm>
#include <cmath>

namespace moe::ui {
namespace {

QString loss_text(double x) { return std::isfinite(x) ? QString::number(x, 'f', 4) : QString::fromUtf8("\u2014"); }

// A read-only cell; `value` (the exact number, NaN when there is none) goes to Qt::UserRole for tests and copies.
QTableWidgetItem* cell(const QString& text, double value = NAN) {
    auto* item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    item->setData(Qt::UserRole, value);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QTableWidgetItem* seed_cell(const SweepRun& run) {
    if (run.status == "ok") {
        QTableWidgetItem* item = cell(loss_text(run.outcome.final_val_loss), run.outcome.final_val_loss);
        item->setToolTip(QObject::tr("%1 steps on %2 in %3 s\n%4")
                             .arg(run.outcome.steps)
                             .arg(QString::fromStdString(run.outcome.device))
                             .arg(run.outcome.seconds, 0, 'f', 1)
                             .arg(QString::fromStdString(run.outcome.dir)));
        return item;
    }
    // Not in the statistics (summary.csv counts only finished runs), but visible, with run_sweep's reason.
    const bool failed = run.status.rfind("failed", 0) == 0;
    QTableWidgetItem* item =
        cell(failed ? QObject::tr("failed") : QObject::tr("stopped at %1").arg(run.outcome.steps));
    item->setForeground(failed ? QColor("#c62828") : QColor("#757575"));
    item->setToolTip(QString::fromStdString(run.status));
    return item;
}

}  // namespace

void fill_sweep_table(QTableWidget* table, const SweepPlan& plan, const std::vector<SweepRun>& runs) {
    QStringList headers = {QObject::tr("Configuration"), QObject::tr("Runs"),
                           QObject::tr("Val loss mean \u00b1 sd"), QObject::tr("Min"), QObject::tr("Max")};
    for (uint64_t seed : plan.seeds) headers << QObject::tr("Seed %1").arg(seed);
    table->clear();
    table->setColumnCount(static_cast<int>(headers.size()));
    table->setHorizontalHeaderLabels(headers);
    table->horizontalHeaderItem(kSweepMean)
        ->setToolTip(QObject::tr("Final validation loss: mean \u00b1 sample standard deviation over the finished "
                                 "runs (as in summary.csv)"));

    // As in summary.csv: only configurations with at least one run so far.
    std::vector<size_t> shown;
    for (size_t c = 0; c < plan.configs.size(); ++c)
        if (std::any_of(runs.begin(), runs.end(), [c](const SweepRun& r) { return r.config == c; }))
            shown.push_back(c);
    table->setRowCount(static_cast<int>(shown.size()));
    double best = INFINITY;
    for (size_t c : shown) best = std::min(best, final_val_stats(runs, c).mean);

    for (int row = 0; row < static_cast<int>(shown.size()); ++row) {
        const size_t c = shown[row];
        const SweepStats s = final_val_stats(runs, c);
        const auto attempted = std::count_if(runs.begin(), runs.end(), [c](const SweepRun& r) { return r.config == c; });
        auto* label = new QTableWidgetItem(QString::fromStdString(plan.configs[c].label));
        label->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        table->setItem(row, kSweepLabel, label);
        table->setItem(row, kSweepRuns,
                       cell(attempted == s.n ? QString::number(s.n) : QObject::tr("%1 of %2").arg(s.n).arg(attempted),
                            s.n));
        QString mean = loss_text(s.mean);
        if (std::isfinite(s.sd)) mean += QString::fromUtf8(" \u00b1 ") + QString::number(s.sd, 'f', 4);
        QTableWidgetItem* mean_item = cell(mean, s.mean);
        // The lowest mean in bold when there is something to compare.
        if (shown.size() > 1 && s.mean == best) {
            QFont bold = mean_item->font();
            bold.setBold(true);
            mean_item->setFont(bold);
        }
        table->setItem(row, kSweepMean, mean_item);
        table->setItem(row, kSweepMin, cell(loss_text(s.min), s.min));
        table->setItem(row, kSweepMax, cell(loss_text(s.max), s.max));
        for (const SweepRun& r : runs) {
            if (r.config != c) continue;
            const auto at = std::find(plan.seeds.begin(), plan.seeds.end(), r.seed) - plan.seeds.begin();
            table->setItem(row, kSweepFirstSeed + static_cast<int>(at), seed_cell(r));
        }
    }
    table->resizeColumnsToContents();
}

}  // namespace moe::ui
