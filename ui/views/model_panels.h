// Model A and model B side by side (or A over B) in one QCustomPlot: each panel is a title over its own axis rect (side
// by side: the two titles in one row, the panels' grids in the row below), and for heatmaps a colour map with its own
// colour scale beside it.
#pragma once

#include <QPointF>
#include <Qt>

#include <array>

class QCustomPlot;
class QCPAxis;
class QCPAxisRect;
class QCPBars;
class QCPColorMap;
class QCPColorScale;
class QCPLayoutGrid;
class QCPLegend;
class QCPItemText;
class QCPTextElement;

namespace moe::ui {

struct ModelPanel {
    QCPLayoutGrid* grid = nullptr;  // the axis rect (row 0) and the colour scale beside it; the title is above
    QCPTextElement* title = nullptr;
    QCPAxisRect* rect = nullptr;
    QCPColorMap* map = nullptr;      // heatmap panels only
    QCPColorScale* scale = nullptr;  // heatmap panels only
};
using ModelPanels = std::array<ModelPanel, 2>;

// Side by side: A's and B's rects share their top and bottom edges, so rows line up across the two. Stacked (A over B,
// each as wide as the plot): they share their left and right edges, so columns line up.
enum class PanelArrangement { SideBySide, Stacked };

// Replaces the plot's layout with the two panels (in row 0 of the plot layout; row 1 is free for a legend).
ModelPanels make_model_panels(QCustomPlot* plot, bool heatmap,
                              PanelArrangement arrangement = PanelArrangement::SideBySide);

// A legend under both panels (where it cannot hide data): in one line when the plot is wide enough, else in as many
// rows as its width needs (for plots made with make_plot).
QCPLegend* add_bottom_legend(QCustomPlot* plot);

// Ticks on whole numbers only (expert indices): 0, 1, 2 ... or 0, 5, 10 ..., never 2.5.
void use_integer_ticks(QCPAxis* axis);

// The panel whose axis rect contains the pixel, or -1.
int panel_at(const ModelPanels& panels, const QPointF& pixel);

// A text item at (x, y) in fractions of the axis rect (0, 0 = top left), drawn over the margins too (never clipped),
// its lines wrapped to the room the rect leaves beside (x, y).
QCPItemText* add_rect_note(QCustomPlot* plot, QCPAxisRect* rect, double x, double y, Qt::Alignment align);
// The grey note centred over an axis rect that has nothing to show ("no data yet"): larger than the plot's text.
QCPItemText* add_empty_note(QCustomPlot* plot, QCPAxisRect* rect);

// Bars in model m's colour (A or B), slightly transparent, without outlines.
QCPBars* add_model_bars(QCPAxis* x, QCPAxis* y, int model);

// The smallest of 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (times a power of ten) that is at least x (1 for x <= 0): an
// axis top that stays still while the data moves a little.
double nice_ceiling(double x);

}  // namespace moe::ui
