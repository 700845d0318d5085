#include "ui/views/routing_view.h"

#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QToolTip>

#include <algorithm>

namespace moe::ui {

namespace {
constexpr int row_height = 14;  // pixels per token row: one readable character label each
}

RoutingView::RoutingView(QWidget* parent) : HeatmapView(parent) {
    addLayerSelector(true);
    // Log by default: a fine-grained router's scores spread over halves and multiples of the uniform 1/N_r both ways.
    addColourScaleChoice(ColourScale::Log, tr("uniform"));
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        QCPAxis* x = p.rect->axis(QCPAxis::atBottom);
        QCPAxis* y = p.rect->axis(QCPAxis::atLeft);
        x->setLabel(tr("routed expert"));
        y->setLabel(tr("probe token (one byte per row)"));
        y->setRangeReversed(true);  // the text reads from the top down
        QFont small = plot()->font();
        small.setPointSizeF(std::max(7.0, small.pointSizeF() - 1));
        y->setTickLabelFont(small);
        // Expert numbers on the top edge too: the plot can be taller than the window.
        QCPAxis* top = p.rect->axis(QCPAxis::atTop);
        top->setVisible(true);
        top->setTickLabels(true);
        use_integer_ticks(x);
        use_integer_ticks(top);
        connect(x, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), top,
                qOverload<const QCPRange&>(&QCPAxis::setRange));
        p.scale->axis()->setLabel(tr("gate score s_i · N_r\n(1 = uniform)"));

        // The chosen top-k: white dots with a dark rim, visible on both ends of the colour map.
        QCPGraph* g = plot()->addGraph(x, y);
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(20, 20, 20), 1.2), Qt::white, 6));
        g->setName(tr("chosen (top-k)"));
        chosen_[std::size_t(m)] = g;
    }
    connect(plot(), &QCustomPlot::mousePress, this, &RoutingView::onMousePress);
    connect(plot(), &QCustomPlot::mouseMove, this, &RoutingView::onMouseMove);
    plot()->setMouseTracking(true);
}

QString RoutingView::notApplicable() const {
    if (!snapshot_) return {};
    for (const ModelSnapshot& ms : snapshot_->models)
        if (!(!ms.language)) return {};
    return tr("both models are 2-D classifiers: the routing of a probe text applies to language models only (the 2-D plane view shows their routing)");
}

QString RoutingView::explanation() const {
    return tr(
        "The probe text, one byte per row, through the selected MoE layer. Each token's gate scores every "
        "routed expert: s_i = softmax_i(u^T e_i), where u is the token's hidden state and e_i expert i's "
        "centroid. The scores sum to 1, so a router with no preference gives every expert 1/N_r: 1/63 for 63 "
        "fine-grained experts, 1/16 for 16. The colour is the score against that uniform level, s_i · N_r: white "
        "= 1 = no preference, red = preferred (4 = four times the uniform score), blue = avoided. A and B share one "
        "colour scale, on a log scale by default (halves and doubles look alike; switch to linear above the plot). "
        "White dots: the top-k experts the token is sent to; their combine weights g_i are their s_i, renormalised "
        "to sum to 1 when norm_topk_prob is on. Title: the top-1 score s_max · N_r, as the median over the tokens. "
        "Shared experts are not drawn: every token goes through all of them with weight 1. "
        "Click a cell to inspect that token.");
}

double RoutingView::shownValue(int model, int token, int expert) const {
    refresh();
    return panels_[std::size_t(model)].map->data()->cell(expert, token);
}

void RoutingView::rebuild() {
    std::size_t n_layers = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.probe.size());
    const int li = clampedLayer(n_layers);
    // One colour range for A and B: the relative scores s_i · N_r of the selected layer (every layer when global).
    RelativeExtremes extremes;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models)
            for (std::size_t i = 0; i < ms.probe.size(); ++i)
                if (globalNormalisation() || int(i) == li)
                    for (const auto& row : ms.probe[i].scores)
                        for (float v : row) extremes.add(double(v) * double(row.size()));
    applyRelativeRange(extremes);
    int max_tokens = 0;
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        QCPGraph* chosen = chosen_[std::size_t(m)];
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const ProbeLayer* pl =
            (ms && li >= 0 && std::size_t(li) < ms->probe.size()) ? &ms->probe[std::size_t(li)] : nullptr;
        const int T = pl ? int(pl->scores.size()) : 0;
        const int N = T > 0 ? int(pl->scores[0].size()) : 0;
        if (!pl || T == 0 || N == 0) {
            p.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
            p.map->data()->clear();
            chosen->data()->clear();
            setNote(m, !ms                 ? tr("no data yet")
                       : !ms->language     ? tr("Routing of a probe text:\nlanguage models only")
                       : ms->layers.empty() ? no_layer_note(*ms)
                       : ms->probe.empty()  ? tr("no probe text yet")
                                            : no_layer_note(*ms));
            continue;
        }
        setNote(m, QString());
        max_tokens = std::max(max_tokens, T);
        QCPColorMapData* data = p.map->data();
        if (data->keySize() != N || data->valueSize() != T) data->setSize(N, T);
        data->setRange(QCPRange(0, N - 1), QCPRange(0, T - 1));
        std::vector<double> top1;  // each token's largest s_i · N_r
        for (int t = 0; t < T; ++t) {
            double best = 0;
            for (int e = 0; e < N && std::size_t(e) < pl->scores[std::size_t(t)].size(); ++e) {
                const double v = double(pl->scores[std::size_t(t)][std::size_t(e)]) * N;
                data->setCell(e, t, cellValue(v));
                best = std::max(best, v);
            }
            top1.push_back(best);
        }
        std::nth_element(top1.begin(), top1.begin() + std::ptrdiff_t(top1.size() / 2), top1.end());
        p.title->setText(QStringLiteral("%1\nlayer %2 · top-%3 of %4 routed experts · median top-1 s·N_r %5")
                             .arg(model_name(*snapshot_, m))
                             .arg(pl->layer)
                             .arg(pl->topk_idx.empty() ? 0 : int(pl->topk_idx[0].size()))
                             .arg(N)
                             .arg(top1[top1.size() / 2], 0, 'f', 1));

        QVector<double> keys, values;
        for (int t = 0; t < T && std::size_t(t) < pl->topk_idx.size(); ++t)
            for (int e : pl->topk_idx[std::size_t(t)]) {
                keys << e;
                values << t;
            }
        chosen->setData(keys, values);

        QStringList labels;
        for (int t = 0; t < T; ++t) labels << token_label(ms->probe_text, t);
        setTextTicks(p.rect->axis(QCPAxis::atLeft), labels);
        p.rect->axis(QCPAxis::atLeft)->setRange(-0.5, T - 0.5);
        p.rect->axis(QCPAxis::atBottom)->setRange(-0.5, N - 0.5);
    }
    tokens_ = max_tokens;
    // Every row keeps a readable height: a long probe text makes the plot taller and the view scrolls.
    setPlotMinimumHeight(std::max(260, tokens_ * row_height + 150));
}

QSize RoutingView::exportSize() const { return {1100, std::max(620, tokens_ * row_height + 150)}; }

std::optional<RoutingView::Cell> RoutingView::cellAt(const QPointF& pixel) const {
    refresh();
    const int m = modelAt(pixel);
    if (m < 0 || !snapshot_) return std::nullopt;
    const ModelSnapshot& ms = snapshot_->models[std::size_t(m)];
    std::size_t n_layers = 0;
    for (const ModelSnapshot& s : snapshot_->models) n_layers = std::max(n_layers, s.probe.size());
    const int li = clampedLayer(n_layers);
    if (li < 0 || std::size_t(li) >= ms.probe.size()) return std::nullopt;
    const ProbeLayer& pl = ms.probe[std::size_t(li)];
    const QCPAxisRect* rect = panels_[std::size_t(m)].rect;
    const int expert = int(std::lround(rect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x())));
    const int token = int(std::lround(rect->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y())));
    if (token < 0 || std::size_t(token) >= pl.scores.size()) return std::nullopt;
    if (expert < 0 || std::size_t(expert) >= pl.scores[std::size_t(token)].size()) return std::nullopt;
    return Cell{m, li, token, expert};
}

QPointF RoutingView::cellCentre(int model, int token, int expert) const {
    refresh();
    const QCPAxisRect* rect = panels_[std::size_t(model)].rect;
    return {rect->axis(QCPAxis::atBottom)->coordToPixel(expert), rect->axis(QCPAxis::atLeft)->coordToPixel(token)};
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
