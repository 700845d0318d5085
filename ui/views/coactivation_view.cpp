#include "ui/views/coactivation_view.h"

#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace moe::ui {

CoactivationView::CoactivationView(QWidget* parent) : HeatmapView(parent) {
    addLayerSelector(false);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        p.rect->axis(QCPAxis::atBottom)->setLabel(tr("expert j (also chosen)"));
        p.rect->axis(QCPAxis::atLeft)->setLabel(tr("expert i"));
        p.rect->axis(QCPAxis::atLeft)->setRangeReversed(true);
        use_integer_ticks(p.rect->axis(QCPAxis::atBottom));
        use_integer_ticks(p.rect->axis(QCPAxis::atLeft));
        p.scale->axis()->setLabel(tr("N(i, j) / N(i)"));
    }
}

QString CoactivationView::explanation() const {
    return tr(
        "Which experts are chosen together. For the selected MoE layer, the cell in row i, column j is "
        "N(i, j) / N(i): of the validation tokens that picked expert i among their top-k, the share that also "
        "picked expert j (OLMoE's co-activation). The diagonal is 1. A router that picked its k experts at "
        "random would give about (k - 1) / (N_r - 1) everywhere; bright off-diagonal cells are experts that "
        "work as a team, which means their knowledge overlaps. The title gives, averaged over the experts, how "
        "often an expert's strongest partner comes with it, against that random level. Both models share the "
        "colour scale 0 to 1.");
}

double CoactivationView::top_partner_share(const LayerEvalSnapshot& l) {
    const int n = l.n_routed, k = l.top_k;
    if (n < 2 || k < 2 || l.coactivation.size() != std::size_t(n) * std::size_t(n)) return NAN;
    double sum = 0;
    int used = 0;
    for (int i = 0; i < n; ++i) {
        if (l.coactivation[std::size_t(i) * n + i] == 0) continue;  // expert i never chosen
        double best = 0;
        for (int j = 0; j < n; ++j)
            if (j != i) best = std::max(best, l.coactivation[std::size_t(i) * n + j]);
        sum += best;
        ++used;
    }
    return used ? sum / used : NAN;
}

void CoactivationView::rebuild() {
    std::size_t n_layers = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.eval.layers.size());
    const int li = clampedLayer(n_layers);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const LayerEvalSnapshot* l =
            (ms && li >= 0 && std::size_t(li) < ms->eval.layers.size()) ? &ms->eval.layers[std::size_t(li)] : nullptr;
        const int n = l ? l->n_routed : 0;
        if (!l || n == 0 || l->coactivation.size() != std::size_t(n) * std::size_t(n)) {
            p.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
            p.map->data()->clear();
            setNote(m, !ms ? tr("no data yet")
                           : ms->layers.empty() ? no_layer_note(*ms)
                                                : tr("no evaluation yet:\nthe first comes at step %1")
                                                      .arg(ms->config.train.eval_interval));
            continue;
        }
        setNote(m, QString());
        const double top = top_partner_share(*l);
        const double random = n > 1 ? double(l->top_k - 1) / double(n - 1) : NAN;
        p.title->setText(tr("%1\nlayer %2 · top-%3 of %4 · %5")
                             .arg(model_name(*snapshot_, m))
                             .arg(l->layer)
                             .arg(l->top_k)
                             .arg(n)
                             .arg(std::isfinite(top) ? tr("strongest partner joins in %1 % (random %2 %)")
                                                           .arg(100 * top, 0, 'f', 0)
                                                           .arg(100 * random, 0, 'f', 0)
                                                     : tr("k = 1: no pairs")));
        QCPColorMapData* data = p.map->data();
        if (data->keySize() != n || data->valueSize() != n) data->setSize(n, n);
        data->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) data->setCell(j, i, l->coactivation[std::size_t(i) * n + j]);
        // One scale for both models: a share is a share, whatever the number of experts.
        p.map->setDataRange(QCPRange(0, 1));
        p.rect->axis(QCPAxis::atLeft)->setRange(-0.5, n - 0.5);
        p.rect->axis(QCPAxis::atBottom)->setRange(-0.5, n - 0.5);
    }
}

QString CoactivationView::csv() const {
    QString out = csv_row({"model", "layer", "expert_i", "expert_j", "coactivation"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m)
        for (const LayerEvalSnapshot& l : snapshot_->models[std::size_t(m)].eval.layers) {
            const int n = l.n_routed;
            if (l.coactivation.size() != std::size_t(n) * std::size_t(n)) continue;
            for (int i = 0; i < n; ++i)
                for (int j = 0; j < n; ++j)
                    out += csv_row({model_letter(m), QString::number(l.layer), QString::number(i), QString::number(j),
                                    csv_number(l.coactivation[std::size_t(i) * n + j])});
        }
    return out;
}

}  // namespace moe::ui
