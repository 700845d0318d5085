#include "ui/views/curve_view.h"

#include "ui/views/model_panels.h"
#include "ui/views/plot_text.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QLabel>
#include <QSlider>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace moe::ui {

namespace {

std::vector<double> ema(const std::vector<double>& y, double a) {
    std::vector<double> out(y.size());
    double s = std::nan("");
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (std::isfinite(y[i])) s = std::isnan(s) ? y[i] : a * s + (1 - a) * y[i];
        out[i] = std::isfinite(y[i]) ? s : y[i];
    }
    return out;
}

}  // namespace

CurveView::CurveView(QWidget* parent) : PlotView(parent) {
    auto* smoothing_name = new QLabel(tr("Smoothing:"), this);
    smoothing_ = new QSlider(Qt::Horizontal, this);
    smoothing_->setRange(0, 99);
    smoothing_->setValue(60);
    smoothing_->setFixedWidth(140);
    smoothing_->setToolTip(tr("Exponential moving average of the per-step curves (display only)"));
    smoothing_label_ = new QLabel(this);
    smoothing_label_->setMinimumWidth(32);
    log_ = new QCheckBox(tr("Log scale"), this);
    addControl(smoothing_name);
    addControl(smoothing_);
    addControl(smoothing_label_);
    addControl(log_);
    smoothing_label_->setText(QString::number(smoothing(), 'f', 2));
    connect(smoothing_, &QSlider::valueChanged, this, [this] {
        smoothing_label_->setText(QString::number(smoothing(), 'f', 2));
        requestRebuild();
    });
    connect(log_, &QCheckBox::toggled, this, [this](bool on) { setLogScale(on); });

    QCustomPlot* p = plot();
    p->plotLayout()->insertRow(0);
    // Both models' labels side by side, wrapped to one label a line when the plot is too narrow for both.
    heading_ = make_wrapping_title(p, QFont(p->font().family(), int(p->font().pointSize()) + 1, QFont::Bold));
    p->plotLayout()->addElement(0, 0, heading_);
    p->xAxis->setLabel(tr("step"));
    use_integer_ticks(p->xAxis);
    p->legend->setVisible(true);
    p->legend->setBrush(QColor(255, 255, 255, 220));
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    rects_.push_back(p->axisRect());
    tracer_ = new QCPItemTracer(p);
    tracer_->setStyle(QCPItemTracer::tsCircle);
    tracer_->setSize(9);
    tracer_->setPen(QPen(Qt::black, 1.5));
    tracer_->setInterpolating(false);
    tracer_->setVisible(false);
    p->setMouseTracking(true);
    connect(p, &QCustomPlot::mouseMove, this, &CurveView::onMouseMove);
    connect(p, &QCustomPlot::mouseWheel, this, [this] { follow_ = false; });
    connect(p, &QCustomPlot::mouseDoubleClick, this, [this] {
        follow_ = true;
        rescale();
        plot()->replot(QCustomPlot::rpQueuedReplot);
    });
}

int CurveView::addPanel(const QString& y_label, double stretch) {
    QCustomPlot* p = plot();
    QCPAxisRect* first = rects_.front();
    if (rects_.size() == 1) {
        // The panels' left and right edges line up, so a step is at the same x in all of them.
        auto* align = new QCPMarginGroup(p);
        first->setMarginGroup(QCP::msLeft | QCP::msRight, align);
    }
    auto* rect = new QCPAxisRect(p, true);
    for (QCPAxis* axis : rect->axes()) axis->setLayer("axes");
    p->plotLayout()->addElement(p->plotLayout()->rowCount(), 0, rect);
    p->plotLayout()->setRowStretchFactor(p->plotLayout()->rowCount() - 1, stretch);
    rect->setMarginGroup(QCP::msLeft | QCP::msRight, first->marginGroup(QCP::msLeft));
    rect->axis(QCPAxis::atLeft)->setLabel(y_label);
    use_integer_ticks(rect->axis(QCPAxis::atBottom));
    // The step label once, under the lowest panel.
    rects_.back()->axis(QCPAxis::atBottom)->setLabel(QString());
    rect->axis(QCPAxis::atBottom)->setLabel(tr("step"));
    QCPAxis* x0 = first->axis(QCPAxis::atBottom);
    QCPAxis* x = rect->axis(QCPAxis::atBottom);
    connect(x0, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), x, qOverload<const QCPRange&>(&QCPAxis::setRange));
    connect(x, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), x0, qOverload<const QCPRange&>(&QCPAxis::setRange));
    rects_.push_back(rect);
    return int(rects_.size()) - 1;
}

std::pair<double, double> CurveView::yRange(int panel) const {
    refresh();
    const QCPRange r = rects_[std::size_t(panel)]->axis(QCPAxis::atLeft)->range();
    return {r.lower, r.upper};
}

void CurveView::placeLegendBeside() {
    QCustomPlot* p = plot();
    if (!p->axisRect()->insetLayout()->take(p->legend)) return;
    p->axisRect()->insetLayout()->simplify();
    QCPLayoutGrid* layout = p->plotLayout();
    auto* holder = new QCPLayoutGrid;  // the legend at the top of the column, the rest empty
    layout->addElement(1, 1, holder);
    layout->setColumnStretchFactor(1, 0.001);
    holder->addElement(0, 0, p->legend);
    holder->addElement(1, 0, new QCPLayoutElement(p));
    holder->setRowStretchFactor(0, 0.001);
    p->legend->setBorderPen(Qt::NoPen);
    p->legend->setBrush(Qt::NoBrush);
}

QString CurveView::heading(const Snapshot& snapshot) const {
    QStringList names;
    for (int m = 0; m < 2; ++m) names << model_name(snapshot, m);
    return names.join(QStringLiteral("      "));
}

void CurveView::setSmoothing(double factor) {
    smoothing_->setValue(int(std::lround(std::clamp(factor, 0.0, 0.99) * 100)));
}
double CurveView::smoothing() const { return smoothing_->value() / 100.0; }

void CurveView::setLogScale(bool on) {
    if (log_->isChecked() != on) log_->setChecked(on);  // comes back here through toggled()
    QCPAxis* y = plot()->yAxis;
    if ((y->scaleType() == QCPAxis::stLogarithmic) == on) return;
    y->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    y->setTicker(on ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                    : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    follow_ = true;
    requestRebuild();
}

bool CurveView::logScale() const { return log_->isChecked(); }

void CurveView::rebuild() {
    QCustomPlot* p = plot();
    std::vector<Curve> list = snapshot_ ? curves(*snapshot_) : std::vector<Curve>{};
    const double a = smoothing();

    // What to draw: a smoothed per-step curve gets its raw values as a faint line underneath.
    struct Want {
        const Curve* curve;
        bool faint;
    };
    std::vector<Want> wants;
    for (const Curve& c : list) {
        if (c.kind == Kind::PerStep && a > 0) wants.push_back({&c, true});
        wants.push_back({&c, false});
    }
    // Recreate the graphs only when the set changes (smoothing toggled, a model without curves): data is set in bulk.
    bool same = wants.size() == drawn_.size();
    for (std::size_t i = 0; same && i < wants.size(); ++i)
        same = drawn_[i].name == wants[i].curve->name && drawn_[i].faint == wants[i].faint;
    if (!same) {
        tracer_->setGraph(nullptr);
        for (const Drawn& d : drawn_) p->removeGraph(d.graph);
        drawn_.clear();
        for (const Want& w : wants) {
            // A curve of no single model (model < 0), e.g. a reference level A and B share, is drawn grey.
            const QColor colour = w.curve->colour.isValid() ? w.curve->colour
                                  : w.curve->model < 0      ? QColor(90, 90, 90)
                                                            : model_colour(w.curve->model);
            QCPAxisRect* rect = rects_[std::size_t(std::clamp(w.curve->panel, 0, int(rects_.size()) - 1))];
            QCPGraph* g = p->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            g->setName(w.curve->legend_name.isEmpty() ? w.curve->name : w.curve->legend_name);
            if (!w.curve->in_legend) g->removeFromLegend();
            if (w.faint) {
                QColor c = colour;
                c.setAlpha(60);
                g->setPen(QPen(c, 1.0));
                g->removeFromLegend();
            } else if (w.curve->kind == Kind::PerStep) {
                g->setPen(QPen(colour, 1.4));
            } else if (w.curve->kind == Kind::Sparse) {
                g->setPen(QPen(colour, 2.6));
                g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(colour, 2.0), Qt::white, 7));
            } else {
                g->setPen(QPen(colour, 1.6, Qt::DashLine));
            }
            drawn_.push_back({g, w.curve->name, w.curve->model, w.faint, {}});
        }
    }
    for (std::size_t i = 0; i < wants.size(); ++i) {
        const Curve& c = *wants[i].curve;
        const Series& s = c.series ? *c.series : c.own;
        const std::size_t n = std::min(s.x.size(), s.y.size());
        std::vector<double> y(s.y.begin(), s.y.begin() + std::ptrdiff_t(n));
        drawn_[i].raw_y = y;
        if (c.kind == Kind::PerStep && !wants[i].faint && a > 0) y = ema(y, a);
        drawn_[i].graph->setData(QVector<double>(s.x.begin(), s.x.begin() + std::ptrdiff_t(n)),
                                 QVector<double>(y.begin(), y.end()), true);
    }

    drawEarlierRuns(a);
    heading_->setText(snapshot_ ? heading(*snapshot_) : QString());
    heading_->setTextColor(Qt::black);
    p->yAxis->setLabel(yLabel());
    if (follow_) rescale();
}

void CurveView::setEarlierRuns(const EarlierRunsPtr& runs) {
    earlier_ = runs;
    requestRebuild();
}

int CurveView::earlierCurveCount() const {
    refresh();
    int n = 0;
    for (const QCPGraph* g : earlier_graphs_) n += !g->data()->isEmpty();
    return n;
}

void CurveView::drawEarlierRuns(double smoothing) {
    QCustomPlot* p = plot();
    for (QCPGraph* g : earlier_graphs_) p->removeGraph(g);
    earlier_graphs_.clear();
    if (!earlier_) return;
    // Each shown earlier run's curves of A and B in their model's colour, faded and dashed, under today's.
    for (const EarlierRun& run : *earlier_) {
        if (!run.shown || !run.snapshot) continue;
        for (const Curve& c : curves(*run.snapshot)) {
            if (c.model < 0 || c.kind == Kind::Reference) continue;
            const Series& s = c.series ? *c.series : c.own;
            const std::size_t n = std::min(s.x.size(), s.y.size());
            if (n == 0) continue;
            QCPAxisRect* rect = rects_[std::size_t(std::clamp(c.panel, 0, int(rects_.size()) - 1))];
            QCPGraph* g = p->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            QColor colour = c.colour.isValid() ? c.colour : model_colour(c.model);
            colour.setAlpha(110);
            g->setPen(QPen(colour, 1.3, Qt::DashLine));
            g->setName(run.label + QStringLiteral(": ") + c.name);
            g->removeFromLegend();
            g->setLayer(QStringLiteral("grid"));  // under today's curves (graphs draw on "main")
            std::vector<double> y(s.y.begin(), s.y.begin() + std::ptrdiff_t(n));
            if (c.kind == Kind::PerStep && smoothing > 0) y = ema(y, smoothing);
            g->setData(QVector<double>(s.x.begin(), s.x.begin() + std::ptrdiff_t(n)), QVector<double>(y.begin(), y.end()),
                       true);
            earlier_graphs_.push_back(g);
        }
    }
}

void CurveView::rescale() {
    QCustomPlot* p = plot();
    bool any = false;
    for (const Drawn& d : drawn_) any = any || !d.graph->data()->isEmpty();
    if (!any) {
        p->xAxis->setRange(0, 1);
        for (QCPAxisRect* rect : rects_)
            rect->axis(QCPAxis::atLeft)->setRange(logScale() && rect == rects_.front() ? QCPRange(0.1, 10)
                                                                                      : QCPRange(0, 1));
        return;
    }
    // The steps of every curve in every panel (the panels' x axes follow the first one's).
    bool found_x = false;
    QCPRange x;
    for (const Drawn& d : drawn_) {
        bool ok = false;
        const QCPRange r = d.graph->getKeyRange(ok);
        if (!ok) continue;
        x = found_x ? QCPRange(std::min(x.lower, r.lower), std::max(x.upper, r.upper)) : r;
        found_x = true;
    }
    if (x.size() <= 0) x = QCPRange(x.lower - 0.5, x.upper + 0.5);
    p->xAxis->setRange(x.lower - 0.01 * x.size(), x.upper + 0.01 * x.size());  // end markers not cut in half
    for (QCPAxisRect* rect : rects_) {
        QCPAxis* y = rect->axis(QCPAxis::atLeft);
        const bool log = y->scaleType() == QCPAxis::stLogarithmic;
        bool found = false;
        QCPRange r;
        for (const Drawn& d : drawn_) {
            if (d.graph->valueAxis() != y) continue;
            bool ok = false;
            const QCPRange g = d.graph->getValueRange(ok, QCP::sdBoth, QCPRange());
            if (!ok || (log && g.upper <= 0)) continue;
            const QCPRange shown = log ? d.graph->getValueRange(ok, QCP::sdPositive, QCPRange()) : g;
            if (!ok) continue;
            r = found ? QCPRange(std::min(r.lower, shown.lower), std::max(r.upper, shown.upper)) : shown;
            found = true;
        }
        if (!found) {
            y->setRange(log ? QCPRange(0.1, 10) : QCPRange(0, 1));
            continue;
        }
        if (r.size() <= 0) r = log ? QCPRange(r.lower / 2, r.upper * 2) : QCPRange(r.lower - 0.5, r.upper + 0.5);
        // A little air above and below, so the curves do not run along the frame.
        if (log)
            y->setRange(r.lower / 1.15, r.upper * 1.15);
        else
            y->setRange(r.lower - 0.05 * r.size(), r.upper + 0.05 * r.size());
    }
}

int CurveView::nearest(const QPointF& pixel, int* index) const {
    int best = -1;
    double best_d2 = 30.0 * 30.0;  // nothing farther than 30 px counts as "near"
    for (std::size_t g = 0; g < drawn_.size(); ++g) {
        if (drawn_[g].faint) continue;
        const QCPGraph* graph = drawn_[g].graph;
        int i = 0;
        for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it, ++i) {
            if (!std::isfinite(it->value)) continue;
            const double dx = graph->keyAxis()->coordToPixel(it->key) - pixel.x();
            const double dy = graph->valueAxis()->coordToPixel(it->value) - pixel.y();
            if (dx * dx + dy * dy < best_d2) {
                best_d2 = dx * dx + dy * dy;
                best = int(g);
                *index = i;
            }
        }
    }
    return best;
}

QString CurveView::hoverText(const QPointF& pixel) const {
    refresh();
    int i = 0;
    const int g = nearest(pixel, &i);
    if (g < 0) return {};
    const Drawn& d = drawn_[std::size_t(g)];
    const auto point = d.graph->data()->at(i);
    QString text = tr("%1\nstep %2: %3").arg(d.name).arg(point->key, 0, 'f', 0).arg(point->value, 0, 'g', 5);
    if (std::size_t(i) < d.raw_y.size() && d.raw_y[std::size_t(i)] != point->value)
        text += tr(" (smoothed; raw %1)").arg(d.raw_y[std::size_t(i)], 0, 'g', 5);
    return text;
}

std::vector<double> CurveView::shownValues(const QString& name) const {
    refresh();
    for (const Drawn& d : drawn_)
        if (!d.faint && d.name == name) {
            std::vector<double> out;
            for (auto it = d.graph->data()->constBegin(); it != d.graph->data()->constEnd(); ++it)
                out.push_back(it->value);
            return out;
        }
    return {};
}

void CurveView::onMouseMove(QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton) follow_ = false;  // dragging the view: stop following the data
    int i = 0;
    const int g = nearest(event->position(), &i);
    if (g < 0) {
        if (tracer_->visible()) {
            tracer_->setVisible(false);
            plot()->replot(QCustomPlot::rpQueuedReplot);
        }
        QToolTip::hideText();
        return;
    }
    const Drawn& d = drawn_[std::size_t(g)];
    tracer_->setGraph(d.graph);
    tracer_->setGraphKey(d.graph->data()->at(i)->key);
    tracer_->setVisible(true);
    plot()->replot(QCustomPlot::rpQueuedReplot);
    QToolTip::showText(event->globalPosition().toPoint(), hoverText(event->position()), plot());
}

}  // namespace moe::ui
