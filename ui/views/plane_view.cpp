#include "ui/views/plane_view.h"

#include "ui/views/colour_maps.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QToolTip>

#include <cmath>

namespace moe::ui {

namespace {

bool has_plane(const ModelSnapshot& ms) {
    const PlaneSnapshot& p = ms.plane;
    return !ms.language && p.grid >= 2 && p.x1 > p.x0 && p.y1 > p.y0;
}

// Cell i of the grid is centred at x0 + (i + 1/2) dx: the grid tiles [x0, x1] x [y0, y1] exactly.
double cell_centre(double lo, double hi, int grid, int i) { return lo + (i + 0.5) * (hi - lo) / grid; }

// The decision boundary as line segments on the cell edges where the predicted class changes, collinear runs
// merged; segments are separated by NaN points (a gap in the curve).
void boundary_lines(const PlaneSnapshot& p, QVector<double>& xs, QVector<double>& ys) {
    const int G = p.grid;
    if (p.predicted_class.size() < std::size_t(G) * std::size_t(G)) return;
    const double dx = (p.x1 - p.x0) / G, dy = (p.y1 - p.y0) / G, nan = std::nan("");
    auto cls = [&](int i, int j) { return p.predicted_class[std::size_t(j) * std::size_t(G) + std::size_t(i)]; };
    auto segment = [&](double ax, double ay, double bx, double by) {
        xs << ax << bx << nan;
        ys << ay << by << nan;
    };
    for (int i = 0; i + 1 < G; ++i) {  // vertical edges between columns i and i+1
        int start = -1;
        for (int j = 0; j <= G; ++j) {
            const bool edge = j < G && cls(i, j) != cls(i + 1, j);
            if (edge && start < 0) start = j;
            if (!edge && start >= 0) {
                const double x = p.x0 + (i + 1) * dx;
                segment(x, p.y0 + start * dy, x, p.y0 + j * dy);
                start = -1;
            }
        }
    }
    for (int j = 0; j + 1 < G; ++j) {  // horizontal edges between rows j and j+1
        int start = -1;
        for (int i = 0; i <= G; ++i) {
            const bool edge = i < G && cls(i, j) != cls(i, j + 1);
            if (edge && start < 0) start = i;
            if (!edge && start >= 0) {
                const double y = p.y0 + (j + 1) * dy;
                segment(p.x0 + start * dx, y, p.x0 + i * dx, y);
                start = -1;
            }
        }
    }
}

}  // namespace

PlaneView::PlaneView(QWidget* parent) : HeatmapView(parent) {
    addLayerSelector(false);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        // Expert numbers are categories, not magnitudes: no colour scale (the tooltip names the expert).
        p.map->setColorScale(nullptr);
        p.grid->remove(p.scale);
        p.grid->simplify();  // drop the scale's empty column, or it keeps half the width
        p.scale = nullptr;
        p.rect->axis(QCPAxis::atBottom)->setLabel(QStringLiteral("x"));
        p.rect->axis(QCPAxis::atLeft)->setLabel(QStringLiteral("y"));
        p.rect->axis(QCPAxis::atBottom)->grid()->setVisible(false);
        p.rect->axis(QCPAxis::atLeft)->grid()->setVisible(false);
        auto* curve = new QCPCurve(p.rect->axis(QCPAxis::atBottom), p.rect->axis(QCPAxis::atLeft));
        curve->setPen(QPen(QColor(25, 25, 25), 2.2));
        curve->setLineStyle(QCPCurve::lsLine);
        curve->setName(tr("decision boundary"));
        boundary_[std::size_t(m)] = curve;
    }
    connect(plot(), &QCustomPlot::mousePress, this, &PlaneView::onMousePress);
    connect(plot(), &QCustomPlot::mouseMove, this, &PlaneView::onMouseMove);
    plot()->setMouseTracking(true);
}

QString PlaneView::notApplicable() const {
    if (!snapshot_) return {};
    for (const ModelSnapshot& ms : snapshot_->models)
        if (!(ms.language)) return {};
    return tr("both models are language models: the 2-D plane applies to the 2-D tasks only");
}

QString PlaneView::explanation() const {
    return tr(
        "For a 2-D classifier every point of the input plane is run through the model. Its gate scores the "
        "routed experts, s_i = softmax_i(u^T e_i), and the point's cell is coloured by the expert with the "
        "highest score (top-1) in the selected MoE layer: you see which expert owns which region of the "
        "plane. The black line is the model's decision boundary, where the predicted class changes; the "
        "markers are the training points, coloured and shaped by their class. Shared experts see every "
        "point, so they own no region. Click the plane to inspect a point.");
}

QCPGraph* PlaneView::classGraph(int model, int cls) {
    auto& pool = classes_[std::size_t(model)];
    static const QCPScatterStyle::ScatterShape shapes[] = {
        QCPScatterStyle::ssCircle,  QCPScatterStyle::ssSquare,           QCPScatterStyle::ssTriangle,
        QCPScatterStyle::ssDiamond, QCPScatterStyle::ssTriangleInverted, QCPScatterStyle::ssCrossCircle};
    while (int(pool.size()) <= cls) {
        const int c = int(pool.size());
        const QCPAxisRect* rect = panels_[std::size_t(model)].rect;
        QCPGraph* g = plot()->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(shapes[std::size_t(c) % std::size(shapes)], QPen(QColor(30, 30, 30), 1.0),
                                           class_colour(c), 7));
        g->setName(tr("class %1").arg(c));
        pool.push_back(g);
    }
    return pool[std::size_t(cls)];
}

void PlaneView::rebuild() {
    std::size_t n_layers = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.plane.top1_expert.size());
    const int li = clampedLayer(n_layers);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const PlaneSnapshot* plane = ms && has_plane(*ms) ? &ms->plane : nullptr;
        const int G = plane ? plane->grid : 0;
        const std::vector<int>* top1 = (plane && li >= 0 && std::size_t(li) < plane->top1_expert.size())
                                           ? &plane->top1_expert[std::size_t(li)]
                                           : nullptr;
        for (QCPGraph* g : classes_[std::size_t(m)]) g->data()->clear();
        boundary_[std::size_t(m)]->data()->clear();
        if (!plane || !top1 || top1->size() < std::size_t(G) * std::size_t(G)) {
            p.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
            p.map->data()->clear();
            setNote(m, !ms            ? tr("no data yet")
                       : ms->language ? tr("2-D tasks only\n(this model is a language model)")
                                      : tr("no plane sample yet"));
            continue;
        }
        setNote(m, QString());
        const std::size_t moe_index = std::size_t(li);
        const int layer = moe_index < ms->layers.size() ? ms->layers[moe_index].layer : li;
        const int N = std::max(
            moe_index < ms->layers.size() ? ms->layers[moe_index].n_routed : ms->config.model.n_routed_experts, 1);
        p.title->setText(QStringLiteral("%1\nlayer %2 · colour: top-1 expert (of %3) · line: class boundary")
                             .arg(model_name(*snapshot_, m))
                             .arg(layer)
                             .arg(N));
        QCPColorMapData* data = p.map->data();
        if (data->keySize() != G || data->valueSize() != G) data->setSize(G, G);
        data->setRange(QCPRange(cell_centre(plane->x0, plane->x1, G, 0), cell_centre(plane->x0, plane->x1, G, G - 1)),
                       QCPRange(cell_centre(plane->y0, plane->y1, G, 0), cell_centre(plane->y0, plane->y1, G, G - 1)));
        // A small offset keeps each integer expert index inside its own colour level despite rounding.
        for (int j = 0; j < G; ++j)
            for (int i = 0; i < G; ++i)
                data->setCell(i, j, (*top1)[std::size_t(j) * std::size_t(G) + std::size_t(i)] + 1e-6);
        p.map->setGradient(categorical_gradient(N));
        p.map->setDataRange(QCPRange(0, std::max(N - 1, 1)));

        QVector<double> bx, by;
        boundary_lines(*plane, bx, by);
        boundary_[std::size_t(m)]->setData(bx, by);

        std::vector<QVector<double>> px(std::size_t(std::max(plane->n_classes, 0))), py(px.size());
        for (std::size_t k = 0; k < plane->labels.size() && 2 * k + 1 < plane->points.size(); ++k) {
            const int c = plane->labels[k];
            if (c < 0) continue;
            if (std::size_t(c) >= px.size()) {
                px.resize(std::size_t(c) + 1);
                py.resize(std::size_t(c) + 1);
            }
            px[std::size_t(c)] << plane->points[2 * k];
            py[std::size_t(c)] << plane->points[2 * k + 1];
        }
        for (std::size_t c = 0; c < px.size(); ++c) classGraph(m, int(c))->setData(px[c], py[c]);
        p.rect->axis(QCPAxis::atBottom)->setRange(plane->x0, plane->x1);
        p.rect->axis(QCPAxis::atLeft)->setRange(plane->y0, plane->y1);
    }
}

std::optional<PlaneView::PlanePoint> PlaneView::pointAt(const QPointF& pixel) const {
    refresh();
    const int m = modelAt(pixel);
    if (m < 0 || !snapshot_ || !has_plane(snapshot_->models[std::size_t(m)])) return std::nullopt;
    const PlaneSnapshot& plane = snapshot_->models[std::size_t(m)].plane;
    const QCPAxisRect* rect = panels_[std::size_t(m)].rect;
    const double x = rect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x());
    const double y = rect->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y());
    if (x < plane.x0 || x > plane.x1 || y < plane.y0 || y > plane.y1) return std::nullopt;
    return PlanePoint{m, x, y};
}

QPointF PlaneView::pixelOf(int model, double x, double y) const {
    refresh();
    const QCPAxisRect* rect = panels_[std::size_t(model)].rect;
    return {rect->axis(QCPAxis::atBottom)->coordToPixel(x), rect->axis(QCPAxis::atLeft)->coordToPixel(y)};
}

void PlaneView::onMousePress(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    if (const auto point = pointAt(event->position())) emit planeClicked(point->model, point->x, point->y);
}

void PlaneView::onMouseMove(QMouseEvent* event) {
    const auto point = pointAt(event->position());
    if (!point) {
        QToolTip::hideText();
        return;
    }
    const PlaneSnapshot& plane = snapshot_->models[std::size_t(point->model)].plane;
    const int G = plane.grid;
    const int i = std::clamp(int((point->x - plane.x0) / (plane.x1 - plane.x0) * G), 0, G - 1);
    const int j = std::clamp(int((point->y - plane.y0) / (plane.y1 - plane.y0) * G), 0, G - 1);
    const std::size_t cell = std::size_t(j) * std::size_t(G) + std::size_t(i);
    QString text =
        tr("%1 at (%2, %3)").arg(model_letter(point->model)).arg(point->x, 0, 'f', 2).arg(point->y, 0, 'f', 2);
    std::size_t n_layers = 0;
    for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.plane.top1_expert.size());
    const int li = clampedLayer(n_layers);
    if (li >= 0 && std::size_t(li) < plane.top1_expert.size() && cell < plane.top1_expert[std::size_t(li)].size())
        text += tr("\ntop-1 expert %1").arg(plane.top1_expert[std::size_t(li)][cell]);
    if (cell < plane.predicted_class.size()) text += tr("\npredicted class %1").arg(plane.predicted_class[cell]);
    QToolTip::showText(event->globalPosition().toPoint(), text, plot());
}

QString PlaneView::csv() const {
    QString out = csv_row({"model", "layer", "x", "y", "top1_expert", "predicted_class"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot_->models[std::size_t(m)];
        if (!has_plane(ms)) continue;
        const PlaneSnapshot& p = ms.plane;
        const int G = p.grid;
        for (std::size_t l = 0; l < p.top1_expert.size(); ++l) {
            const int layer = l < ms.layers.size() ? ms.layers[l].layer : int(l);
            for (int j = 0; j < G; ++j)
                for (int i = 0; i < G; ++i) {
                    const std::size_t c = std::size_t(j) * std::size_t(G) + std::size_t(i);
                    if (c >= p.top1_expert[l].size()) continue;
                    out += csv_row({model_letter(m), QString::number(layer), csv_number(cell_centre(p.x0, p.x1, G, i)),
                                    csv_number(cell_centre(p.y0, p.y1, G, j)), QString::number(p.top1_expert[l][c]),
                                    c < p.predicted_class.size() ? QString::number(p.predicted_class[c]) : QString()});
                }
        }
    }
    return out;
}

}  // namespace moe::ui
