#include "ui/views/utilisation_time_view.h"

#include "ui/views/view_text.h"

#include <qcustomplot.h>

namespace moe::ui {

UtilisationTimeView::UtilisationTimeView(QWidget* parent) : HeatmapView(parent) {
    addLayerSelector(false);
    addColourScaleChoice(ColourScale::Linear, tr("balanced"));
    for (ModelPanel& p : panels_) {
        p.rect->axis(QCPAxis::atBottom)->setLabel(tr("step"));
        use_integer_ticks(p.rect->axis(QCPAxis::atBottom));
        p.rect->axis(QCPAxis::atLeft)->setLabel(tr("routed expert"));
        use_integer_ticks(p.rect->axis(QCPAxis::atLeft));
        p.scale->axis()->setLabel(tr("relative load f_i · N_r\n(1 = balanced)"));
    }
}

QString UtilisationTimeView::explanation() const {
    return tr(
        "The load of each routed expert of the selected MoE layer over training, against the balanced load. Each "
        "column is one routing sample (a training step), each row a routed expert, and the colour is the relative "
        "load f_i · N_r = load_i / (k·T/N_r): f_i is the share of the token-slots (each of the T tokens picks its "
        "top-k of the N_r experts) that went to expert i, and k·T/N_r is what every expert gets when the router is "
        "balanced. White = 1 = balanced, red = more than its share, blue = starved, darkest blue = dead (0). A "
        "router spreading its tokens evenly gives a pale map; a red horizontal stripe is an expert taking more than "
        "its share and a blue one an expert starved (collapse). A and B share one colour scale (the largest value of "
        "either; with \"one colour scale for all layers\", of every layer), so the same colour means the same "
        "relative load in both. The log choice makes halves and doubles look alike. Title: MaxVio = max_i f_i·N_r − 1 "
        "in the latest sample and its peak over the run.");
}

void UtilisationTimeView::rebuild() {
    std::size_t n_layers = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.layers.size());
    const int li = clampedLayer(n_layers);
    // One colour range for A and B: the selected layer's extremes over both models (every layer's, when global).
    RelativeExtremes extremes;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models)
            for (std::size_t i = 0; i < ms.layers.size(); ++i) {
                if (!globalNormalisation() && int(i) != li) continue;
                const LayerSnapshot& l = ms.layers[i];
                for (const auto& row : l.util_rows)
                    for (double v : row) extremes.add(v * l.n_routed);
            }
    applyRelativeRange(extremes);
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
        QCPColorMapData* data = p.map->data();
        if (data->keySize() != S || data->valueSize() != N) data->setSize(S, N);
        // The rows are (nearly) evenly spaced in steps: the history is downsampled by merging pairs, so a uniform
        // grid from the first to the last sample places every column where its step is.
        const double s0 = l->util_steps.front(), s1 = l->util_steps[std::size_t(S - 1)];
        data->setRange(S > 1 ? QCPRange(s0, s1) : QCPRange(s0 - 0.5, s0 + 0.5), QCPRange(0, N - 1));
        double peak = 0, peak_step = s0;
        std::vector<double> latest;
        for (int s = 0; s < S; ++s) {
            const auto& row = l->util_rows[std::size_t(s)];
            std::vector<double> rel(std::size_t(N), 0.0);
            for (int e = 0; e < N; ++e) {
                rel[std::size_t(e)] = std::size_t(e) < row.size() ? row[std::size_t(e)] * N : 0.0;
                data->setCell(s, e, cellValue(rel[std::size_t(e)]));
            }
            const double vio = max_violation_of(rel);
            if (vio > peak) {
                peak = vio;
                peak_step = l->util_steps[std::size_t(s)];
            }
            if (s == S - 1) latest = std::move(rel);
        }
        // Older rows are means of several samples (downsampling), so the peak is of those means.
        p.title->setText(QStringLiteral("%1\nlayer %2 · top-%3 of %4 · now %5 · peak MaxVio %6 (step %7)")
                             .arg(model_name(*snapshot_, m))
                             .arg(l->layer)
                             .arg(l->top_k)
                             .arg(N)
                             .arg(balance_numbers(latest))
                             .arg(peak, 0, 'f', 2)
                             .arg(peak_step, 0, 'f', 0));
        const double half = S > 1 ? 0.5 * (s1 - s0) / (S - 1) : 0.5;
        p.rect->axis(QCPAxis::atBottom)->setRange(s0 - half, s1 + half);
        p.rect->axis(QCPAxis::atLeft)->setRange(-0.5, N - 0.5);
    }
}

QString UtilisationTimeView::csv() const {
    QString out = csv_row({"model", "layer", "step", "expert", "load_fraction", "relative_load"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m)
        for (const LayerSnapshot& l : snapshot_->models[std::size_t(m)].layers)
            for (std::size_t s = 0; s < l.util_rows.size() && s < l.util_steps.size(); ++s)
                for (std::size_t e = 0; e < l.util_rows[s].size(); ++e)
                    out += csv_row({model_letter(m), QString::number(l.layer), csv_number(l.util_steps[s]),
                                    QString::number(e), csv_number(l.util_rows[s][e]),
                                    csv_number(l.util_rows[s][e] * l.n_routed)});
    return out;
}

}  // namespace moe::ui
