// The common part of the heatmap views (utilisation over time, routing, domains, plane): A and B side by side,
// each with its colour map, its colour scale and a centred note for "nothing to show here".
#pragma once

#include "ui/views/model_panels.h"
#include "ui/views/plot_view.h"

#include <utility>
#include <vector>

class QCPAxis;
class QCPItemText;

namespace moe::ui {

class HeatmapView : public PlotView {
    Q_OBJECT
public:
    explicit HeatmapView(QWidget* parent = nullptr);

    // The colour range of model m's map as drawn (lower, upper).
    std::pair<double, double> colourRange(int model) const;
    QCPColorMap* colourMap(int model) const;
    // The note shown over model m's panel instead of data ("2-D tasks only", "no data yet"), empty when none.
    QString note(int model) const;
    // The model whose panel contains this pixel of plot() (-1 if none).
    int modelAt(const QPointF& pixel) const;

protected:
    // Per-layer normalisation: [0, own_max]; global: [0, global_max] (the max over every layer of both models).
    void applyRange(int model, double own_max, double global_max);
    void setNote(int model, const QString& text);
    // A label for every integer position of an axis (tokens, domains).
    static void setTextTicks(QCPAxis* axis, const QStringList& labels);

    ModelPanels panels_;

private:
    std::array<QCPItemText*, 2> notes_{};
    std::array<std::vector<QCPAxis*>, 2> hidden_axes_;  // the axes a note hid, shown again with data
};

}  // namespace moe::ui
