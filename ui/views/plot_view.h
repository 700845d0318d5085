// The common frame of the QCustomPlot views: a row of controls over the plot.
// The plot is never squeezed below the height its text needs at the current font (plot_text.h: content_height): when
// the view is shorter than that, as in presentation mode with the explanation open, the plot scrolls.
// It keeps the latest snapshot, skips snapshots it has already drawn (same serial), and defers drawing while the
// view is hidden (a tab in the background costs nothing at 30 snapshots per second); export draws it first.
#pragma once

#include "ui/views/view.h"

class QComboBox;
class QCustomPlot;
class QHBoxLayout;

namespace moe::ui {

class PlotView : public View {
    Q_OBJECT
public:
    explicit PlotView(QWidget* parent = nullptr);

    void setSnapshot(const SnapshotPtr& snapshot) override;
    bool exportTo(const QString& dir, QString* error) const override;
    void setGlobalNormalisation(bool global) override;
    bool globalNormalisation() const { return global_norm_; }

    // The MoE layer shown (index into ModelSnapshot::layers, or ::probe for the routing view), for views with a
    // layer selector; out-of-range values are clamped when drawn.
    void setLayerIndex(int index);
    int layerIndex() const;

    QCustomPlot* plot() const { return plot_; }
    const SnapshotPtr& snapshot() const { return snapshot_; }

    // Draws the latest snapshot now if it has not been drawn yet (it is deferred while the view is hidden).
    void refresh() const;

protected:
    // Redraws everything from snapshot_ (which may be null). Ends with a queued replot done by the caller.
    virtual void rebuild() = 0;
    // The figure size for export when the view is not on screen (logical pixels).
    virtual QSize exportSize() const { return {1100, 620}; }

    void addControl(QWidget* control);
    // Adds the layer selector; `probe`: the choices are the probe layers (routing) rather than the layer stats.
    void addLayerSelector(bool probe);
    // The least height the plot gets, more when its text needs it (e.g. one readable row per probe token).
    void setPlotMinimumHeight(int height);
    void requestRebuild();
    int clampedLayer(std::size_t count) const;
    // Model m's MoE layer (ModelSnapshot::layers) at the selected index, clamped to the most layers either model has;
    // null when there is no snapshot or the model has no layer there.
    const LayerSnapshot* selectedLayer(int model) const;

    void showEvent(QShowEvent* event) override;

    SnapshotPtr snapshot_;

private:
    void syncLayerChoices();

    QHBoxLayout* controls_ = nullptr;
    QComboBox* layer_box_ = nullptr;
    bool layer_probe_ = false;
    int wanted_layer_ = 0;
    QCustomPlot* plot_ = nullptr;
    bool global_norm_ = false;
    mutable bool dirty_ = true;
};

}  // namespace moe::ui
