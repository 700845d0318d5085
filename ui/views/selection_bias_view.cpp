#include "ui/views/selection_bias_view.h"

#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace moe::ui {

namespace {

// The spread of one sample's biases: max - min (what decides how far the bias reorders the choice).
double bias_spread(const std::vector<double>& row) {
    double lo = 0, hi = 0;
    bool any = false;
    for (double b : row) {
        if (!std::isfinite(b)) continue;
        lo = any ? std::min(lo, b) : b;
        hi = any ? std::max(hi, b) : b;
        any = true;
    }
    return hi - lo;
}

}  // namespace

SelectionBiasView::SelectionBiasView(QWidget* parent) : HeatmapView(parent) {
    addLayerSelector(false);
    for (ModelPanel& p : panels_) {
        p.rect->axis(QCPAxis::atBottom)->setLabel(tr("step"));
        use_integer_ticks(p.rect->axis(QCPAxis::atBottom));
        p.rect->axis(QCPAxis::atLeft)->setLabel(tr("routed expert"));
        use_integer_ticks(p.rect->axis(QCPAxis::atLeft));
        p.scale->axis()->setLabel(tr("selection bias b_i\n(0 = neutral)"));
    }
}

QString SelectionBiasView::explanation() const {
    return tr(
        "DeepSeek-V3 balances its experts without a balance loss (topk_method = noaux_tc, Wang et al. 2024): each "
        "routed expert i has a bias b_i that is added to its score only to choose the top-k (the combine weight "
        "still uses the unbiased score), and after every training step b_i += γ · sign(mean load − load_i): an "
        "expert that got more than its share of the step's token-slots is made a little less attractive, one that "
        "got less a little more. Each column is one routing sample (a training step), each row a routed expert of "
        "the selected MoE layer, and the colour is b_i: white = 0 (where every bias starts), red = pushed up (the "
        "router kept under-using it), blue = pushed down (it kept being over-used). A and B share one colour scale, "
        "symmetric about 0. Rows that stay red or blue are experts the router's own scores would starve or "
        "overload; the load-over-time view shows whether the bias evened them out. A model that routes greedily "
        "(topk_method = greedy) has no bias: its panel says so. Title: the spread max b − min b now and γ.");
}

void SelectionBiasView::rebuild() {
    std::size_t n_layers = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.layers.size());
    const int li = clampedLayer(n_layers);
    // One range for A and B, symmetric about 0: the largest |b| of the selected layer (every layer, when global).
    double largest = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models)
            for (std::size_t i = 0; i < ms.layers.size(); ++i) {
                if (!globalNormalisation() && int(i) != li) continue;
                for (const auto& row : ms.layers[i].bias_rows)
                    for (double b : row)
                        if (std::isfinite(b)) largest = std::max(largest, std::abs(b));
            }
    applySymmetricRange(largest);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& p = panels_[std::size_t(m)];
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const LayerSnapshot* l =
            (ms && li >= 0 && std::size_t(li) < ms->layers.size()) ? &ms->layers[std::size_t(li)] : nullptr;
        const int S = l ? int(std::min(l->bias_rows.size(), l->bias_steps.size())) : 0;
        const int N = l ? l->n_routed : 0;
        const bool biased = ms && ms->config.model.topk_method == "noaux_tc";
        if (!l || S == 0 || N == 0) {
            p.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
            p.map->data()->clear();
            setNote(m, !ms        ? tr("no data yet")
                       : !biased  ? tr("%1 routes greedily (topk_method = %2): it has no selection bias.\n"
                                       "Set topk_method = noaux_tc (preset deepseek-v3) to balance with one.")
                                        .arg(model_letter(m), QString::fromStdString(ms->config.model.topk_method))
                       : !l       ? no_layer_note(*ms)
                                  : tr("no routing sample yet"));
            continue;
        }
        setNote(m, QString());
        QCPColorMapData* data = p.map->data();
        if (data->keySize() != S || data->valueSize() != N) data->setSize(S, N);
        // Evenly spaced columns from the first to the last sample, as the load-over-time view (downsampled pairs).
        const double s0 = l->bias_steps.front(), s1 = l->bias_steps[std::size_t(S - 1)];
        data->setRange(S > 1 ? QCPRange(s0, s1) : QCPRange(s0 - 0.5, s0 + 0.5), QCPRange(0, N - 1));
        for (int s = 0; s < S; ++s) {
            const auto& row = l->bias_rows[std::size_t(s)];
            for (int e = 0; e < N; ++e)
                data->setCell(s, e, std::size_t(e) < row.size() && std::isfinite(row[std::size_t(e)])
                                        ? row[std::size_t(e)]
                                        : 0.0);
        }
        p.title->setText(QStringLiteral("%1\nlayer %2 · bias spread now %3 · γ = %4 per step")
                             .arg(model_name(*snapshot_, m))
                             .arg(l->layer)
                             .arg(bias_spread(l->bias_rows[std::size_t(S - 1)]), 0, 'g', 3)
                             .arg(ms->config.model.bias_update_rate, 0, 'g', 3));
        const double half = S > 1 ? 0.5 * (s1 - s0) / (S - 1) : 0.5;
        p.rect->axis(QCPAxis::atBottom)->setRange(s0 - half, s1 + half);
        p.rect->axis(QCPAxis::atLeft)->setRange(-0.5, N - 0.5);
    }
}

QString SelectionBiasView::notApplicable() const {
    if (!snapshot_) return {};
    for (const ModelSnapshot& ms : snapshot_->models)
        if (ms.config.model.topk_method == "noaux_tc") return {};
    return tr("neither model balances with a selection bias (set topk_method = noaux_tc, or preset deepseek-v3, to "
              "see one)");
}

QString SelectionBiasView::csv() const {
    QString out = csv_row({"model", "layer", "step", "expert", "selection_bias"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m)
        for (const LayerSnapshot& l : snapshot_->models[std::size_t(m)].layers)
            for (std::size_t s = 0; s < l.bias_rows.size() && s < l.bias_steps.size(); ++s)
                for (std::size_t e = 0; e < l.bias_rows[s].size(); ++e)
                    out += csv_row({model_letter(m), QString::number(l.layer), csv_number(l.bias_steps[s]),
                                    QString::number(e), csv_number(l.bias_rows[s][e])});
    return out;
}

}  // namespace moe::ui
