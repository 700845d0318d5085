#include "ui/views/model_panels.h"

#include "ui/views/colour_maps.h"
#include "ui/views/plot_text.h"
#include "ui/views/sharp_colour_map.h"
#include "ui/views/view.h"

#include <qcustomplot.h>

#include <cmath>

namespace moe::ui {

ModelPanels make_model_panels(QCustomPlot* plot, bool heatmap, PanelArrangement arrangement) {
    const bool stacked = arrangement == PanelArrangement::Stacked;
    plot->plotLayout()->clear();               // also deletes the default axis rect and its legend
    plot->setAutoAddPlottableToLegend(false);  // views choose what their legend lists
    auto* both = new QCPLayoutGrid;
    plot->plotLayout()->addElement(0, 0, both);
    both->setColumnSpacing(28);
    both->setRowSpacing(stacked ? 8 : 2);  // stacked: a gap between A's panel and B's title
    auto* align = new QCPMarginGroup(plot);
    ModelPanels panels;
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels[std::size_t(m)];
        QFont font = plot->font();
        font.setPointSizeF(font.pointSizeF() + 1);
        font.setBold(true);
        // The lesson's model label and the layer's numbers are long for half a plot: the title wraps to its width,
        // the whole panel's (colour scale included). Side by side, A's and B's titles share a row, as tall as the
        // taller one, so both axis rects start at the same height when one title wraps to more lines than the other.
        p.title = make_wrapping_title(plot, font);
        both->addElement(stacked ? 2 * m : 0, stacked ? 0 : m, p.title);
        p.grid = new QCPLayoutGrid;
        both->addElement(stacked ? 2 * m + 1 : 1, stacked ? 0 : m, p.grid);
        p.grid->setRowSpacing(2);
        p.rect = new QCPAxisRect(plot, true);
        p.grid->addElement(0, 0, p.rect);
        // Same top and bottom edges in A and B (side by side) or same left and right edges (stacked), so rows or
        // columns line up across the two panels.
        const QCP::MarginSides shared = stacked ? QCP::msLeft | QCP::msRight : QCP::msTop | QCP::msBottom;
        p.rect->setMarginGroup(shared, align);
        for (QCPAxis* axis : p.rect->axes()) axis->setLayer("axes");
        if (heatmap) {
            p.map = new SharpColourMap(p.rect->axis(QCPAxis::atBottom), p.rect->axis(QCPAxis::atLeft));
            p.map->setInterpolate(false);
            p.map->setTightBoundary(false);
            p.scale = make_colour_scale(plot);  // tall enough for its label
            p.scale->setType(QCPAxis::atRight);
            p.scale->setBarWidth(12);
            if (!stacked) p.scale->setMarginGroup(QCP::msTop | QCP::msBottom, align);
            p.grid->addElement(0, 1, p.scale);
            p.map->setColorScale(p.scale);
            p.map->setGradient(sequential_gradient());
            p.rect->axis(QCPAxis::atBottom)->grid()->setVisible(false);
            p.rect->axis(QCPAxis::atLeft)->grid()->setVisible(false);
        }
    }
    return panels;
}

QCPLegend* add_bottom_legend(QCustomPlot* plot) {
    auto* holder = new QCPLayoutGrid;
    plot->plotLayout()->addElement(1, 0, holder);
    plot->plotLayout()->setRowStretchFactor(1, 0.001);  // as tall as the legend needs, no more
    holder->setMargins(QMargins(5, 0, 5, 4));
    auto* legend = new QCPLegend;
    holder->addElement(0, 0, legend);
    legend->setLayer("legend");
    legend->setFillOrder(QCPLegend::foColumnsFirst);
    legend->setBorderPen(Qt::NoPen);
    legend->setBrush(Qt::NoBrush);
    fit_legend_to_width(legend);  // as many rows as its width needs, rather than items cut off in a narrow plot
    return legend;
}

void use_integer_ticks(QCPAxis* axis) {
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    axis->setTicker(ticker);
}

int panel_at(const ModelPanels& panels, const QPointF& pixel) {
    for (int m = 0; m < 2; ++m) {
        const QCPAxisRect* rect = panels[std::size_t(m)].rect;
        if (rect && rect->rect().contains(pixel.toPoint())) return m;
    }
    return -1;
}

QCPItemText* add_rect_note(QCustomPlot* plot, QCPAxisRect* rect, double x, double y, Qt::Alignment align) {
    QCPItemText* note = make_wrapping_note(plot);  // in lines that stay inside the panel, at any width and font
    note->setClipToAxisRect(false);
    note->position->setType(QCPItemPosition::ptAxisRectRatio);
    note->position->setAxisRect(rect);
    note->position->setCoords(x, y);
    note->setPositionAlignment(align);
    note->setTextAlignment(Qt::AlignLeft);
    return note;
}

QCPItemText* add_empty_note(QCustomPlot* plot, QCPAxisRect* rect) {
    QCPItemText* note = add_rect_note(plot, rect, 0.5, 0.5, Qt::AlignCenter);
    note->setTextAlignment(Qt::AlignCenter);
    QFont font = plot->font();
    font.setPointSizeF(font.pointSizeF() + 2);
    note->setFont(font);
    note->setColor(QColor(0x55, 0x55, 0x55));
    return note;
}

QCPBars* add_model_bars(QCPAxis* x, QCPAxis* y, int model) {
    QColor fill = model_colour(model);
    fill.setAlpha(190);
    auto* bars = new QCPBars(x, y);
    bars->setWidth(0.8);
    bars->setPen(Qt::NoPen);
    bars->setBrush(fill);
    bars->setAntialiased(false);  // axis-aligned rectangles: crisp, and much cheaper
    bars->setAntialiasedFill(false);
    return bars;
}

double nice_ceiling(double x) {
    if (!(x > 0)) return 1;
    const double unit = std::pow(10.0, std::floor(std::log10(x)));
    for (double m : {1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0})
        if (m * unit >= x * (1 - 1e-12)) return m * unit;
    return 10 * unit;
}

}  // namespace moe::ui
