#include "ui/views/probes_view.h"

#include "ui/views/model_panels.h"
#include "ui/views/plot_text.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QLabel>
#include <QMetaMethod>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace moe::ui {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// In the shared-off panel A and B sit a little apart, so two equal losses do not hide each other.
constexpr double kSharedOffset = 0.06;

// "+0.53" / "−0.12": a difference, with a true minus sign; small ones with a digit more ("+0.043").
QString signed_number(double v) {
    const int decimals = std::abs(v) < 0.1 ? 3 : 2;
    const QString digits = QString::number(std::abs(v), 'f', decimals);
    if (digits.toDouble() == 0) return QStringLiteral("±") + digits;
    return (v > 0 ? QStringLiteral("+") : QStringLiteral("−")) + digits;
}

QString number(double v, int decimals = 3) { return QString::number(v, 'f', decimals); }

// The loss of a point on all validation tokens (domain < 0) or on one domain's (NaN when it has none).
double point_loss(const ProbePoint& p, int domain) {
    if (domain < 0) return p.loss;
    return std::size_t(domain) < p.domain_loss.size() ? p.domain_loss[std::size_t(domain)] : kNaN;
}

double baseline_loss(const ProbeResults& r, int domain) {
    if (domain < 0) return r.baseline_loss;
    return std::size_t(domain) < r.baseline_domain_loss.size() ? r.baseline_domain_loss[std::size_t(domain)] : kNaN;
}

bool drawable(const ProbePoint& p, int domain) { return p.available && std::isfinite(point_loss(p, domain)); }

double point_delta(const ProbePoint& p, const ProbeResults& r, int domain) {
    return point_loss(p, domain) - baseline_loss(r, domain);
}

const ProbePoint* find_x(const std::vector<ProbePoint>& points, int x) {
    for (const ProbePoint& p : points)
        if (p.x == x) return &p;
    return nullptr;
}

QString legend_name(const ProbeRun& run, int m) {
    const QString& label = run.labels[std::size_t(m)];
    return label.isEmpty() ? model_letter(m) : model_letter(m) + QStringLiteral(" · ") + label;
}

// Per model, the points that could not be drawn, grouped by reason: "r = 3, 4: stopped".
QString not_drawn(const ProbeResults& r, int domain) {
    std::vector<std::pair<QString, QStringList>> groups;  // reason -> settings, in the order met
    auto add = [&](const QString& setting, const QString& reason) {
        for (auto& [why, settings] : groups)
            if (why == reason) {
                settings << setting;
                return;
            }
        groups.push_back({reason, {setting}});
    };
    for (const ProbePoint& p : r.mask)
        if (!p.available) add(QStringLiteral("r = %1").arg(p.x), QString::fromStdString(p.reason));
        else if (!drawable(p, domain)) add(QStringLiteral("r = %1").arg(p.x), QObject::tr("no tokens of this domain"));
    for (const ProbePoint& p : r.active_k)
        if (!p.available) add(QStringLiteral("k' = %1").arg(p.x), QString::fromStdString(p.reason));
    // Shared off on a model without a shared expert is said with the shared-off numbers.
    if (r.has_shared_off && !r.shared_off.available && r.n_shared > 0)
        add(QObject::tr("shared off"), QString::fromStdString(r.shared_off.reason));
    QStringList parts;
    for (std::size_t i = 0; i < groups.size() && i < 3; ++i)
        parts << groups[i].second.join(QStringLiteral(", ")) + QStringLiteral(": ") + groups[i].first;
    if (groups.size() > 3) parts << QObject::tr("%1 more").arg(groups.size() - 3);
    return parts.join(QStringLiteral("; "));
}

QString shared_off_text(const ProbeResults& r, int domain) {
    if (r.n_shared == 0) return QObject::tr("no shared expert: nothing to switch off");
    if (!r.has_shared_off) return QObject::tr("not run");
    if (!drawable(r.shared_off, domain)) return QString::fromStdString(r.shared_off.reason);
    return QObject::tr("%1 → %2 nats (%3)")
        .arg(number(baseline_loss(r, domain)), number(point_loss(r.shared_off, domain)),
             signed_number(point_delta(r.shared_off, r, domain)));
}

}  // namespace

ProbesView::ProbesView(QWidget* parent) : PlotView(parent) {
    run_ = new QPushButton(tr("Run probes"), this);
    run_->setObjectName("runProbes");
    run_->setToolTip(tr("Copy A's and B's current weights and run the probes on the validation set in the "
                        "background (training may go on)"));
    progress_ = new QProgressBar(this);
    progress_->setObjectName("probeProgress");
    progress_->setMinimumWidth(140);
    progress_->setFormat(tr("%v of %m passes"));
    progress_->hide();
    stop_ = new QPushButton(tr("Stop"), this);
    stop_->setObjectName("stopProbes");
    stop_->setToolTip(tr("Stop after the evaluation pass in flight; the points not run are not drawn"));
    stop_->hide();
    status_ = new QLabel(this);
    status_->setObjectName("probeStatus");
    axis_ = new QComboBox(this);
    axis_->setObjectName("probeAxis");
    axis_->addItem(tr("x: share (r / N_r, k' / k)"), int(XAxis::Share));
    axis_->addItem(tr("x: count (r, k')"), int(XAxis::Count));
    axis_->setToolTip(tr("The paper's Fig. 4 compares at equal masked share: 4 of 64 fine experts ≈ 1 of 16"));
    domain_ = new QComboBox(this);
    domain_->setObjectName("probeDomain");
    domain_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    domain_->addItem(tr("all domains"), -1);
    domain_->setToolTip(tr("The loss on all validation tokens, or on one domain's"));
    for (QWidget* w : std::initializer_list<QWidget*>{run_, progress_, stop_, status_, axis_, domain_}) addControl(w);
    connect(run_, &QPushButton::clicked, this, &ProbesView::runProbes);
    connect(stop_, &QPushButton::clicked, this, &ProbesView::stopProbes);
    connect(axis_, &QComboBox::currentIndexChanged, this, [this] { requestRebuild(); });
    connect(domain_, &QComboBox::currentIndexChanged, this, [this] { requestRebuild(); });

    runner_ = new ProbeRunner(this);
    connect(runner_, &ProbeRunner::progress, this, &ProbesView::onProgress);
    connect(runner_, &ProbeRunner::finished, this, &ProbesView::onFinished);

    QCustomPlot* p = plot();
    QCPLayoutGrid* layout = p->plotLayout();
    layout->clear();
    p->setAutoAddPlottableToLegend(false);
    QFont bold = p->font();
    bold.setPointSizeF(bold.pointSizeF() + 1);
    bold.setBold(true);
    headline_ = make_wrapping_title(p, bold);
    layout->addElement(0, 0, headline_);

    auto* panels = new QCPLayoutGrid;
    layout->addElement(1, 0, panels);
    panels->setColumnSpacing(24);
    panels->setRowSpacing(2);
    auto* align = new QCPMarginGroup(p);
    QFont title_font = p->font();
    title_font.setBold(true);
    for (int i = 0; i < 3; ++i) {
        panel_titles_[std::size_t(i)] = make_wrapping_title(p, title_font);
        panels->addElement(0, i, panel_titles_[std::size_t(i)]);
        auto* rect = new QCPAxisRect(p, true);
        panels->addElement(1, i, rect);
        rect->setMarginGroup(QCP::msTop | QCP::msBottom, align);
        for (QCPAxis* axis : rect->axes()) axis->setLayer("axes");
        rect->axis(QCPAxis::atLeft)->ticker()->setTickCount(5);
        rects_[std::size_t(i)] = rect;
        for (int m = 0; m < 2; ++m) {
            QCPGraph* g = p->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            g->setPen(QPen(model_colour(m), 2));
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, model_colour(m), model_colour(m), 7));
            graphs_[std::size_t(i)][std::size_t(m)] = g;
        }
        notes_[std::size_t(i)] = add_rect_note(p, rect, 0.5, 0.04, Qt::AlignTop | Qt::AlignHCenter);
        notes_[std::size_t(i)]->setTextAlignment(Qt::AlignCenter);
    }
    panels->setRowStretchFactor(0, 0.001);
    panels->setColumnStretchFactor(0, 1.2);  // the mask curve has the most points
    panels->setColumnStretchFactor(1, 0.7);  // two settings only: on and off
    panels->setColumnStretchFactor(2, 1.0);
    empty_note_ = add_empty_note(p, rects_[SharedOff]);

    rects_[Mask]->axis(QCPAxis::atLeft)->setLabel(tr("validation loss\n(nats)"));
    QSharedPointer<QCPAxisTickerText> on_off(new QCPAxisTickerText);
    on_off->addTick(0, tr("on"));
    on_off->addTick(1, tr("off"));
    rects_[SharedOff]->axis(QCPAxis::atBottom)->setTicker(on_off);
    rects_[SharedOff]->axis(QCPAxis::atBottom)->setLabel(tr("shared\nexperts"));
    rects_[SharedOff]->axis(QCPAxis::atBottom)->setRange(-0.45, 1.45);
    rects_[SharedOff]->axis(QCPAxis::atBottom)->grid()->setVisible(false);

    auto* holder = new QCPLayoutGrid;
    layout->addElement(2, 0, holder);
    holder->setMargins(QMargins(5, 0, 5, 2));
    legend_ = new QCPLegend;
    holder->addElement(0, 0, legend_);
    legend_->setLayer("legend");
    legend_->setFillOrder(QCPLegend::foColumnsFirst);
    legend_->setBorderPen(Qt::NoPen);
    legend_->setBrush(Qt::NoBrush);
    fit_legend_to_width(legend_);
    for (int m = 0; m < 2; ++m) graphs_[Mask][std::size_t(m)]->addToLegend(legend_);

    numbers_ = make_wrapping_title(p, p->font());
    numbers_->setTextFlags(Qt::AlignLeft | Qt::AlignVCenter);
    numbers_->setMargins(QMargins(8, 2, 8, 6));
    layout->addElement(3, 0, numbers_);
    layout->setRowStretchFactor(0, 0.001);
    layout->setRowStretchFactor(1, 1);
    layout->setRowStretchFactor(2, 0.001);
    layout->setRowStretchFactor(3, 0.001);
    setPlotMinimumHeight(260);  // more when its text needs it; in a short view it scrolls
}

QString ProbesView::explanation() const {
    return tr(
        "DeepSeekMoE's probes (§4.5) on A's and B's weights at the step in the title, on the fixed validation set. "
        "Mask top-r (Fig. 4): each token's r best routed experts are excluded and its top-k re-picked from the "
        "rest; the loss rises least where other experts can stand in, so the curve measures redundancy. The "
        "paper's x axis is the masked share r / N_r (4 of 64 fine experts ≈ 1 of 16 coarse ones); there "
        "DeepSeekMoE's loss rose faster than GShard×1.5's. Shared off: the shared experts' output set to zero (the "
        "paper: 1.808 → 2.414). Active k' (Fig. 5): only the top k' of the k routed experts kept, weights "
        "rescaled. r = 0, k' = k and shared on are the ordinary model. At this toy scale (800-step seed-1 "
        "checkpoints of the ladder lesson) it comes out otherwise: at equal masked share GShard degraded more "
        "(+1.53 vs +1.05 nats), the opposite of Fig. 4, and the shared-off jump (+0.09) is far smaller than the "
        "paper's (+0.61). The paper's models are far larger and trained far longer, and it compares with "
        "GShard×1.5 at equal validation loss (preset gshard-x1.5), not with an equal-budget GShard. One loss axis "
        "for A and B; points that could not run are not drawn, and the numbers below say why.");
}

void ProbesView::runProbes() {
    if (isProbing()) return;
    if (!isSignalConnected(QMetaMethod::fromSignal(&ProbesView::modelCopiesRequested))) {
        status_->setText(tr("No training session to copy the models from."));
        return;
    }
    awaiting_copies_ = true;
    setBusy(true);
    progress_->setRange(0, 0);  // busy until the first pass reports
    status_->setText(tr("copying A and B between two training steps…"));
    emit modelCopiesRequested();
}

void ProbesView::runOnCopies(moe::ui::ModelCopiesPtr copies, const QString& why_not) {
    const bool asked = awaiting_copies_;
    awaiting_copies_ = false;
    if (runner_->isRunning()) return;
    if (!copies) {
        status_->setText(why_not.isEmpty() ? tr("There were no models to copy.") : why_not);
        setBusy(false);
        return;
    }
    if (!asked && cancelled_) {  // Stop was pressed while the copies were on their way
        cancelled_ = false;
        return;
    }
    cancelled_ = false;
    clock_.start();
    runner_->start(copies);
    setBusy(true);
    progress_->setRange(0, 0);
    status_->setText(tr("probing A and B at step %1…").arg(copies->step));
}

void ProbesView::stopProbes() {
    if (runner_->isRunning()) {
        runner_->requestStop();
        status_->setText(tr("stopping after the pass in flight…"));
        return;
    }
    if (awaiting_copies_) {
        awaiting_copies_ = false;
        cancelled_ = true;
        setBusy(false);
        status_->setText(tr("stopped"));
    }
}

bool ProbesView::isProbing() const { return awaiting_copies_ || runner_->isRunning(); }

void ProbesView::setBusy(bool busy) {
    run_->setEnabled(!busy);
    progress_->setVisible(busy);
    stop_->setVisible(busy);
    if (!results_) requestRebuild();  // the empty figure says whether the probes are on their way
}

void ProbesView::onProgress(int done, int total) {
    progress_->setRange(0, std::max(total, 1));
    progress_->setValue(std::min(done, std::max(total, 1)));
}

void ProbesView::onFinished(moe::ui::ProbeRunPtr run, const QString& error) {
    setBusy(false);
    const double seconds = clock_.isValid() ? clock_.elapsed() / 1000.0 : 0.0;
    if (run) {
        results_ = std::move(run);
        syncDomainChoices();
        requestRebuild();
    }
    if (!error.isEmpty())
        status_->setText(error);
    else if (results_ && results_->stopped)
        status_->setText(tr("stopped after %1 s").arg(seconds, 0, 'f', 1));
    else
        status_->setText(tr("done in %1 s").arg(seconds, 0, 'f', 1));
}

void ProbesView::syncDomainChoices() {
    const int wanted = domain();
    const QSignalBlocker block(domain_);
    domain_->clear();
    domain_->addItem(tr("all domains"), -1);
    if (results_)
        for (std::size_t d = 0; d < results_->domain_names.size(); ++d)
            domain_->addItem(QString::fromStdString(results_->domain_names[d]), int(d));
    const int index = domain_->findData(wanted);
    domain_->setCurrentIndex(index >= 0 ? index : 0);
    domain_->setEnabled(domain_->count() > 2);  // one domain: "all" is that domain
}

void ProbesView::setXAxis(XAxis axis) { axis_->setCurrentIndex(axis_->findData(int(axis))); }
ProbesView::XAxis ProbesView::xAxis() const { return XAxis(axis_->currentData().toInt()); }

void ProbesView::setDomain(int domain) {
    const int index = domain_->findData(domain);
    if (index >= 0) domain_->setCurrentIndex(index);
}
int ProbesView::domain() const { return domain_->currentData().toInt(); }

void ProbesView::rebuild() {
    const ProbeRun* run = results_.get();
    const int d = domain();
    const bool share = xAxis() == XAxis::Share;
    const bool any = run != nullptr;

    // Before the first run: a word on what to do, not empty axes.
    for (QCPAxisRect* rect : rects_)
        for (QCPAxis* axis : rect->axes(QCPAxis::atLeft | QCPAxis::atBottom)) axis->setVisible(any);
    empty_note_->setVisible(!any);
    empty_note_->setText(isProbing() ? tr("probing A and B…\nthe results appear here") : tr("press Run probes"));
    legend_->setVisible(any);
    const QString domain_name = d >= 0 ? domain_->currentText() : QString();
    panel_titles_[Mask]->setText(any ? tr("mask top-r routed experts (Fig. 4)") : QString());
    panel_titles_[SharedOff]->setText(any ? tr("shared experts off") : QString());
    panel_titles_[ActiveK]->setText(any ? tr("activated routed experts k' (Fig. 5)") : QString());
    rects_[Mask]->axis(QCPAxis::atBottom)
        ->setLabel(share ? tr("share of routed\nexperts masked, r / N_r") : tr("routed experts\nmasked, r"));
    rects_[ActiveK]->axis(QCPAxis::atBottom)
        ->setLabel(share ? tr("share kept\nk' / k") : tr("experts kept\nk'"));
    rects_[Mask]->axis(QCPAxis::atLeft)
        ->setLabel(d >= 0 ? tr("validation loss,\n%1 (nats)").arg(domain_name) : tr("validation loss\n(nats)"));
    for (auto& panel : graphs_)
        for (QCPGraph* g : panel) g->data()->clear();
    for (QCPItemText* note : notes_) note->setText(QString());
    if (!any) {
        headline_->setText(isProbing() ? tr("Probes: measuring A and B on the validation set")
                                       : tr("Probes: press Run probes to measure A and B on the validation set at "
                                            "their current step"));
        numbers_->setText(QString());
        return;
    }

    QString head = tr("Probes at step %1").arg(run->step);
    if (d >= 0) head += tr(" · %1 tokens only").arg(domain_name);
    if (snapshot_ && snapshot_->step != run->step)
        head += tr(" · training is at step %1 now: these are the weights of step %2")
                    .arg(snapshot_->step)
                    .arg(run->step);
    if (run->stopped) head += tr(" · stopped: the points not run are missing");
    headline_->setText(head);

    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    double mask_x = 0, active_x = 0;
    for (int m = 0; m < 2; ++m) {
        const std::size_t mi = std::size_t(m);
        graphs_[Mask][mi]->setName(legend_name(*run, m));
        if (!run->ran(m)) continue;
        const ProbeResults& r = run->results[mi];
        auto draw = [&](Panel panel, double x, double y) {
            graphs_[panel][mi]->addData(x, y);
            lo = std::min(lo, y);
            hi = std::max(hi, y);
        };
        for (const ProbePoint& p : r.mask)
            if (drawable(p, d)) {
                const double x = share ? p.ratio : p.x;
                draw(Mask, x, point_loss(p, d));
                mask_x = std::max(mask_x, x);
            }
        for (const ProbePoint& p : r.active_k)
            if (drawable(p, d)) {
                const double x = share ? p.ratio : p.x;
                draw(ActiveK, x, point_loss(p, d));
                active_x = std::max(active_x, x);
            }
        const double offset = m == 0 ? -kSharedOffset : kSharedOffset;
        if (r.has_shared_off && drawable(r.shared_off, d) && std::isfinite(baseline_loss(r, d))) {
            draw(SharedOff, 0 + offset, baseline_loss(r, d));
            draw(SharedOff, 1 + offset, point_loss(r.shared_off, d));
        }
    }
    // The shared-off panel says in words what it cannot draw.
    QStringList shared_notes;
    for (int m = 0; m < 2; ++m) {
        if (!run->ran(m)) continue;
        const ProbeResults& r = run->results[std::size_t(m)];
        if (r.n_shared == 0)
            shared_notes << tr("%1: no shared expert:\nnothing to switch off").arg(model_letter(m));
        else if (r.has_shared_off && !drawable(r.shared_off, d))
            shared_notes << model_letter(m) + QStringLiteral(": ") + QString::fromStdString(r.shared_off.reason);
    }
    notes_[SharedOff]->setText(shared_notes.join(QStringLiteral("\n")));
    for (int m = 0; m < 2; ++m)
        if (!run->ran(m))
            for (QCPItemText* note : notes_)
                note->setText(note->text() + (note->text().isEmpty() ? "" : "\n") +
                              tr("%1: not probed").arg(model_letter(m)));

    // One loss axis for A and B and for all three panels: the rises compare directly.
    if (lo > hi) lo = 0, hi = 1;
    const double pad = std::max(0.06 * (hi - lo), 0.02);
    // Room at the top for the notes over the panels.
    for (QCPAxisRect* rect : rects_) rect->axis(QCPAxis::atLeft)->setRange(lo - pad, hi + 2.5 * pad);
    const double mx = mask_x > 0 ? mask_x : 1;
    rects_[Mask]->axis(QCPAxis::atBottom)->setRange(-0.04 * mx, 1.04 * mx);
    if (share)
        rects_[ActiveK]->axis(QCPAxis::atBottom)->setRange(0, 1.06);
    else
        rects_[ActiveK]->axis(QCPAxis::atBottom)->setRange(0.5, std::max(active_x, 1.0) + 0.5);
    if (!share) {
        use_integer_ticks(rects_[Mask]->axis(QCPAxis::atBottom));
        use_integer_ticks(rects_[ActiveK]->axis(QCPAxis::atBottom));
    } else {
        rects_[Mask]->axis(QCPAxis::atBottom)->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        rects_[ActiveK]->axis(QCPAxis::atBottom)->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    }
    for (int i : {int(Mask), int(ActiveK)}) rects_[std::size_t(i)]->axis(QCPAxis::atBottom)->ticker()->setTickCount(5);

    // The numbers beside the picture.
    QStringList lines;
    const ProbeResults& a = run->results[0];
    const ProbeResults& b = run->results[1];
    const bool both = run->ran(0) && run->ran(1);
    {
        QStringList parts;
        for (int m = 0; m < 2; ++m)
            if (run->ran(m)) {
                const ProbeResults& r = run->results[std::size_t(m)];
                parts << tr("%1 %2 (top-%3 of %4 routed%5)")
                             .arg(model_letter(m), number(baseline_loss(r, d)))
                             .arg(r.top_k)
                             .arg(r.n_routed)
                             .arg(r.n_shared > 0 ? tr(" + %1 shared").arg(r.n_shared) : QString());
            }
        if (!parts.isEmpty())
            lines << (d >= 0 ? tr("unprobed: %1 nats on the %2 validation tokens")
                                   .arg(parts.join(QStringLiteral(", ")), domain_name)
                             : tr("unprobed: %1 nats on %2 validation tokens")
                                   .arg(parts.join(QStringLiteral(", ")))
                                   .arg(run->ran(0) ? a.tokens : b.tokens));
    }
    {
        // mask top-r at equal r
        QStringList parts;
        for (int r = 1; r <= 4; ++r) {
            QStringList per;
            for (int m = 0; m < 2; ++m) {
                if (!run->ran(m)) continue;
                const ProbeResults& res = run->results[std::size_t(m)];
                const ProbePoint* p = find_x(res.mask, r);
                if (p && drawable(*p, d))
                    per << model_letter(m) + QStringLiteral(" ") + signed_number(point_delta(*p, res, d));
            }
            if (!per.isEmpty()) parts << tr("top-%1: %2").arg(r).arg(per.join(QStringLiteral(", ")));
        }
        if (!parts.isEmpty()) lines << tr("mask %1 nats").arg(parts.join(QStringLiteral(" · ")));
    }
    if (both && a.n_routed != b.n_routed && a.n_routed > 0 && b.n_routed > 0) {
        // At equal masked share (the paper's comparison): for each r of the model with fewer experts, the other's
        // point nearest in share, when within a fifth of it.
        const int coarse = a.n_routed < b.n_routed ? 0 : 1;
        const ProbeResults& c = run->results[std::size_t(coarse)];
        const ProbeResults& f = run->results[std::size_t(1 - coarse)];
        QStringList parts;
        for (const ProbePoint& pc : c.mask) {
            if (pc.x < 1 || !drawable(pc, d)) continue;
            const ProbePoint* best = nullptr;
            for (const ProbePoint& pf : f.mask)
                if (pf.x >= 1 && drawable(pf, d) &&
                    (!best || std::abs(pf.ratio - pc.ratio) < std::abs(best->ratio - pc.ratio)))
                    best = &pf;
            if (!best || std::abs(best->ratio - pc.ratio) > 0.2 * pc.ratio) continue;
            const ProbePoint& pa = coarse == 0 ? pc : *best;
            const ProbePoint& pb = coarse == 0 ? *best : pc;
            parts << tr("%1 %: A %2 (%3 of %4), B %5 (%6 of %7)")
                         .arg(100.0 * pc.ratio, 0, 'f', 0)
                         .arg(signed_number(point_delta(pa, a, d)))
                         .arg(pa.x)
                         .arg(a.n_routed)
                         .arg(signed_number(point_delta(pb, b, d)))
                         .arg(pb.x)
                         .arg(b.n_routed);
        }
        if (!parts.isEmpty()) lines << tr("at equal masked share %1").arg(parts.join(QStringLiteral(" · ")));
    }
    {
        QStringList parts;
        for (int m = 0; m < 2; ++m)
            if (run->ran(m))
                parts << model_letter(m) + QStringLiteral(" ") + shared_off_text(run->results[std::size_t(m)], d);
        if (!parts.isEmpty()) lines << tr("shared experts off: %1").arg(parts.join(QStringLiteral(" · ")));
    }
    {
        QStringList parts;
        for (int m = 0; m < 2; ++m) {
            if (!run->ran(m)) continue;
            const ProbeResults& r = run->results[std::size_t(m)];
            const ProbePoint* p = find_x(r.active_k, 1);
            if (p && drawable(*p, d) && r.top_k > 1)
                parts << tr("%1 %2 (1 of %3)").arg(model_letter(m), signed_number(point_delta(*p, r, d))).arg(r.top_k);
        }
        if (!parts.isEmpty()) lines << tr("only the top-1 routed expert kept: %1 nats").arg(parts.join(", "));
    }
    for (int m = 0; m < 2; ++m) {
        if (!run->ran(m)) {
            lines << tr("%1 not probed: %2").arg(model_letter(m), run->errors[std::size_t(m)]);
            continue;
        }
        const QString missing = not_drawn(run->results[std::size_t(m)], d);
        if (!missing.isEmpty()) lines << tr("%1 not drawn: %2").arg(model_letter(m), missing);
    }
    numbers_->setText(lines.join(QStringLiteral("\n")));
}

std::vector<QPointF> ProbesView::shownPoints(Panel panel, int model) const {
    refresh();
    std::vector<QPointF> out;
    const QCPGraph* g = graphs_[std::size_t(panel)][std::size_t(model)];
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) out.emplace_back(it->key, it->value);
    return out;
}

std::array<double, 2> ProbesView::yRange(Panel panel) const {
    refresh();
    const QCPRange r = rects_[std::size_t(panel)]->axis(QCPAxis::atLeft)->range();
    return {r.lower, r.upper};
}

QString ProbesView::headline() const {
    refresh();
    return headline_->text();
}

QString ProbesView::numbersText() const {
    refresh();
    return numbers_->text();
}

QString ProbesView::panelNote(Panel panel) const {
    refresh();
    if (!results_) return empty_note_->text();
    return notes_[std::size_t(panel)]->text();
}

QString ProbesView::statusText() const { return status_->text(); }

QString ProbesView::csv() const {
    QString out = csv_row({"step", "model", "label", "probe", "x", "ratio", "domain", "available", "loss", "delta",
                           "reason"});
    const ProbeRun* run = results_.get();
    if (!run) return out;
    const QString step = QString::number(run->step);
    for (int m = 0; m < 2; ++m) {
        const QString M = model_letter(m);
        const QString label = csv_field(run->labels[std::size_t(m)]);
        if (!run->ran(m)) {
            const QString why = csv_field(run->errors[std::size_t(m)]);
            out += csv_row({step, M, label, "none", {}, {}, "all", "0", {}, {}, why});
            continue;
        }
        const ProbeResults& r = run->results[std::size_t(m)];
        auto rows = [&](const QString& probe, const ProbePoint& p) {
            for (int d = -1; d < int(run->domain_names.size()); ++d) {
                const QString domain = d < 0 ? QStringLiteral("all")
                                             : csv_field(QString::fromStdString(run->domain_names[std::size_t(d)]));
                const bool ok = p.available;
                out += csv_row({step, M, label, probe, QString::number(p.x), csv_number(p.ratio), domain,
                                ok ? "1" : "0", csv_number(ok ? point_loss(p, d) : kNaN),
                                csv_number(ok ? point_delta(p, r, d) : kNaN),
                                csv_field(QString::fromStdString(p.reason))});
            }
        };
        for (const ProbePoint& p : r.mask) rows("mask_top_r", p);
        if (r.has_shared_off) rows("shared_off", r.shared_off);
        for (const ProbePoint& p : r.active_k) rows("active_k", p);
    }
    return out;
}

}  // namespace moe::ui
