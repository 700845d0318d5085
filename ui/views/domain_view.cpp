#include "ui/views/domain_view.h"

#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <numeric>

namespace moe::ui {

namespace {

// Row d of the domain x expert loads against that domain's balanced load: load_di / (sum_i load_di / N_r), so 1 =
// the domain spreads its token-slots evenly (all zero for a domain not seen yet).
std::vector<double> row_relative(const std::vector<double>& loads) { return relative_to_mean(loads); }

QString domain_name(const ModelSnapshot& ms, std::size_t d) {
    return d < ms.domain_names.size() ? QString::fromStdString(ms.domain_names[d]) : QStringLiteral("domain %1").arg(d);
}

}  // namespace

DomainView::DomainView(QWidget* parent) : HeatmapView(parent) {
    addLayerSelector(false);
    addColourScaleChoice(ColourScale::Linear, tr("balanced"));
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        p.rect->axis(QCPAxis::atBottom)->setLabel(tr("routed expert"));
        use_integer_ticks(p.rect->axis(QCPAxis::atBottom));
        p.rect->axis(QCPAxis::atLeft)->setRangeReversed(true);  // first domain on top, like a table
        p.scale->axis()->setLabel(tr("relative load in the domain\n(1 = balanced)"));
        // Each domain's favourite expert, so a reader can compare rows without judging colours.
        QCPGraph* g = plot()->addGraph(p.rect->axis(QCPAxis::atBottom), p.rect->axis(QCPAxis::atLeft));
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(QColor(20, 20, 20), 1.2), Qt::white, 7));
        top_[std::size_t(m)] = g;
    }
}

QString DomainView::notApplicable() const {
    if (!snapshot_) return {};
    for (const ModelSnapshot& ms : snapshot_->models)
        if (!(!ms.language)) return {};
    return tr("both models are 2-D classifiers: their points have no text domains (the 2-D plane view shows how their experts divide the plane)");
}

QString DomainView::explanation() const {
    if (snapshot_ && !snapshot_->models[0].language)
        return tr(
            "Which experts each domain of a multi-domain text corpus uses (DeepSeek-V3, Fig. 9). This lesson trains "
            "2-D classifiers: their points have no text domains, so this view stays empty. The 2-D plane view shows "
            "how their experts divide the plane, and Specialisation measures how well the chosen experts tell the "
            "classes apart.");
    return tr(
        "Which experts each kind of text uses, in the selected MoE layer, against an even spread (DeepSeek-V3, Fig. 9). "
        "Rows are the %1, columns the routed experts, and the colour is "
        "the relative load load_di / (sum_i load_di / N_r): the token-slots of domain d that went to expert i (each "
        "token picks its top-k), over what every expert would get if the domain's tokens were spread evenly over the "
        "N_r experts. White = 1 = balanced, red = the domain favours the expert (4 = four times its share), blue = "
        "the domain avoids it. Counted since the last reset. The white diamond marks each domain's most used expert. "
        "Specialised experts show as a few red cells per row, in different places for different domains; a router "
        "that ignores the kind of text gives the same pattern in every row. A and B share one colour scale, so 63 "
        "fine-grained experts and 16 coarse ones compare directly. Title: the largest relative load and where it "
        "is. The paper's claim: fine-grained experts with shared experts (DeepSeekMoE) specialise more sharply.")
        .arg(domain_words(snapshot_.get()));
}

void DomainView::rebuild() {
    std::size_t n_layers = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.layers.size());
    const int li = clampedLayer(n_layers);
    RelativeExtremes extremes;  // one colour range for A and B (over every layer when global)
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models)
            for (std::size_t i = 0; i < ms.layers.size(); ++i)
                if (globalNormalisation() || int(i) == li)
                    for (const auto& row : ms.layers[i].domain_load) extremes.add(row_relative(row));
    applyRelativeRange(extremes);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const LayerSnapshot* l =
            (ms && li >= 0 && std::size_t(li) < ms->layers.size()) ? &ms->layers[std::size_t(li)] : nullptr;
        const int D = l ? int(l->domain_load.size()) : 0;
        const int N = l ? l->n_routed : 0;
        double total = 0;
        if (l)
            for (const auto& row : l->domain_load) total += std::accumulate(row.begin(), row.end(), 0.0);
        if (!l || D == 0 || N == 0 || total <= 0) {
            p.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
            p.map->data()->clear();
            top_[std::size_t(m)]->data()->clear();
            setNote(m, !ms             ? tr("no data yet")
                       : !ms->language ? tr("Domains: language models only")
                       : !l            ? no_layer_note(*ms)
                       : D == 0        ? tr("Domains: only on the\nmulti-domain corpus")
                                       : tr("no routing sample yet"));
            continue;
        }
        setNote(m, QString());
        QCPColorMapData* data = p.map->data();
        if (data->keySize() != N || data->valueSize() != D) data->setSize(N, D);
        data->setRange(QCPRange(0, N - 1), QCPRange(0, D - 1));
        QVector<double> top_keys, top_values;
        QStringList labels;
        double best_value = 0;
        int best_domain = -1, best_expert = -1;
        std::vector<double> expert_total(std::size_t(N), 0.0);  // over all domains: an expert no domain uses is dead
        for (int d = 0; d < D; ++d) {
            const std::vector<double>& loads = l->domain_load[std::size_t(d)];
            const std::vector<double> rel = row_relative(loads);
            int best = -1;
            for (int e = 0; e < N; ++e) {
                const double v = std::size_t(e) < rel.size() ? rel[std::size_t(e)] : 0.0;
                if (std::size_t(e) < loads.size()) expert_total[std::size_t(e)] += loads[std::size_t(e)];
                data->setCell(e, d, cellValue(v));
                if (v > 0 && (best < 0 || v > rel[std::size_t(best)])) best = e;
            }
            if (best >= 0) {
                top_keys << best;
                top_values << d;
                if (rel[std::size_t(best)] > best_value) {
                    best_value = rel[std::size_t(best)];
                    best_domain = d;
                    best_expert = best;
                }
            }
            labels << domain_name(*ms, std::size_t(d));
        }
        p.title->setText(QStringLiteral("%1\nlayer %2 · %3 domains x %4 experts · max %5× (%6, expert %7) · "
                                        "%8 unused by every domain")
                             .arg(model_name(*snapshot_, m))
                             .arg(l->layer)
                             .arg(D)
                             .arg(N)
                             .arg(best_value, 0, 'f', 1)
                             .arg(best_domain >= 0 ? domain_name(*ms, std::size_t(best_domain)) : QString("-"))
                             .arg(best_expert)
                             .arg(zero_count(expert_total)));
        top_[std::size_t(m)]->setData(top_keys, top_values);
        setTextTicks(p.rect->axis(QCPAxis::atLeft), labels);
        p.rect->axis(QCPAxis::atLeft)->setRange(-0.5, D - 0.5);
        p.rect->axis(QCPAxis::atBottom)->setRange(-0.5, N - 0.5);
    }
}

QString DomainView::csv() const {
    QString out = csv_row({"model", "layer", "domain", "expert", "load", "share", "relative_load"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot_->models[std::size_t(m)];
        for (const LayerSnapshot& l : ms.layers)
            for (std::size_t d = 0; d < l.domain_load.size(); ++d) {
                const std::vector<double> rel = row_relative(l.domain_load[d]);
                const QString name = csv_field(domain_name(ms, d));
                for (std::size_t e = 0; e < rel.size(); ++e)
                    out += csv_row({model_letter(m), QString::number(l.layer), name, QString::number(e),
                                    csv_number(l.domain_load[d][e]), csv_number(rel[e] / double(rel.size())),
                                    csv_number(rel[e])});
            }
    }
    return out;
}

}  // namespace moe::ui
