#include "ui/views/heatmap_view.h"

#include "ui/views/colour_maps.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QLabel>
#include <QSignalBlocker>

#include <algorithm>
#include <cmath>

namespace moe::ui {

HeatmapView::HeatmapView(QWidget* parent, PanelArrangement arrangement) : PlotView(parent) {
    panels_ = make_model_panels(plot(), true, arrangement);
    for (int m = 0; m < 2; ++m) {
        QCPItemText* note = add_empty_note(plot(), panels_[std::size_t(m)].rect);
        note->setVisible(false);
        notes_[std::size_t(m)] = note;
    }
}

std::pair<double, double> HeatmapView::colourRange(int model) const {
    refresh();
    const QCPRange r = panels_[std::size_t(model)].map->dataRange();
    return {r.lower, r.upper};
}

QCPColorMap* HeatmapView::colourMap(int model) const {
    refresh();
    return panels_[std::size_t(model)].map;
}

QString HeatmapView::note(int model) const {
    refresh();
    const QCPItemText* n = notes_[std::size_t(model)];
    return n->visible() ? n->text() : QString();
}

int HeatmapView::modelAt(const QPointF& pixel) const { return panel_at(panels_, pixel); }

void HeatmapView::addColourScaleChoice(ColourScale initial, const QString& neutral) {
    auto* label = new QLabel(tr("Colour:"), this);
    scale_box_ = new QComboBox(this);
    scale_box_->addItem(tr("linear (white = 1 = %1)").arg(neutral));
    scale_box_->addItem(tr("log (white = 1 = %1)").arg(neutral));
    scale_box_->setToolTip(tr("Linear: colour proportional to the value. Log: halves and doubles of the %1 level "
                              "look alike, so starved experts show as clearly as busy ones.")
                               .arg(neutral));
    label->setBuddy(scale_box_);
    addControl(label);
    addControl(scale_box_);
    setColourScale(initial);
    connect(scale_box_, &QComboBox::currentIndexChanged, this,
            [this](int index) { setColourScale(index == 1 ? ColourScale::Log : ColourScale::Linear); });
}

void HeatmapView::setColourScale(ColourScale scale) {
    if (scale_box_) {
        const QSignalBlocker block(scale_box_);
        scale_box_->setCurrentIndex(scale == ColourScale::Log ? 1 : 0);
    }
    if (scale_ == scale) return;
    scale_ = scale;
    requestRebuild();
}

QStringList HeatmapView::colourTicks(int model) const {
    refresh();
    QCPAxis* axis = panels_[std::size_t(model)].scale->axis();
    QStringList out;
    if (auto text = qSharedPointerDynamicCast<QCPAxisTickerText>(axis->ticker())) {
        for (auto it = text->ticks().constBegin(); it != text->ticks().constEnd(); ++it)
            if (axis->range().contains(it.key())) out << it.value();
        return out;
    }
    QVector<double> ticks;
    QVector<QString> labels;
    axis->ticker()->generate(axis->range(), axis->parentPlot()->locale(), axis->numberFormat().at(0),
                             axis->numberPrecision(), ticks, nullptr, &labels);
    for (const QString& l : labels) out << l;
    return out;
}

void HeatmapView::setRange(double lower, double upper, bool log, double white_at, bool clipped_low, bool clipped_high) {
    lower_ = lower;
    upper_ = upper;
    for (ModelPanel& p : panels_) {
        p.map->setGradient(diverging_gradient(white_at));
        // The scale type first: a log scale cannot hold the linear range's 0.
        p.scale->setDataScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        p.map->setDataRange(QCPRange(lower, upper));
        QCPAxis* axis = p.scale->axis();
        const bool has_text = !qSharedPointerDynamicCast<QCPAxisTickerText>(axis->ticker()).isNull();
        if (log) {
            // Powers of two as fractions ("1/4", "1", "4"); an end that holds the values beyond it says so ("≥ 8").
            QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
            ticker->setSubTickCount(0);
            const int top = int(std::lround(std::log2(upper)));
            for (int e = -top; e <= top; ++e) {
                const QString n = QString::number(1 << std::abs(e));
                QString label = e < 0 ? QStringLiteral("1/") + n : n;
                if (e == top && clipped_high) label = QStringLiteral("≥ ") + label;
                if (e == -top && clipped_low) label = QStringLiteral("≤ ") + label;
                ticker->addTick(std::ldexp(1.0, e), label);
            }
            axis->setTicker(ticker);
        } else if (has_text) {
            axis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        }
    }
}

void HeatmapView::applyRelativeRange(const RelativeExtremes& extremes) {
    if (scale_ == ColourScale::Log) {
        // At most 8 times either way: past that the cells keep the end colours (a softmax gives some experts almost
        // nothing, and a range spanning that would leave the 2x and 1/2x cells that matter nearly white).
        const double reach =
            std::max(extremes.largest, extremes.smallest_positive > 0 ? 1 / extremes.smallest_positive : 1);
        int e = 1;
        while (e < 3 && std::ldexp(1.0, e) < reach * (1 - 1e-12)) ++e;
        const double r = std::ldexp(1.0, e);
        setRange(1 / r, r, true, 0.5, extremes.smallest_positive < 1 / r * (1 - 1e-12) || extremes.largest <= 0,
                 extremes.largest > r * (1 + 1e-12));
    } else {
        const double upper = std::max(2.0, nice_ceiling(extremes.largest));
        setRange(0, upper, false, 1 / upper);
    }
}

double HeatmapView::cellValue(double v) const {
    if (scale_ != ColourScale::Log || !std::isfinite(v)) return v;
    return std::clamp(v, lower_, upper_);
}

void HeatmapView::applySymmetricRange(double largest_abs) {
    const double r = largest_abs > 0 ? nice_ceiling(largest_abs) : 1e-3;
    setRange(-r, r, false, 0.5);
}

void HeatmapView::applySharedRange(double largest) {
    const double upper = largest > 0 ? largest : 1;  // an empty or all-zero map still needs a valid range
    lower_ = 0;
    upper_ = upper;
    for (ModelPanel& p : panels_) p.map->setDataRange(QCPRange(0, upper));
}

void HeatmapView::setNote(int model, const QString& text) {
    QCPItemText* n = notes_[std::size_t(model)];
    n->setText(text);
    const bool empty = !text.isEmpty();
    if (n->visible() == empty) return;
    n->setVisible(empty);
    // Nothing to show: a bare panel with the note, not empty axes with made-up ranges.
    ModelPanel& p = panels_[std::size_t(model)];
    auto& hidden = hidden_axes_[std::size_t(model)];
    if (empty) {
        hidden.clear();
        for (QCPAxis* axis : p.rect->axes())
            if (axis->visible()) {
                hidden.push_back(axis);
                axis->setVisible(false);
            }
    } else {
        for (QCPAxis* axis : hidden) axis->setVisible(true);
        hidden.clear();
    }
    if (p.scale) p.scale->setVisible(!empty);
}

void HeatmapView::setTextTicks(QCPAxis* axis, const QStringList& labels) {
    auto ticker = qSharedPointerDynamicCast<QCPAxisTickerText>(axis->ticker());
    if (!ticker) {
        ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        ticker->setSubTickCount(0);
        axis->setTicker(ticker);
    }
    QMap<double, QString> ticks;
    for (int i = 0; i < labels.size(); ++i) ticks.insert(double(i), labels[i]);
    ticker->setTicks(ticks);
}

}  // namespace moe::ui
