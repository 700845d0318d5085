#include "ui/views/token_inspector.h"

#include "ui/views/model_panels.h"
#include "ui/views/plot_text.h"
#include "ui/views/view.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QFontMetrics>
#include <QLabel>
#include <QResizeEvent>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace moe::ui {

namespace {

// "top-7 experts 12 (w 0.31), 5 (w 0.22), ...": the chosen experts in the router's order with their weights.
QString chosen_list(const std::vector<int>& idx, const std::vector<float>& weight) {
    QStringList parts;
    for (std::size_t j = 0; j < idx.size(); ++j)
        parts << QStringLiteral("%1 (w %2)").arg(idx[j]).arg(j < weight.size() ? weight[j] : 0.0f, 0, 'f', 2);
    return QStringLiteral("top-%1 experts %2").arg(idx.size()).arg(parts.join(QStringLiteral(", ")));
}

// The bytes around token t, the token itself marked: "[s]" in plain text, highlighted in HTML. So the reader sees
// which byte of the text this is (the routing view outlines its column).
constexpr int kContext = 18;  // bytes each side

QString probe_context(const std::string& text, int t, bool html) {
    const int from = std::max(0, t - kContext), to = std::min(int(text.size()), t + kContext + 1);
    QString out = from > 0 ? QStringLiteral("…") : QString();
    for (int i = from; i < to; ++i) {
        const QString glyph = token_glyph(text, i);
        if (i != t)
            out += html ? glyph.toHtmlEscaped() : glyph;
        else
            out += html ? QStringLiteral("<span style='background:#ffd54f; font-weight:bold'>%1</span>")
                              .arg(glyph.toHtmlEscaped())
                        : QStringLiteral("[%1]").arg(glyph);
    }
    if (to < int(text.size())) out += QStringLiteral("…");
    return out;
}

// Draws one token's (or point's) scores: grey bars for every routed expert, the chosen ones in the model's colour
// with their combine weight written above.
void draw_scores(QCustomPlot* plot, int model, const std::vector<float>& scores, const std::vector<int>& idx,
                 const std::vector<float>& weight) {
    auto* all = qobject_cast<QCPBars*>(plot->plottable(0));
    auto* chosen = qobject_cast<QCPBars*>(plot->plottable(1));
    auto* uniform = qobject_cast<QCPGraph*>(plot->plottable(2));
    const int N = int(scores.size());
    QVector<double> keys(N), values(N), ck, cv;
    double top = N > 0 ? 1.0 / N : 1.0;
    for (int e = 0; e < N; ++e) {
        keys[e] = e;
        values[e] = scores[std::size_t(e)];
        top = std::max(top, values[e]);
    }
    for (int e : idx)
        if (e >= 0 && e < N) {
            ck << e;
            cv << scores[std::size_t(e)];
        }
    all->setData(keys, values, true);
    chosen->setData(ck, cv);
    chosen->setBrush(model_colour(model));
    uniform->setData(QVector<double>{-0.5, N - 0.5}, QVector<double>{N > 0 ? 1.0 / N : 0, N > 0 ? 1.0 / N : 0});
    plot->clearItems();
    QFont small = plot->font();
    small.setPointSizeF(std::max(7.0, small.pointSizeF() - 1.5));
    for (std::size_t j = 0; j < idx.size() && j < weight.size(); ++j) {
        if (idx[j] < 0 || idx[j] >= N) continue;
        // Vertical labels: neighbouring experts can both be chosen, and horizontal text would overlap.
        auto* label = new QCPItemText(plot);
        label->position->setCoords(idx[j], scores[std::size_t(idx[j])] + 0.02 * top);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        label->setRotation(-90);
        label->setFont(small);
        label->setText(QStringLiteral("w %1").arg(weight[j], 0, 'f', 2));
        label->setClipToAxisRect(true);
        label->setProperty("weight", double(weight[j]));
    }
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        axis->setTicks(true);
        axis->setTickLabels(true);
    }
    plot->xAxis->setRange(-0.7, N - 0.3);
    plot->yAxis->setRange(0, top * 1.3);
    plot->replot(QCustomPlot::rpQueuedReplot);
}

// Neighbouring chosen experts' labels would overlap where bars are narrower than a line of text (63 experts in a
// dock): the heavier weight keeps its label, the lighter one is left to the list above the plot.
void declutter_weight_labels(QCustomPlot* plot) {
    std::vector<QCPItemText*> labels;
    for (int i = 0; i < plot->itemCount(); ++i)
        if (auto* label = qobject_cast<QCPItemText*>(plot->item(i))) labels.push_back(label);
    std::stable_sort(labels.begin(), labels.end(), [](const QCPItemText* a, const QCPItemText* b) {
        return a->property("weight").toDouble() > b->property("weight").toDouble();
    });
    std::vector<double> kept;
    for (QCPItemText* label : labels) {
        const double x = label->position->pixelPosition().x();
        const double room = QFontMetrics(label->font()).height();
        const bool free = std::none_of(kept.begin(), kept.end(), [&](double k) { return std::abs(k - x) < room; });
        label->setVisible(free);
        if (free) kept.push_back(x);
    }
}

}  // namespace

TokenInspector::TokenInspector(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    header_ = new QLabel(this);
    header_->setWordWrap(true);
    header_->setTextFormat(Qt::RichText);
    header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(header_);
    plot_ = make_plot(this);  // its text follows the window's font (presentation mode)
    plot_->setMinimumWidth(300);
    grow_to_content(plot_, 200);
    plot_->setAntialiasedElements(QCP::aeAll);
    plot_->xAxis->setLabel(tr("routed expert i"));
    // A short axis (the dock shares its height with the lesson): a label in two lines and few ticks keep it short
    // in presentation mode too, where the plot is as tall as its text needs (plot_text.h).
    plot_->yAxis->setLabel(tr("gate probability\ns_i"));
    plot_->yAxis->ticker()->setTickCount(4);
    plot_->xAxis->grid()->setVisible(false);
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    plot_->xAxis->setTicker(ticker);
    // The legend under the plot: inside it would hide the bars of the last experts. In rows of as many items as fit
    // the dock's width.
    plot_->legend->setVisible(false);
    QCPLegend* legend = add_bottom_legend(plot_);
    auto* all = new QCPBars(plot_->xAxis, plot_->yAxis);
    all->setName(tr("score s_i"));
    all->setPen(Qt::NoPen);
    all->setBrush(QColor(170, 170, 170));
    all->setWidth(0.8);
    auto* chosen = new QCPBars(plot_->xAxis, plot_->yAxis);
    chosen->setName(tr("chosen (top-k)"));
    chosen->setPen(Qt::NoPen);
    chosen->setWidth(0.8);
    QCPGraph* uniform = plot_->addGraph();
    uniform->setName(tr("uniform 1/N_r"));
    uniform->setPen(QPen(QColor(60, 60, 60), 1.3, Qt::DashLine));
    for (QCPAbstractPlottable* p : std::initializer_list<QCPAbstractPlottable*>{all, chosen, uniform}) {
        p->removeFromLegend();
        p->addToLegend(legend);
    }
    layout->addWidget(plot_, 1);
    connect(plot_, &QCustomPlot::afterLayout, this, [this] { declutter_weight_labels(plot_); });
    clear();
}

void TokenInspector::clear() {
    summary_.clear();
    header_->setText(tr("Click a token of the routing view (or a point of the plane) to see where it was routed."));
    for (int i = 0; i < plot_->plottableCount(); ++i) {
        if (auto* b = qobject_cast<QCPBars*>(plot_->plottable(i))) b->data()->clear();
        if (auto* g = qobject_cast<QCPGraph*>(plot_->plottable(i))) g->data()->clear();
    }
    plot_->clearItems();
    // No numbers on empty axes: the expert range and the score scale of the last token shown (perhaps another
    // lesson's 63 experts) would be read as this lesson's.
    for (QCPAxis* axis : {plot_->xAxis, plot_->yAxis}) {
        axis->setTicks(false);
        axis->setTickLabels(false);
        axis->setRange(0, 1);
    }
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void TokenInspector::showToken(const SnapshotPtr& snapshot, int model, int probe_layer, int token) {
    if (!snapshot || model < 0 || model > 1) return clear();
    const ModelSnapshot& ms = snapshot->models[std::size_t(model)];
    if (probe_layer < 0 || std::size_t(probe_layer) >= ms.probe.size()) return clear();
    const ProbeLayer& pl = ms.probe[std::size_t(probe_layer)];
    if (token < 0 || std::size_t(token) >= pl.scores.size()) return clear();
    const std::size_t t = std::size_t(token);
    const std::vector<int> idx = t < pl.topk_idx.size() ? pl.topk_idx[t] : std::vector<int>{};
    const std::vector<float> w = t < pl.topk_weight.size() ? pl.topk_weight[t] : std::vector<float>{};
    const double shared = t < pl.shared_share.size() ? pl.shared_share[t] : 0.0;
    const int n_shared = ms.config.model.n_shared_experts;
    const QString ch = token_label(ms.probe_text, token);

    summary_ = QStringLiteral("token '%1' (layer %2, model %3): %4; shared share %5; in the text: %6")
                   .arg(ch)
                   .arg(pl.layer)
                   .arg(model_letter(model), chosen_list(idx, w))
                   .arg(shared, 0, 'f', 2)
                   .arg(probe_context(ms.probe_text, token, false));
    if (n_shared == 0) summary_ += QStringLiteral(" (no shared experts)");

    header_->setText(
        tr("<b style='color:%1'>%2</b> · token #%3 <b>'%4'</b> · layer %5<br><tt>%8</tt><br>%6<br>"
           "Shared experts (always on, weight 1): %7 of the MoE output.")
            .arg(model_colour(model).darker(130).name(), model_name(*snapshot, model).toHtmlEscaped())
            .arg(token)
            .arg(ch.toHtmlEscaped())
            .arg(pl.layer)
            .arg(chosen_list(idx, w).toHtmlEscaped())
            .arg(n_shared == 0 ? tr("none in this model") : QStringLiteral("%1 %").arg(100 * shared, 0, 'f', 0))
            .arg(probe_context(ms.probe_text, token, true)));
    draw_scores(plot_, model, pl.scores[t], idx, w);
}

void TokenInspector::showPoint(const PointInspection& inspection) {
    if (inspection.layers.empty() || inspection.layers[0].scores.empty()) return clear();
    QStringList lines, html;
    for (const ProbeLayer& pl : inspection.layers) {
        if (pl.scores.empty()) continue;
        const std::vector<int> idx = pl.topk_idx.empty() ? std::vector<int>{} : pl.topk_idx[0];
        const std::vector<float> w = pl.topk_weight.empty() ? std::vector<float>{} : pl.topk_weight[0];
        const double shared = pl.shared_share.empty() ? 0.0 : pl.shared_share[0];
        lines << QStringLiteral("point (%1, %2) (layer %3, model %4): %5; shared share %6")
                     .arg(inspection.x, 0, 'f', 2)
                     .arg(inspection.y, 0, 'f', 2)
                     .arg(pl.layer)
                     .arg(model_letter(inspection.model), chosen_list(idx, w))
                     .arg(shared, 0, 'f', 2);
        html << tr("layer %1: %2; shared share %3")
                    .arg(pl.layer)
                    .arg(chosen_list(idx, w).toHtmlEscaped())
                    .arg(shared, 0, 'f', 2);
    }
    QStringList probs;
    for (float p : inspection.class_probs) probs << QString::number(p, 'f', 2);
    if (!probs.isEmpty()) lines << QStringLiteral("class probabilities %1").arg(probs.join(QStringLiteral(", ")));
    summary_ = lines.join(QLatin1Char('\n'));
    header_->setText(
        tr("<b style='color:%1'>model %2</b> · point (%3, %4)<br>%5%6<br><i>Bars: the first MoE layer.</i>")
            .arg(model_colour(inspection.model).darker(130).name(), model_letter(inspection.model))
            .arg(inspection.x, 0, 'f', 2)
            .arg(inspection.y, 0, 'f', 2)
            .arg(html.join(QStringLiteral("<br>")),
                 probs.isEmpty() ? QString() : tr("<br>class probabilities: %1").arg(probs.join(", "))));
    const ProbeLayer& first = inspection.layers[0];
    draw_scores(plot_, inspection.model, first.scores[0],
                first.topk_idx.empty() ? std::vector<int>{} : first.topk_idx[0],
                first.topk_weight.empty() ? std::vector<float>{} : first.topk_weight[0]);
}

QString TokenInspector::summary() const { return summary_; }

QSize TokenInspector::minimumSizeHint() const {
    // A word-wrapped label's own minimum is one short line: its lines at the width it has count instead.
    const QSize hint = QWidget::minimumSizeHint();
    const QMargins margins = layout()->contentsMargins();
    const int width = std::max(this->width(), hint.width()) - margins.left() - margins.right();
    const int height = margins.top() + header_->heightForWidth(width) + layout()->spacing() + plot_->minimumHeight() +
                       margins.bottom();
    return {hint.width(), std::max(hint.height(), height)};
}

void TokenInspector::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    if (event->size().width() != event->oldSize().width()) updateGeometry();  // the header's lines changed
}

}  // namespace moe::ui
