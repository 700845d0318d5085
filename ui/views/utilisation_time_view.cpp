#include "ui/views/utilisation_time_view.h"

#include "ui/views/view_text.h"

#include <qcustomplot.h>

namespace moe::ui {

UtilisationTimeView::UtilisationTimeView(QWidget* parent) : HeatmapView(parent) {
    addLayerSelector(false);
    for (ModelPanel& p : panels_) {
        p.rect->axis(QCPAxis::atBottom)->setLabel(tr("step"));
        use_integer_ticks(p.rect->axis(QCPAxis::atBottom));
        p.rect->axis(QCPAxis::atLeft)->setLabel(tr("routed expert"));
        use_integer_ticks(p.rect->axis(QCPAxis::atLeft));
        p.scale->axis()->setLabel(tr("share of token-slots f_i"));
    }
}

QString UtilisationTimeView::explanation() const {
    return tr(
        "The load shares f_i of the selected MoE layer over training. Each column is one routing sample "
        "(a training step), each row a routed expert, and the colour is f_i: the fraction of the token-slots "
        "(each token picks top-k experts) that went to expert i. A balanced router gives an even colour near "
        "1/N_r; a bright horizontal stripe is an expert taking more than its share, a dark stripe an expert "
        "that is starved (collapse). The balance loss L_bal = alpha * N_r * sum_i f_i P_i pushes the stripes "
        "toward even. Colour range: each map's own maximum, or one range for all maps (global) to compare "
        "A with B.");
}

void UtilisationTimeView::rebuild() {
    std::size_t n_layers = 0;
    double global_max = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) {
            n_layers = std::max(n_layers, ms.layers.size());
            for (const LayerSnapshot& l : ms.layers)
                for (const auto& row : l.util_rows)
                    for (double v : row) global_max = std::max(global_max, v);
        }
    const int li = clampedLayer(n_layers);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const LayerSnapshot* l =
            (ms && li >= 0 && std::size_t(li) < ms->layers.size()) ? &ms->layers[std::size_t(li)] : nullptr;
        const int S = l ? int(std::min(l->util_rows.size(), l->util_steps.size())) : 0;
        const int N = l ? l->n_routed : 0;
        if (!l || S == 0 || N == 0) {
            p.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
            p.map->data()->clear();
            setNote(m, !ms ? tr("no data yet") : !l ? no_layer_note(*ms) : tr("no routing sample yet"));
            continue;
        }
        setNote(m, QString());
        p.title->setText(QStringLiteral("%1\nlayer %2 · %3 routed experts · balanced share 1/N_r = %4")
                             .arg(model_name(*snapshot_, m))
                             .arg(l->layer)
                             .arg(N)
                             .arg(1.0 / N, 0, 'g', 3));
        QCPColorMapData* data = p.map->data();
        if (data->keySize() != S || data->valueSize() != N) data->setSize(S, N);
        // The rows are (nearly) evenly spaced in steps: the history is downsampled by merging pairs, so a uniform
        // grid from the first to the last sample places every column where its step is.
        const double s0 = l->util_steps.front(), s1 = l->util_steps[std::size_t(S - 1)];
        data->setRange(S > 1 ? QCPRange(s0, s1) : QCPRange(s0 - 0.5, s0 + 0.5), QCPRange(0, N - 1));
        double own_max = 0;
        for (int s = 0; s < S; ++s) {
            const auto& row = l->util_rows[std::size_t(s)];
            for (int e = 0; e < N; ++e) {
                const double v = std::size_t(e) < row.size() ? row[std::size_t(e)] : 0.0;
                data->setCell(s, e, v);
                own_max = std::max(own_max, v);
            }
        }
        applyRange(m, own_max, global_max);
        const double half = S > 1 ? 0.5 * (s1 - s0) / (S - 1) : 0.5;
        p.rect->axis(QCPAxis::atBottom)->setRange(s0 - half, s1 + half);
        p.rect->axis(QCPAxis::atLeft)->setRange(-0.5, N - 0.5);
    }
}

QString UtilisationTimeView::csv() const {
    QString out = csv_row({"model", "layer", "step", "expert", "load_fraction"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m)
        for (const LayerSnapshot& l : snapshot_->models[std::size_t(m)].layers)
            for (std::size_t s = 0; s < l.util_rows.size() && s < l.util_steps.size(); ++s)
                for (std::size_t e = 0; e < l.util_rows[s].size(); ++e)
                    out += csv_row({model_letter(m), QString::number(l.layer), csv_number(l.util_steps[s]),
                                    QString::number(e), csv_number(l.util_rows[s][e])});
    return out;
}

}  // namespace moe::ui
