#include "ui/window/sweep_table.h"

#include "core/train/paired_stats.h"

#include <QFontMetrics>
#include <QObject>
#include <QTableWidget>

#include <algorithm>
#include <cmath>

namespace moe::ui {
namespace {

const QString kDash = QString::fromUtf8("\u2014");

QString loss_text(double x) { return std::isfinite(x) ? QString::number(x, 'f', 4) : kDash; }

// A difference with its sign, the minus as U+2212 (as describe_paired writes it); one that rounds to 0 has none.
QString diff_text(double x) {
    if (!std::isfinite(x)) return kDash;
    QString s = QString::number(std::abs(x), 'f', 4);
    if (std::all_of(s.begin(), s.end(), [](QChar c) { return c == '0' || c == '.'; })) return s;
    return (x < 0 ? QString::fromUtf8("\u2212") : QString("+")) + s;
}

QString interval_text(double low, double high, QString (*text)(double)) {
    if (!std::isfinite(low) || !std::isfinite(high)) return kDash;
    return text(low) + QString::fromUtf8(" \u2026 ") + text(high);
}

// A read-only cell; `value` (the exact number, NaN when there is none) goes to Qt::UserRole for tests and copies.
QTableWidgetItem* cell(const QString& text, double value = NAN) {
    auto* item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    item->setData(Qt::UserRole, value);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QTableWidgetItem* interval_cell(double low, double high, QString (*text)(double)) {
    QTableWidgetItem* item = cell(interval_text(low, high, text), low);
    item->setData(kSweepHighRole, high);
    return item;
}

QTableWidgetItem* label_cell(const QString& text) {
    auto* label = new QTableWidgetItem(text);
    label->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    return label;
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

// Who is lower in how many seeds, and whether the interval can tell the sign: the line a student reads first.
// Names the side that is lower in more seeds (B when even), as describe_paired does.
QString verdict_text(const PairedComparison& p, const QString& a, const QString& b) {
    const bool a_side = p.wins_a > p.wins_b;
    QString s = QObject::tr("%1 lower in %2 of %3").arg(a_side ? a : b).arg(a_side ? p.wins_a : p.wins_b).arg(p.n);
    if (p.ties) s += p.ties == 1 ? QObject::tr(", 1 tie") : QObject::tr(", %1 ties").arg(p.ties);
    if (p.n < 2) return s + QObject::tr("; one seed: no interval");
    if (p.within_noise()) s += QObject::tr(": within noise");
    return s;
}

// Row `row`: configuration `c` (B) minus the baseline (A), seed by seed.
void fill_paired_row(QTableWidget* table, int row, const SweepPlan& plan, const std::vector<SweepRun>& runs, size_t c,
                     const PairedComparison& p) {
    const QString a = QString::fromStdString(plan.configs[plan.baseline].label);
    const QString b = QString::fromStdString(plan.configs[c].label);
    QTableWidgetItem* label = label_cell(QObject::tr("%1 \u2212 %2 (paired)").arg(b, a));
    label->setData(kSweepPairedRole, static_cast<qulonglong>(c));
    const QString sentence = QString::fromStdString(describe_paired(p, a.toStdString(), b.toStdString()));
    label->setToolTip(sentence + QObject::tr("\nThe difference of the final validation losses seed by seed (%1 minus "
                                             "%2): below zero, %1 is better.").arg(b, a));
    QFont italic = label->font();
    italic.setItalic(true);
    label->setFont(italic);
    table->setItem(row, kSweepLabel, label);
    table->setItem(row, kSweepRuns, cell(p.n == 1 ? QObject::tr("1 pair") : QObject::tr("%1 pairs").arg(p.n), p.n));
    QTableWidgetItem* mean = cell(diff_text(p.mean_diff), p.mean_diff);
    if (std::isfinite(p.se)) mean->setToolTip(QObject::tr("standard error %1").arg(p.se, 0, 'f', 4));
    table->setItem(row, kSweepMean, mean);
    table->setItem(row, kSweepCI, interval_cell(p.ci_low, p.ci_high, diff_text));
    QTableWidgetItem* verdict = cell(verdict_text(p, a, b), p.wins_b);
    verdict->setTextAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    verdict->setToolTip(sentence);
    // A difference the interval signs is bold, one it cannot is grey: that is not a result.
    if (p.n >= 2 && p.within_noise()) verdict->setForeground(QColor("#757575"));
    if (p.n >= 2 && !p.within_noise()) {
        QFont bold = verdict->font();
        bold.setBold(true);
        verdict->setFont(bold);
    }
    table->setItem(row, kSweepVerdict, verdict);
    table->setSpan(row, kSweepMin, 1, kSweepMax - kSweepMin + 1);
    const std::vector<double> va = final_val_by_seed(plan, runs, plan.baseline), vb = final_val_by_seed(plan, runs, c);
    for (size_t s = 0; s < plan.seeds.size(); ++s)
        if (std::isfinite(va[s]) && std::isfinite(vb[s]))
            table->setItem(row, kSweepFirstSeed + static_cast<int>(s), cell(diff_text(vb[s] - va[s]), vb[s] - va[s]));
}

}  // namespace

void fill_sweep_table(QTableWidget* table, const SweepPlan& plan, const std::vector<SweepRun>& runs) {
    QStringList headers = {QObject::tr("Configuration"), QObject::tr("Runs"), QObject::tr("Val loss mean \u00b1 sd"),
                           QObject::tr("95 % CI"), QObject::tr("Min"), QObject::tr("Max")};
    for (uint64_t seed : plan.seeds) headers << QObject::tr("Seed %1").arg(seed);
    table->clear();
    table->clearSpans();
    table->setColumnCount(static_cast<int>(headers.size()));
    table->setHorizontalHeaderLabels(headers);
    table->horizontalHeaderItem(kSweepMean)
        ->setToolTip(QObject::tr("Final validation loss: mean \u00b1 sample standard deviation over the finished "
                                 "runs (as in summary.csv); on a paired row, the mean of the per-seed differences"));
    table->horizontalHeaderItem(kSweepCI)
        ->setToolTip(QObject::tr("95 % interval (Student's t): of the mean, or on a paired row of the mean "
                                 "difference. A difference whose interval holds 0 is within seed noise."));

    // As in summary.csv: only configurations with at least one run so far.
    std::vector<size_t> shown;
    for (size_t c = 0; c < plan.configs.size(); ++c)
        if (std::any_of(runs.begin(), runs.end(), [c](const SweepRun& r) { return r.config == c; }))
            shown.push_back(c);
    // One paired row per configuration that shares at least one finished seed with the baseline.
    std::vector<std::pair<size_t, PairedComparison>> paired;
    if (plan.baseline < plan.configs.size())
        for (size_t c : shown)
            if (c != plan.baseline)
                if (const PairedComparison p = paired_vs_baseline(plan, runs, c); p.n > 0) paired.emplace_back(c, p);
    table->setRowCount(static_cast<int>(shown.size() + paired.size()));
    double best = INFINITY;
    for (size_t c : shown) best = std::min(best, final_val_stats(runs, c).mean);

    for (int row = 0; row < static_cast<int>(shown.size()); ++row) {
        const size_t c = shown[row];
        const SweepStats s = final_val_stats(runs, c);
        const auto attempted = std::count_if(runs.begin(), runs.end(), [c](const SweepRun& r) { return r.config == c; });
        table->setItem(row, kSweepLabel, label_cell(QString::fromStdString(plan.configs[c].label)));
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
        table->setItem(row, kSweepCI, interval_cell(s.ci_low, s.ci_high, loss_text));
        table->setItem(row, kSweepMin, cell(loss_text(s.min), s.min));
        table->setItem(row, kSweepMax, cell(loss_text(s.max), s.max));
        for (const SweepRun& r : runs) {
            if (r.config != c) continue;
            const auto at = std::find(plan.seeds.begin(), plan.seeds.end(), r.seed) - plan.seeds.begin();
            table->setItem(row, kSweepFirstSeed + static_cast<int>(at), seed_cell(r));
        }
    }
    for (size_t i = 0; i < paired.size(); ++i)
        fill_paired_row(table, static_cast<int>(shown.size() + i), plan, runs, paired[i].first, paired[i].second);
    table->resizeColumnsToContents();
    // Sizing to contents ignores spanned cells: widen Max until each verdict fits on one line in Min + Max.
    for (int row = static_cast<int>(shown.size()); row < table->rowCount(); ++row) {
        const QTableWidgetItem* verdict = table->item(row, kSweepVerdict);
        const int needed = QFontMetrics(verdict->font()).horizontalAdvance(verdict->text()) + 16;  // bold is wider
        const int have = table->columnWidth(kSweepMin) + table->columnWidth(kSweepMax);
        if (needed > have) table->setColumnWidth(kSweepMax, table->columnWidth(kSweepMax) + needed - have);
    }
}

}  // namespace moe::ui
