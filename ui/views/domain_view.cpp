#include "ui/views/domain_view.h"

#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <numeric>

namespace moe::ui {

namespace {

// Row d of the domain x expert loads as shares of that domain's token-slots (all zero for an unseen domain).
std::vector<double> row_shares(const std::vector<double>& loads) {
    const double total = std::accumulate(loads.begin(), loads.end(), 0.0);
    std::vector<double> shares(loads.size(), 0.0);
    if (total > 0)
        for (std::size_t e = 0; e < loads.size(); ++e) shares[e] = loads[e] / total;
    return shares;
}

QString domain_name(const ModelSnapshot& ms, std::size_t d) {
    return d < ms.domain_names.size() ? QString::fromStdString(ms.domain_names[d]) : QStringLiteral("domain %1").arg(d);
}

}  // namespace

DomainView::DomainView(QWidget* parent) : HeatmapView(parent) {
    addLayerSelector(false);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        p.rect->axis(QCPAxis::atBottom)->setLabel(tr("routed expert"));
        use_integer_ticks(p.rect->axis(QCPAxis::atBottom));
        p.rect->axis(QCPAxis::atLeft)->setRangeReversed(true);  // first domain on top, like a table
        p.scale->axis()->setLabel(tr("share of the domain's token-slots"));
        // Each domain's favourite expert, so a reader can compare rows without judging colours.
        QCPGraph* g = plot()->addGraph(p.rect->axis(QCPAxis::atBottom), p.rect->axis(QCPAxis::atLeft));
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(QColor(20, 20, 20), 1.2), Qt::white, 7));
        top_[std::size_t(m)] = g;
    }
}

QString DomainView::explanation() const {
    return tr(
        "Which experts each kind of text uses, in the selected MoE layer. Rows are the corpus domains "
        "(prose, code, arithmetic, ...), columns the routed experts, and the colour is the share of that "
        "domain's token-slots (each token picks its top-k experts) that went to the expert: every row sums "
        "to 1. Counted since the last reset. The white diamond marks each domain's most used expert. "
        "Specialised experts show as a few bright cells per row, in different places for different domains; "
        "a router that ignores the kind of text gives the same pattern in every row. The paper's claim: "
        "fine-grained experts with shared experts (DeepSeekMoE) specialise more sharply.");
}

void DomainView::rebuild() {
    std::size_t n_layers = 0;
    double global_max = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) {
            n_layers = std::max(n_layers, ms.layers.size());
            for (const LayerSnapshot& l : ms.layers)
                for (const auto& row : l.domain_load)
                    for (double v : row_shares(row)) global_max = std::max(global_max, v);
        }
    const int li = clampedLayer(n_layers);
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
        p.title->setText(QStringLiteral("%1\nlayer %2 · %3 domains x %4 routed experts")
                             .arg(model_name(*snapshot_, m))
                             .arg(l->layer)
                             .arg(D)
                             .arg(N));
        QCPColorMapData* data = p.map->data();
        if (data->keySize() != N || data->valueSize() != D) data->setSize(N, D);
        data->setRange(QCPRange(0, N - 1), QCPRange(0, D - 1));
        double own_max = 0;
        QVector<double> top_keys, top_values;
        QStringList labels;
        for (int d = 0; d < D; ++d) {
            const std::vector<double> shares = row_shares(l->domain_load[std::size_t(d)]);
            int best = -1;
            for (int e = 0; e < N; ++e) {
                const double v = std::size_t(e) < shares.size() ? shares[std::size_t(e)] : 0.0;
                data->setCell(e, d, v);
                own_max = std::max(own_max, v);
                if (v > 0 && (best < 0 || v > shares[std::size_t(best)])) best = e;
            }
            if (best >= 0) {
                top_keys << best;
                top_values << d;
            }
            labels << domain_name(*ms, std::size_t(d));
        }
        top_[std::size_t(m)]->setData(top_keys, top_values);
        applyRange(m, own_max, global_max);
        setTextTicks(p.rect->axis(QCPAxis::atLeft), labels);
        p.rect->axis(QCPAxis::atLeft)->setRange(-0.5, D - 0.5);
        p.rect->axis(QCPAxis::atBottom)->setRange(-0.5, N - 0.5);
    }
}

QString DomainView::csv() const {
    QString out = csv_row({"model", "layer", "domain", "expert", "load", "share"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot_->models[std::size_t(m)];
        for (const LayerSnapshot& l : ms.layers)
            for (std::size_t d = 0; d < l.domain_load.size(); ++d) {
                const std::vector<double> shares = row_shares(l.domain_load[d]);
                const QString name = csv_field(domain_name(ms, d));
                for (std::size_t e = 0; e < shares.size(); ++e)
                    out += csv_row({model_letter(m), QString::number(l.layer), name, QString::number(e),
                                    csv_number(l.domain_load[d][e]), csv_number(shares[e])});
            }
    }
    return out;
}

}  // namespace moe::ui
