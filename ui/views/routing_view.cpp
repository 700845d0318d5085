#include "ui/views/routing_view.h"

#include "ui/views/sharp_colour_map.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QFontDatabase>
#include <QFontMetrics>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace moe::ui {

namespace {

constexpr int kExportWidth = 1100;  // the figure's width when the view is exported (PlotView's default)

// A line's map height on screen at least: room for the expert numbers beside it; 63 experts get 2 px rows.
int min_map_height(int experts) { return std::max(56, 2 * experts); }
// In a figure: rows that read as rows (4 px for 63 experts, 10 px for 16).
int export_map_height(int experts) { return std::max(160, 4 * experts); }

int line_count(int tokens, int per_line) { return tokens <= 0 ? 1 : (tokens + per_line - 1) / per_line; }

}  // namespace

RoutingView::RoutingView(QWidget* parent) : HeatmapView(parent, PanelArrangement::Stacked) {
    addLayerSelector(true);
    // Log by default: a fine-grained router's scores spread over halves and multiples of the uniform 1/N_r both ways.
    addColourScaleChoice(ColourScale::Log, tr("uniform"));
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        // The panel's rect becomes the first of a column of lines, all beside the model's one colour scale.
        p.grid->take(p.rect);
        auto* lines = new QCPLayoutGrid;
        lines->setRowSpacing(4);
        p.grid->addElement(0, 0, lines);
        lines->addElement(0, 0, p.rect);
        line_grids_[std::size_t(m)] = lines;
        // Short: a scale as tall as a 16-expert map (the colour choice above the plot says 1 = uniform).
        p.scale->axis()->setLabel(tr("s_i · N_r"));
        lines_[std::size_t(m)].push_back(makeLine(m, p.rect, p.map));

        // The inspected token: a dark outline round its column, in A and in B (the same byte of the same text).
        auto* outline = new QCPItemRect(plot());
        outline->setLayer(QStringLiteral("axes"));
        outline->setPen(QPen(QColor(20, 20, 20), 2));
        outline->setBrush(Qt::NoBrush);
        outline->setVisible(false);
        outline_[std::size_t(m)] = outline;
    }
    // The titles as tall as their wrapped lines (a row's share of the height follows its stretch, up to its text's
    // height); the maps share the rest.
    if (auto* both = qobject_cast<QCPLayoutGrid*>(panels_[0].grid->layout()))
        for (int row : {0, 2}) both->setRowStretchFactor(row, 1000);
    connect(plot(), &QCustomPlot::afterLayout, this, &RoutingView::afterLayout);
    connect(plot(), &QCustomPlot::mousePress, this, &RoutingView::onMousePress);
    connect(plot(), &QCustomPlot::mouseMove, this, &RoutingView::onMouseMove);
    plot()->setMouseTracking(true);
}

RoutingView::Line RoutingView::makeLine(int model, QCPAxisRect* rect, QCPColorMap* map) {
    Line line{rect, map, nullptr};
    if (!line.rect) {
        line.rect = new QCPAxisRect(plot(), true);
        QCPLayoutGrid* grid = line_grids_[std::size_t(model)];
        grid->addElement(grid->rowCount(), 0, line.rect);
        // Every line of A and of B starts and ends at the same x, so a byte's column is at the same place in each.
        line.rect->setMarginGroup(QCP::msLeft | QCP::msRight, panels_[0].rect->marginGroup(QCP::msLeft));
        for (QCPAxis* axis : line.rect->axes()) axis->setLayer(QStringLiteral("axes"));
        auto* lined = new SharpColourMap(line.rect->axis(QCPAxis::atBottom), line.rect->axis(QCPAxis::atLeft));
        lined->setInterpolate(false);
        lined->setTightBoundary(false);
        lined->setColorScale(panels_[std::size_t(model)].scale);  // the scale's range and gradient follow to every line
        line.map = lined;
    }
    QCPAxis* x = line.rect->axis(QCPAxis::atBottom);
    QCPAxis* y = line.rect->axis(QCPAxis::atLeft);
    x->grid()->setVisible(false);
    y->grid()->setVisible(false);
    // The bytes in a fixed-width font: one narrow column each, whatever the letter.
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setPointSizeF(plot()->font().pointSizeF());
    x->setTickLabelFont(mono);
    x->setTickLabelPadding(2);
    y->setLabel(tr("expert"));
    y->setRangeReversed(true);  // expert 0 on top, as in a table
    QFont small = plot()->font();
    small.setPointSizeF(std::max(7.0, small.pointSizeF() - 1));
    y->setTickLabelFont(small);
    use_integer_ticks(y);
    // The chosen top-k: marks sized to the cells in afterLayout().
    line.chosen = plot()->addGraph(x, y);
    line.chosen->setLineStyle(QCPGraph::lsNone);
    line.chosen->setName(tr("chosen (top-k)"));
    return line;
}

void RoutingView::setLineCount(int model, int count) {
    std::vector<Line>& lines = lines_[std::size_t(model)];
    count = std::max(count, 1);
    while (int(lines.size()) < count) lines.push_back(makeLine(model, nullptr, nullptr));
    while (int(lines.size()) > count) {
        const Line line = lines.back();
        lines.pop_back();
        plot()->removeGraph(line.chosen);
        plot()->removePlottable(line.map);
        line_grids_[std::size_t(model)]->remove(line.rect);  // deletes the rect and its axes
    }
    line_grids_[std::size_t(model)]->simplify();
}

QString RoutingView::notApplicable() const {
    if (!snapshot_) return {};
    for (const ModelSnapshot& ms : snapshot_->models)
        if (!(!ms.language)) return {};
    return tr("both models are 2-D classifiers: the routing of a probe text applies to language models only (the 2-D plane view shows their routing)");
}

QString RoutingView::explanation() const {
    return tr(
        "The probe text written out, one byte per column (under the map), through the selected MoE layer, with A "
        "over B so that each byte's column lines up; a long text wraps into lines. Each token's gate scores every "
        "routed expert (one row each): s_i = softmax_i(u^T e_i), where u is the token's hidden state and e_i expert "
        "i's centroid (with sigmoid scoring, DeepSeek-V3, s_i is the normalised affinity σ(u^T e_i) / Σ_j σ(u^T e_j)). "
        "The scores sum to 1, so a router with no preference gives every expert 1/N_r: 1/63 for 63 "
        "fine-grained experts, 1/16 for 16. The colour is the score against that uniform level, s_i · N_r: white "
        "= 1 = no preference, red = preferred (4 = four times the uniform score), blue = avoided. A and B share one "
        "colour scale, on a log scale by default (halves and doubles look alike; switch to linear above the plot). "
        "Marked cells: the top-k experts the token is sent to; their combine weights g_i are their s_i (sigmoid: "
        "σ(u^T e_i)), renormalised to sum to 1 when norm_topk_prob is on and times routed_scaling_factor; with an "
        "aux-loss-free bias (noaux_tc) the marks follow s_i + b_i, so a pale cell can be chosen. Title: the top-1 score s_max · N_r, as the median over "
        "the tokens. Shared experts are not drawn: every token goes through all of them with weight 1. "
        "Click a cell to inspect that token: its column is outlined in A and B.");
}

double RoutingView::shownValue(int model, int token, int expert) const {
    refresh();
    const auto& lines = lines_[std::size_t(model)];
    const std::size_t l = std::size_t(token / per_line_);
    if (l >= lines.size()) return std::nan("");
    return lines[l].map->data()->cell(token % per_line_, expert);
}

int RoutingView::tokensPerLine() const {
    refresh();
    return per_line_;
}

int RoutingView::lineCount(int model) const {
    refresh();
    return experts_[std::size_t(model)] > 0 ? int(lines_[std::size_t(model)].size()) : 0;
}

int RoutingView::probeLayer() const {
    std::size_t n_layers = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.probe.size());
    return clampedLayer(n_layers);
}

int RoutingView::columnWidth() const {
    const QFontMetrics metrics(lines_[0][0].rect->axis(QCPAxis::atBottom)->tickLabelFont());
    return metrics.horizontalAdvance(QLatin1Char('M'));  // a fixed-width font's glyphs carry their own margins
}

int RoutingView::fittingTokensPerLine(int width) const {
    if (tokens_ <= 0) return 1;
    const int column = columnWidth();
    const int room = std::max(10 * column, width - beside_);
    const int lines = line_count(tokens_, std::max(1, room / column));
    return (tokens_ + lines - 1) / lines;  // lines of equal length rather than a stub at the end
}

int RoutingView::contentHeight(bool for_export) const {
    const int text = QFontMetrics(plot()->font()).height();
    int height = 0;
    for (int m = 0; m < 2; ++m) {
        const int n = experts_[std::size_t(m)];
        const int lines = n > 0 ? line_count(tokens_, per_line_) : 1;
        const int map = n > 0 ? (for_export ? export_map_height(n) : min_map_height(n)) : 60;
        height += 3 * text + lines * (map + 2 * text);  // a title of two lines, each line's map with its bytes
    }
    return height + text;  // the margins
}

void RoutingView::rebuild() {
    const int li = probeLayer();
    // One colour range for A and B: the relative scores s_i · N_r of the selected layer (every layer when global).
    RelativeExtremes extremes;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models)
            for (std::size_t i = 0; i < ms.probe.size(); ++i)
                if (globalNormalisation() || int(i) == li)
                    for (const auto& row : ms.probe[i].scores)
                        for (float v : row) extremes.add(double(v) * double(row.size()));
    applyRelativeRange(extremes);

    std::array<const ProbeLayer*, 2> shown{};
    tokens_ = 0;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const ProbeLayer* pl =
            (ms && li >= 0 && std::size_t(li) < ms->probe.size()) ? &ms->probe[std::size_t(li)] : nullptr;
        if (pl && !pl->scores.empty() && !pl->scores[0].empty()) {
            shown[std::size_t(m)] = pl;
            tokens_ = std::max(tokens_, int(pl->scores.size()));
        }
    }
    per_line_ = fittingTokensPerLine(wrap_width_ > 0                                        ? wrap_width_
                                     : plot()->isVisible() && plot()->width() >= 300 ? plot()->width()
                                                                                     : kExportWidth);
    QCPLayoutGrid* both = qobject_cast<QCPLayoutGrid*>(panels_[0].grid->layout());
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const ProbeLayer* pl = shown[std::size_t(m)];
        if (!pl) {
            experts_[std::size_t(m)] = 0;
            setLineCount(m, 1);
            p.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
            p.map->data()->clear();
            lines_[std::size_t(m)][0].chosen->data()->clear();
            setNote(m, !ms                 ? tr("no data yet")
                       : !ms->language     ? tr("Routing of a probe text:\nlanguage models only")
                       : ms->layers.empty() ? no_layer_note(*ms)
                       : ms->probe.empty()  ? tr("no probe text yet")
                                            : no_layer_note(*ms));
            if (both) both->setRowStretchFactor(2 * m + 1, 1);
            continue;
        }
        setNote(m, QString());
        const int T = int(pl->scores.size());
        const int N = int(pl->scores[0].size());
        experts_[std::size_t(m)] = N;
        const int n_lines = line_count(T, per_line_);
        setLineCount(m, n_lines);
        // The panel with more experts (or lines) gets more of the plot, a few experts not less than half of many.
        if (both) both->setRowStretchFactor(2 * m + 1, n_lines * std::max(N, 32));
        std::vector<double> top1;  // each token's largest s_i · N_r
        for (int l = 0; l < n_lines; ++l) {
            const Line& line = lines_[std::size_t(m)][std::size_t(l)];
            line.rect->setMinimumSize(0, min_map_height(N));
            QCPColorMapData* data = line.map->data();
            if (data->keySize() != per_line_ || data->valueSize() != N) data->setSize(per_line_, N);
            data->setRange(QCPRange(0, per_line_ - 1), QCPRange(0, N - 1));
            QVector<double> keys, values;
            QStringList labels;
            for (int c = 0; c < per_line_; ++c) {
                const int t = l * per_line_ + c;
                if (t >= T) {  // the last line's tail: no byte there
                    for (int e = 0; e < N; ++e) data->setCell(c, e, std::nan(""));
                    continue;
                }
                const std::vector<float>& row = pl->scores[std::size_t(t)];
                double best = 0;
                for (int e = 0; e < N; ++e) {
                    const double v = std::size_t(e) < row.size() ? double(row[std::size_t(e)]) * N : std::nan("");
                    data->setCell(c, e, cellValue(v));
                    if (std::isfinite(v)) best = std::max(best, v);
                }
                top1.push_back(best);
                if (std::size_t(t) < pl->topk_idx.size())
                    for (int e : pl->topk_idx[std::size_t(t)]) {
                        keys << c;
                        values << e;
                    }
                labels << token_glyph(ms->probe_text, t);
            }
            line.chosen->setData(keys, values);
            QCPAxis* x = line.rect->axis(QCPAxis::atBottom);
            setTextTicks(x, labels);  // the bytes themselves: no axis label needed, nor room for one in a projector
            x->setRange(-0.5, per_line_ - 0.5);
            line.rect->axis(QCPAxis::atLeft)->setRange(-0.5, N - 0.5);
        }
        std::nth_element(top1.begin(), top1.begin() + std::ptrdiff_t(top1.size() / 2), top1.end());
        p.title->setText(QStringLiteral("%1 · layer %2 · top-%3 of %4 routed experts · median top-1 s·N_r %5")
                             .arg(model_name(*snapshot_, m))
                             .arg(pl->layer)
                             .arg(pl->topk_idx.empty() ? 0 : int(pl->topk_idx[0].size()))
                             .arg(N)
                             .arg(top1[top1.size() / 2], 0, 'f', 1));
    }
    setInspectedToken(inspected_);
    setPlotMinimumHeight(contentHeight(false));
}

void RoutingView::setInspectedToken(int token) {
    inspected_ = token;
    for (int m = 0; m < 2; ++m) {
        QCPItemRect* outline = outline_[std::size_t(m)];
        const auto& lines = lines_[std::size_t(m)];
        const int n = experts_[std::size_t(m)];
        const std::size_t l = token >= 0 ? std::size_t(token / per_line_) : lines.size();
        const bool drawn = n > 0 && token < tokens_ && l < lines.size();
        outline->setVisible(drawn);
        if (!drawn) continue;
        const Line& line = lines[l];
        for (QCPItemPosition* corner : {outline->topLeft, outline->bottomRight}) {
            corner->setAxes(line.rect->axis(QCPAxis::atBottom), line.rect->axis(QCPAxis::atLeft));
            corner->setAxisRect(line.rect);
        }
        outline->setClipAxisRect(line.rect);
        const int c = token % per_line_;
        outline->topLeft->setCoords(c - 0.5, -0.5);
        outline->bottomRight->setCoords(c + 0.5, n - 0.5);
    }
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

QRectF RoutingView::inspectedOutline(int model) const {
    refresh();
    const QCPItemRect* outline = outline_[std::size_t(model)];
    if (!outline->visible()) return {};
    return QRectF(outline->topLeft->pixelPosition(), outline->bottomRight->pixelPosition()).normalized();
}

void RoutingView::afterLayout() {
    const auto& first = lines_[0][0];
    // The width beside the bytes as laid out; wrap again if the bytes per line no longer fit (a resize, a larger
    // font). Not now: lines cannot be added or removed in the middle of a replot.
    if (wrap_width_ == 0 && first.rect->width() > 0) {
        beside_ = plot()->width() - first.rect->width();
        if (tokens_ > 0 && fittingTokensPerLine(plot()->width()) != per_line_)
            QMetaObject::invokeMethod(this, [this] { requestRebuild(); }, Qt::QueuedConnection);
    }
    // The top-k marks as large as the cells allow: a ringed dot in a roomy cell, a dark square in a 2-pixel row.
    for (int m = 0; m < 2; ++m) {
        const int n = experts_[std::size_t(m)];
        if (n <= 0) continue;
        for (const Line& line : lines_[std::size_t(m)]) {
            const double cell = std::min(double(line.rect->width()) / per_line_, double(line.rect->height()) / n);
            const double size = std::clamp(cell - 1, 2.0, 7.0);
            line.chosen->setScatterStyle(
                size >= 5 ? QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(20, 20, 20), 1.2), Qt::white, size)
                          : QCPScatterStyle(QCPScatterStyle::ssSquare, QPen(QColor(20, 20, 20), 1), QColor(20, 20, 20), size));
        }
    }
}

bool RoutingView::exportTo(const QString& dir, QString* error) const {
    // Wrapped for the figure's width, not the screen's: the same figure from the app and from a headless export.
    auto* self = const_cast<RoutingView*>(this);
    self->wrap_width_ = kExportWidth;
    self->requestRebuild();
    refresh();
    const bool ok = HeatmapView::exportTo(dir, error);
    self->wrap_width_ = 0;
    self->requestRebuild();
    return ok;
}

QSize RoutingView::exportSize() const { return {kExportWidth, std::max(620, contentHeight(true))}; }

std::optional<RoutingView::Cell> RoutingView::cellAt(const QPointF& pixel) const {
    refresh();
    if (!snapshot_) return std::nullopt;
    const int li = probeLayer();
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot_->models[std::size_t(m)];
        if (experts_[std::size_t(m)] == 0 || li < 0 || std::size_t(li) >= ms.probe.size()) continue;
        const ProbeLayer& pl = ms.probe[std::size_t(li)];
        const auto& lines = lines_[std::size_t(m)];
        for (std::size_t l = 0; l < lines.size(); ++l) {
            const QCPAxisRect* rect = lines[l].rect;
            if (!rect->rect().contains(pixel.toPoint())) continue;
            const int column = int(std::lround(rect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x())));
            const int expert = int(std::lround(rect->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y())));
            const int token = int(l) * per_line_ + column;
            if (column < 0 || column >= per_line_ || token >= int(pl.scores.size())) return std::nullopt;
            if (expert < 0 || std::size_t(expert) >= pl.scores[std::size_t(token)].size()) return std::nullopt;
            return Cell{m, li, token, expert};
        }
    }
    return std::nullopt;
}

QPointF RoutingView::cellCentre(int model, int token, int expert) const {
    refresh();
    const auto& lines = lines_[std::size_t(model)];
    const QCPAxisRect* rect = lines[std::min(lines.size() - 1, std::size_t(token / per_line_))].rect;
    return {rect->axis(QCPAxis::atBottom)->coordToPixel(token % per_line_),
            rect->axis(QCPAxis::atLeft)->coordToPixel(expert)};
}

void RoutingView::onMousePress(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    if (const auto cell = cellAt(event->position())) emit tokenClicked(cell->model, cell->layer, cell->token);
}

void RoutingView::onMouseMove(QMouseEvent* event) {
    const auto cell = cellAt(event->position());
    if (!cell) {
        QToolTip::hideText();
        return;
    }
    const ModelSnapshot& ms = snapshot_->models[std::size_t(cell->model)];
    const ProbeLayer& pl = ms.probe[std::size_t(cell->layer)];
    const double score = pl.scores[std::size_t(cell->token)][std::size_t(cell->expert)];
    QString text = tr("%1, token %2 '%3', expert %4\ns = %5 = %6 x uniform (1/%7)")
                       .arg(model_letter(cell->model))
                       .arg(cell->token)
                       .arg(token_label(ms.probe_text, cell->token))
                       .arg(cell->expert)
                       .arg(score, 0, 'f', 4)
                       .arg(score * double(pl.scores[std::size_t(cell->token)].size()), 0, 'f', 2)
                       .arg(pl.scores[std::size_t(cell->token)].size());
    const auto& idx = pl.topk_idx[std::size_t(cell->token)];
    for (std::size_t j = 0; j < idx.size(); ++j)
        if (idx[j] == cell->expert && j < pl.topk_weight[std::size_t(cell->token)].size())
            text += tr(" · chosen, weight g = %1").arg(pl.topk_weight[std::size_t(cell->token)][j], 0, 'f', 4);
    QToolTip::showText(event->globalPosition().toPoint(), text, plot());
}

QString RoutingView::csv() const {
    QString out = csv_row({"model", "layer", "token", "char", "expert", "score", "relative_score", "chosen"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot_->models[std::size_t(m)];
        for (const ProbeLayer& pl : ms.probe)
            for (std::size_t t = 0; t < pl.scores.size(); ++t) {
                const QString ch = csv_field(token_label(ms.probe_text, int(t)));
                for (std::size_t e = 0; e < pl.scores[t].size(); ++e) {
                    bool chosen = false;
                    if (t < pl.topk_idx.size())
                        for (int k : pl.topk_idx[t]) chosen = chosen || k == int(e);
                    out += csv_row({model_letter(m), QString::number(pl.layer), QString::number(t), ch,
                                    QString::number(e), csv_number(pl.scores[t][e]),
                                    csv_number(double(pl.scores[t][e]) * double(pl.scores[t].size())),
                                    chosen ? "1" : "0"});
                }
            }
    }
    return out;
}

}  // namespace moe::ui
