// The common frame of the QCustomPlot views: a row of controls over the plot.
// The plot is never squeezed below the height its text needs at the current font (plot_text.h: content_height): when
// the view is shorter than that, as in presentation mode with the explanation open, the plot scrolls.
// Drawing (View::draw) syncs the layer choices, rebuilds the plot's data (rebuild) and queues one replot; View defers
// it while the view is hidden.
#pragma once

#include "ui/views/view.h"

class QComboBox;
class QCustomPlot;
class QHBoxLayout;
class QScrollArea;

namespace moe::ui {

class PlotView : public View {
    Q_OBJECT
public:
    explicit PlotView(QWidget* parent = nullptr);

    bool exportTo(const QString& dir, QString* error) const override;
    void setGlobalNormalisation(bool global) override;
    bool globalNormalisation() const { return global_norm_; }

    // The MoE layer shown (index into ModelSnapshot::layers, or ::probe for the routing view), for views with a
    // layer selector; out-of-range values are clamped when drawn.
    void setLayerIndex(int index);
    int layerIndex() const;

    QCustomPlot* plot() const { return plot_; }

protected:
    // Redraws everything from snapshot_ (which may be null). Ends with a queued replot done by the caller.
    virtual void rebuild() = 0;
    // The exported figure's size (logical pixels), the same from the app and from a headless export.
    virtual QSize exportSize() const { return {1100, 620}; }

    bool eventFilter(QObject* watched, QEvent* event) override;
    void addControl(QWidget* control);
    // Adds the layer selector; `probe`: the choices are the probe layers (routing) rather than the layer stats.
    void addLayerSelector(bool probe);
    // The least height the plot gets, more when its text needs it (e.g. one readable row per probe token).
    void setPlotMinimumHeight(int height);
    int clampedLayer(std::size_t count) const;
    // Model m's MoE layer (ModelSnapshot::layers) at the selected index, clamped to the most layers either model has;
    // null when there is no snapshot or the model has no layer there.
    const LayerSnapshot* selectedLayer(int model) const;

private:
    void draw() final;
    void syncLayerChoices();

    QHBoxLayout* controls_ = nullptr;
    QComboBox* layer_box_ = nullptr;
    bool layer_probe_ = false;
    int wanted_layer_ = 0;
    QCustomPlot* plot_ = nullptr;
    QScrollArea* scroll_ = nullptr;
    bool global_norm_ = false;
};

}  // namespace moe::ui
