#include "ui/views/heatmap_view.h"

#include <qcustomplot.h>

namespace moe::ui {

HeatmapView::HeatmapView(QWidget* parent) : PlotView(parent) {
    panels_ = make_model_panels(plot(), true);
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

void HeatmapView::applyRange(int model, double own_max, double global_max) {
    double upper = globalNormalisation() ? global_max : own_max;
    if (!(upper > 0)) upper = 1;  // an empty or all-zero map still needs a valid range
    panels_[std::size_t(model)].map->setDataRange(QCPRange(0, upper));
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
