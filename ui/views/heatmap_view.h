// The common part of the heatmap views (utilisation over time, routing, domains, traffic, plane): A and B side by
// side, each with its colour map, its colour scale and a centred note for "nothing to show here".
// A and B always share one colour range, so the same colour means the same number in both panels: the largest value
// of the selected layer over both models, or of every layer of both (global normalisation). Maps of relative values
// (1 = the neutral level: balanced load, uniform score) use a diverging map with 1 in white, on a linear or a log
// scale (the "Colour" choice over the plot).
#pragma once

#include "ui/views/model_panels.h"
#include "ui/views/plot_view.h"
#include "ui/views/relative_load.h"

#include <utility>
#include <vector>

class QComboBox;
class QCPAxis;
class QCPItemText;

namespace moe::ui {

class HeatmapView : public PlotView {
    Q_OBJECT
public:
    explicit HeatmapView(QWidget* parent = nullptr, PanelArrangement arrangement = PanelArrangement::SideBySide);

    // The colour range of model m's map as drawn (lower, upper).
    std::pair<double, double> colourRange(int model) const;
    QCPColorMap* colourMap(int model) const;
    // The note shown over model m's panel instead of data ("2-D tasks only", "no data yet"), empty when none.
    QString note(int model) const;
    // The model whose panel contains this pixel of plot() (-1 if none).
    int modelAt(const QPointF& pixel) const;

    // How a map of relative values is coloured: linear from 0, or on a log scale symmetric about 1 (1/R .. R).
    enum class ColourScale { Linear, Log };
    void setColourScale(ColourScale scale);
    ColourScale colourScale() const { return scale_; }
    // The colour scale's tick labels of model m as drawn (e.g. "1/4", "1", "4" on a log scale); for tests.
    QStringList colourTicks(int model) const;

protected:
    // The "Colour" choice over the plot (views of relative values only); `neutral` names the level 1 in the choices
    // ("balanced", "uniform").
    void addColourScaleChoice(ColourScale initial, const QString& neutral);
    // Both panels: one range holding `extremes` (over both models), with 1 white. Linear: [0, max(2, nice ceiling of
    // the largest)]; log: [1/R, R] with R the smallest power of 2 holding the largest and 1 / the smallest positive
    // value, 2 <= R <= 8 (values beyond keep the end colours, and the end labels say "≥ 8", "≤ 1/8"). Call before
    // cellValue.
    void applyRelativeRange(const RelativeExtremes& extremes);
    // What a cell of a relative map stores for the value v: on the log scale clamped into the range (a dead expert's
    // 0 has no logarithm; it shows in the lowest colour), else v itself.
    double cellValue(double v) const;
    // Maps of signed values about a neutral 0 (the selection bias): both panels [-R, R] on the diverging map with 0
    // white, R the nice ceiling of the largest |value| (1e-3 for an all-zero map).
    void applySymmetricRange(double largest_abs);
    // Maps of counts (traffic): both panels [0, largest] on the sequential map (an all-zero map gets [0, 1]).
    void applySharedRange(double largest);
    void setNote(int model, const QString& text);
    // A label for every integer position of an axis (tokens, domains).
    static void setTextTicks(QCPAxis* axis, const QStringList& labels);

    ModelPanels panels_;

private:
    void setRange(double lower, double upper, bool log, double white_at, bool clipped_low = false,
                  bool clipped_high = false);

    std::array<QCPItemText*, 2> notes_{};
    std::array<std::vector<QCPAxis*>, 2> hidden_axes_;  // the axes a note hid, shown again with data
    ColourScale scale_ = ColourScale::Linear;
    QComboBox* scale_box_ = nullptr;
    double lower_ = 0, upper_ = 1;
};

}  // namespace moe::ui
