#include "ui/views/plane_view.h"

#include "ui/views/colour_maps.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QToolTip>

#include <cmath>
#include <map>

namespace moe::ui {

namespace {

bool has_plane(const ModelSnapshot& ms) {
    const PlaneSnapshot& p = ms.plane;
    return !ms.language && p.grid >= 2 && p.x1 > p.x0 && p.y1 > p.y0;
}

// Cell i of the grid is centred at x0 + (i + 1/2) dx: the grid tiles [x0, x1] x [y0, y1] exactly.
double cell_centre(double lo, double hi, int grid, int i) { return lo + (i + 0.5) * (hi - lo) / grid; }

// The decision boundary, traced between the cell centres (marching squares on the predicted classes): in each square
// of four neighbouring centres, the midpoints of the sides whose two corners disagree are joined, straight across
// when two sides differ (a diagonal where the staircase of cell edges had a step), through the square's centre when
// three or four classes meet. Segments are separated by NaN points (a gap in the curve).
void boundary_lines(const PlaneSnapshot& p, QVector<double>& xs, QVector<double>& ys) {
    const int G = p.grid;
    if (p.predicted_class.size() < std::size_t(G) * std::size_t(G)) return;
    const double nan = std::nan("");
    auto cls = [&](int i, int j) { return p.predicted_class[std::size_t(j) * std::size_t(G) + std::size_t(i)]; };
    auto cx = [&](double i) { return p.x0 + (i + 0.5) * (p.x1 - p.x0) / G; };
    auto cy = [&](double j) { return p.y0 + (j + 0.5) * (p.y1 - p.y0) / G; };
    auto segment = [&](QPointF a, QPointF b) {
        xs << cx(a.x()) << cx(b.x()) << nan;
        ys << cy(a.y()) << cy(b.y()) << nan;
    };
    for (int j = 0; j + 1 < G; ++j)
        for (int i = 0; i + 1 < G; ++i) {
            // Corners counter-clockwise from the bottom left, and the midpoints of the sides after each corner.
            const int c[4] = {cls(i, j), cls(i + 1, j), cls(i + 1, j + 1), cls(i, j + 1)};
            const QPointF mid[4] = {{i + 0.5, double(j)}, {i + 1.0, j + 0.5}, {i + 0.5, j + 1.0}, {double(i), j + 0.5}};
            std::vector<QPointF> cut;
            for (int k = 0; k < 4; ++k)
                if (c[k] != c[(k + 1) % 4]) cut.push_back(mid[k]);
            if (cut.size() == 2) {
                segment(cut[0], cut[1]);
            } else if (cut.size() == 4 && c[0] == c[2] && c[1] == c[3]) {  // a saddle of two classes
                segment(mid[0], mid[1]);
                segment(mid[2], mid[3]);
            } else if (!cut.empty()) {
                const QPointF centre(i + 0.5, j + 0.5);
                for (const QPointF& m : cut) segment(m, centre);
            }
        }
}

// Where to write expert e's number: the cell of its region nearest the region's mean position, for regions of at
// least `min_cells` cells. Experts share colours when there are more than the palette has; the numbers tell them
// apart and say which expert a colour is.
struct RegionLabel {
    int expert;
    int i, j;
    std::size_t cells;
};
std::vector<RegionLabel> region_labels(const std::vector<int>& top1, int G, int min_cells) {
    std::map<int, std::vector<std::pair<int, int>>> cells;
    for (int j = 0; j < G; ++j)
        for (int i = 0; i < G; ++i) cells[top1[std::size_t(j) * std::size_t(G) + std::size_t(i)]].push_back({i, j});
    std::vector<RegionLabel> out;
    for (const auto& [expert, list] : cells) {
        if (int(list.size()) < min_cells) continue;
        double mi = 0, mj = 0;
        for (const auto& [i, j] : list) {
            mi += i;
            mj += j;
        }
        mi /= double(list.size());
        mj /= double(list.size());
        auto best = list.front();
        double best_d = INFINITY;
        for (const auto& ij : list) {
            const double d = std::hypot(ij.first - mi, ij.second - mj);
            if (d < best_d) {
                best_d = d;
                best = ij;
            }
        }
        out.push_back({expert, best.first, best.second, list.size()});
    }
    // Largest regions first: where two numbers would overlap, the larger region's is kept (declutterLabels).
    std::stable_sort(out.begin(), out.end(), [](const RegionLabel& a, const RegionLabel& b) { return a.cells > b.cells; });
    return out;
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
        curve->setName(tr("decision boundary (class changes)"));
        boundary_[std::size_t(m)] = curve;
        QCPGraph* mark = plot()->addGraph(p.rect->axis(QCPAxis::atBottom), p.rect->axis(QCPAxis::atLeft));
        mark->setLineStyle(QCPGraph::lsNone);
        mark->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCrossCircle, QPen(QColor(200, 0, 0), 2.4), Qt::NoBrush, 16));
        mark->setName(tr("clicked point (token inspector)"));
        mark_[std::size_t(m)] = mark;
    }
    // Under both planes: the class markers (one set: A and B draw the same points), the boundary and the mark.
    legend_ = add_bottom_legend(plot());
    for (int i = 0; i < plot()->plottableCount(); ++i) plot()->plottable(i)->removeFromLegend();
    boundary_[0]->addToLegend(legend_);
    mark_[0]->addToLegend(legend_);
    connect(plot(), &QCustomPlot::afterLayout, this, [this] {
        keepSquare();
        declutterLabels();
    });
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
        "plane; each region carries its expert's number (more experts than colours share a colour, the numbers "
        "tell them apart). The black line is the model's decision boundary, where the predicted class changes, "
        "traced between the grid's cell centres; the markers are the training points, coloured and shaped by their "
        "class (the legend under the planes). x and y have the same scale, so the plane is not stretched. Shared "
        "experts see every point, so they own no region. Click the plane to inspect a point: it is marked with a "
        "red circle, and the token inspector shows its gate scores.");
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
        g->removeFromLegend();
        if (model == 0) g->addToLegend(legend_);
        pool.push_back(g);
    }
    return pool[std::size_t(cls)];
}

void PlaneView::rebuild() {
    // A run that started again (Reset, Apply, another lesson) forgets the point clicked in the old one.
    const int step = snapshot_ ? snapshot_->step : 0;
    if (step < last_step_) marked_.reset();
    last_step_ = step;
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
        for (QCPItemText* label : labels_[std::size_t(m)]) plot()->removeItem(label);
        labels_[std::size_t(m)].clear();
        mark_[std::size_t(m)]->data()->clear();
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
        p.title->setText(tr("%1\nlayer %2 · colour and number: top-1 expert (of %3)")
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
        // Each region's expert number, over the region, for regions of at least 1.5 % of the plane.
        QFont small = plot()->font();
        small.setPointSizeF(std::max(6.5, small.pointSizeF() - 1.0));
        for (const RegionLabel& r : region_labels(*top1, G, std::max(4, G * G * 15 / 1000))) {
            auto* label = new QCPItemText(plot());
            label->setClipAxisRect(p.rect);
            label->setClipToAxisRect(true);
            label->position->setAxes(p.rect->axis(QCPAxis::atBottom), p.rect->axis(QCPAxis::atLeft));
            label->position->setAxisRect(p.rect);
            label->position->setCoords(cell_centre(plane->x0, plane->x1, G, r.i), cell_centre(plane->y0, plane->y1, G, r.j));
            label->setText(QString::number(r.expert));
            label->setFont(small);
            label->setColor(QColor(40, 40, 40));
            label->setBrush(QColor(255, 255, 255, 170));
            label->setPadding(QMargins(2, 0, 2, 0));
            labels_[std::size_t(m)].push_back(label);
        }
        if (marked_ && marked_->model == m)
            mark_[std::size_t(m)]->setData(QVector<double>{marked_->x}, QVector<double>{marked_->y});
        p.rect->axis(QCPAxis::atBottom)->setRange(plane->x0, plane->x1);
        p.rect->axis(QCPAxis::atLeft)->setRange(plane->y0, plane->y1);
    }
}

void PlaneView::keepSquare() {
    for (const ModelPanel& p : panels_) {
        QCPAxis* x = p.rect->axis(QCPAxis::atBottom);
        QCPAxis* y = p.rect->axis(QCPAxis::atLeft);
        if (p.rect->width() <= 0 || p.rect->height() <= 0 || x->range().size() <= 0 || y->range().size() <= 0)
            continue;
        // The axis with more pixels per unit widens its range: the whole plane stays in view.
        if (p.rect->width() / x->range().size() > p.rect->height() / y->range().size())
            x->setScaleRatio(y, 1.0);
        else
            y->setScaleRatio(x, 1.0);
    }
}

void PlaneView::declutterLabels() {
    for (std::size_t m = 0; m < 2; ++m) {
        const QRectF inside = panels_[m].rect->rect();
        std::vector<QRectF> placed;
        for (QCPItemText* label : labels_[m]) {  // largest region first
            const QRectF box =
                QRectF(label->topLeft->pixelPosition(), label->bottomRight->pixelPosition()).adjusted(-2, -2, 2, 2);
            bool clear = inside.contains(box);
            for (const QRectF& other : placed) clear = clear && !other.intersects(box);
            label->setVisible(clear);
            if (clear) placed.push_back(box);
        }
    }
}

QStringList PlaneView::regionLabels(int model) const {
    refresh();
    QStringList out;
    for (const QCPItemText* label : labels_[std::size_t(model)])
        if (label->visible()) out << label->text();
    return out;
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
    if (const auto point = pointAt(event->position())) {
        marked_ = point;
        requestRebuild();
        emit planeClicked(point->model, point->x, point->y);
    }
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
