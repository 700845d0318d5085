// Model A and model B side by side in one QCustomPlot: each panel is a title over its own axis rect, and for
// heatmaps a colour map with its own colour scale (per-layer normalisation can give A and B different ranges).
#pragma once

#include <QPointF>

#include <array>

class QCustomPlot;
class QCPAxis;
class QCPAxisRect;
class QCPColorMap;
class QCPColorScale;
class QCPLayoutGrid;
class QCPLegend;
class QCPTextElement;

namespace moe::ui {

struct ModelPanel {
    QCPLayoutGrid* grid = nullptr;
    QCPTextElement* title = nullptr;
    QCPAxisRect* rect = nullptr;
    QCPColorMap* map = nullptr;      // heatmap panels only
    QCPColorScale* scale = nullptr;  // heatmap panels only
};
using ModelPanels = std::array<ModelPanel, 2>;

// Replaces the plot's layout with the two panels (in row 0 of the plot layout; row 1 is free for a legend).
ModelPanels make_model_panels(QCustomPlot* plot, bool heatmap);

// A legend in one line under both panels (where it cannot hide data).
QCPLegend* add_bottom_legend(QCustomPlot* plot);

// Ticks on whole numbers only (expert indices): 0, 1, 2 ... or 0, 5, 10 ..., never 2.5.
void use_integer_ticks(QCPAxis* axis);

// The panel whose axis rect contains the pixel, or -1.
int panel_at(const ModelPanels& panels, const QPointF& pixel);

}  // namespace moe::ui
