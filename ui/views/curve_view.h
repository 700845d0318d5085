// Curves over training steps for A and B (loss, balance loss): an EMA smoothing slider (display only: the raw
// numbers are kept and exported), a log-y toggle, zoom/pan with the mouse (double-click to follow the data again)
// and a hover read-out of the nearest point. A view may stack several panels over the same steps (addPanel).
#pragma once

#include "ui/views/plot_view.h"

#include <QColor>

#include <utility>
#include <vector>

class QCheckBox;
class QCPAxisRect;
class QCPGraph;
class QCPItemTracer;
class QCPTextElement;
class QLabel;
class QMouseEvent;
class QSlider;

namespace moe::ui {

class CurveView : public PlotView {
    Q_OBJECT
public:
    explicit CurveView(QWidget* parent = nullptr);

    // EMA factor in [0, 0.99]: shown = a * previous shown + (1 - a) * raw, on the thin (per-step) curves only.
    void setSmoothing(double factor);
    double smoothing() const;
    void setLogScale(bool on);
    bool logScale() const;

    // What the hover read-out says for this pixel of plot() (empty when no point is near).
    QString hoverText(const QPointF& pixel) const;

    // The y values drawn for curve `name` (e.g. "A train"), after smoothing; for tests.
    std::vector<double> shownValues(const QString& name) const;
    void setEarlierRuns(const EarlierRunsPtr& runs) override;
    // How many faded curves of earlier runs are drawn (for tests).
    int earlierCurveCount() const;

    // The stacked panels (1 unless the view added some), and the y range of panel `panel` as drawn; for tests.
    int panelCount() const { return int(rects_.size()); }
    std::pair<double, double> yRange(int panel) const;

protected:
    enum class Kind { PerStep, Sparse, Reference };
    struct Curve {
        int model = 0;  // -1: not one model's (drawn grey)
        QString name;
        const Series* series = nullptr;  // into snapshot_, or &own
        Series own;
        Kind kind = Kind::PerStep;
        QColor colour = {};  // invalid: the model's colour (grey for model -1)
        int panel = 0;       // which of the stacked panels (addPanel) it is drawn in
        bool in_legend = true;
        QString legend_name = {};  // the legend's text, when not `name` (curves are found by `name`)
    };
    virtual std::vector<Curve> curves(const Snapshot& snapshot) const = 0;
    // The y-axis label of the first panel.
    virtual QString yLabel() const = 0;
    // The line over the plot: both models' labels by default.
    virtual QString heading(const Snapshot& snapshot) const;

    // Another panel under the others, sharing their steps (x zoom and pan move all panels together): its y-axis label
    // and its height relative to the first panel's (1). Returns its index for Curve::panel. The log-scale toggle acts
    // on the first panel only. Call from the constructor.
    int addPanel(const QString& y_label, double stretch);
    // Moves the legend out of the axes to a column beside them, where it cannot hide the newest points and stays in
    // view at any height (a column of the figure's own layout, as narrow as its text). Call from the constructor.
    void placeLegendBeside();

    void rebuild() override;

private:
    void drawEarlierRuns(double smoothing);

    EarlierRunsPtr earlier_;
    std::vector<QCPGraph*> earlier_graphs_;  // faded, no legend entry, redrawn with the current run
    struct Drawn {
        QCPGraph* graph = nullptr;
        QString name;
        int model = 0;
        bool faint = false;         // the raw curve under a smoothed one
        std::vector<double> raw_y;  // unsmoothed values, for the read-out
    };
    int nearest(const QPointF& pixel, int* index) const;
    void onMouseMove(QMouseEvent* event);
    void rescale();

    QSlider* smoothing_ = nullptr;
    QLabel* smoothing_label_ = nullptr;
    QCheckBox* log_ = nullptr;
    QCPTextElement* heading_ = nullptr;
    QCPItemTracer* tracer_ = nullptr;
    std::vector<QCPAxisRect*> rects_;  // the stacked panels, top first; rects_[0] is the plot's own
    std::vector<Drawn> drawn_;
    bool follow_ = true;  // rescale to the data on every snapshot until the user zooms or pans
};

}  // namespace moe::ui
