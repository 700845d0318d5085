#include "ui/views/plot_view.h"

#include "ui/views/plot_text.h"
#include "ui/views/view_export.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QCoreApplication>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QVBoxLayout>

namespace moe::ui {

PlotView::PlotView(QWidget* parent) : View(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);

    // The window around a view shows its title and explanation(); the view holds only its controls and plot.
    controls_ = new QHBoxLayout;
    controls_->addStretch(1);
    layout->addLayout(controls_);

    plot_ = make_plot(this);  // its text follows this view's font: presentation mode enlarges it
    plot_->setMinimumWidth(320);
    grow_to_content(plot_, 220);
    // Antialiased curves, markers and text; grid lines are axis-aligned, crisper and much cheaper without it.
    plot_->setAntialiasedElements(QCP::aeAll);
    plot_->setNotAntialiasedElements(QCP::aeGrid | QCP::aeSubGrid);
    // Curves of thousands of points at 30 updates a second: one polyline per curve, not a line per segment (20x
    // faster for a long loss curve).
    plot_->setPlottingHint(QCP::phFastPolylines, true);
    // As tall as its content needs: in a shorter view it scrolls rather than drawing texts over each other.
    scroll_ = new QScrollArea(this);
    scroll_->setWidgetResizable(true);
    scroll_->setFrameShape(QFrame::NoFrame);
    scroll_->setWidget(plot_);
    layout->addWidget(scroll_, 1);
    plot_->installEventFilter(this);
}

bool PlotView::eventFilter(QObject* watched, QEvent* event) {
    // QCustomPlot keeps every wheel event, zooming or not: where the plot does not zoom, the wheel scrolls the view.
    if (watched == plot_ && event->type() == QEvent::Wheel && !plot_->interactions().testFlag(QCP::iRangeZoom)) {
        QCoreApplication::sendEvent(scroll_->verticalScrollBar(), event);
        return true;
    }
    return View::eventFilter(watched, event);
}

void PlotView::addControl(QWidget* control) { controls_->insertWidget(controls_->count() - 1, control); }

void PlotView::addLayerSelector(bool probe) {
    layer_probe_ = probe;
    layer_box_ = new QComboBox(this);
    layer_box_->setObjectName(QStringLiteral("layer"));
    layer_box_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    layer_box_->setToolTip(tr("Which MoE layer to show"));
    auto* label = new QLabel(tr("Layer:"), this);
    label->setBuddy(layer_box_);
    addControl(label);
    addControl(layer_box_);
    connect(layer_box_, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index < 0) return;
        wanted_layer_ = index;
        requestRebuild();
    });
}

void PlotView::setPlotMinimumHeight(int height) { grow_to_content(plot_, height); }

void PlotView::setLayerIndex(int index) {
    wanted_layer_ = std::max(index, 0);
    if (layer_box_ && index < layer_box_->count()) {
        const QSignalBlocker block(layer_box_);
        layer_box_->setCurrentIndex(index);
    }
    requestRebuild();
}

int PlotView::layerIndex() const { return wanted_layer_; }

int PlotView::clampedLayer(std::size_t count) const {
    if (count == 0) return -1;
    return std::min(wanted_layer_, int(count) - 1);
}

const LayerSnapshot* PlotView::selectedLayer(int model) const {
    if (!snapshot_) return nullptr;
    std::size_t n = 0;
    for (const ModelSnapshot& m : snapshot_->models) n = std::max(n, m.layers.size());
    const int li = clampedLayer(n);
    const std::vector<LayerSnapshot>& layers = snapshot_->models[std::size_t(model)].layers;
    return li >= 0 && std::size_t(li) < layers.size() ? &layers[std::size_t(li)] : nullptr;
}

void PlotView::setGlobalNormalisation(bool global) {
    if (global_norm_ == global) return;
    global_norm_ = global;
    requestRebuild();
}

void PlotView::draw() {
    syncLayerChoices();
    rebuild();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PlotView::syncLayerChoices() {
    if (!layer_box_) return;
    const QStringList labels = snapshot_ ? layer_choice_labels(*snapshot_, layer_probe_) : QStringList();
    QStringList current;
    for (int i = 0; i < layer_box_->count(); ++i) current << layer_box_->itemText(i);
    const QSignalBlocker block(layer_box_);
    if (current != labels) {
        layer_box_->clear();
        layer_box_->addItems(labels);
    }
    if (!labels.isEmpty()) layer_box_->setCurrentIndex(std::min(wanted_layer_, int(labels.size()) - 1));
    layer_box_->setEnabled(labels.size() > 1);
}

bool PlotView::exportTo(const QString& dir, QString* error) const {
    refresh();
    // A report-sized figure, whatever the window's size and whichever tab is in front: the app and a headless
    // export write the same figure. Taller when the text needs it (presentation mode's larger fonts).
    QSize size = exportSize();
    size.setHeight(std::max(size.height(), plot_->minimumHeight()));
    if (!export_plot_images(plot_, dir, id(), title(), size, error)) return false;
    return write_text_atomic(QDir(dir).filePath(id() + ".csv"), csv(), error);
}

}  // namespace moe::ui
