#include "ui/views/utilisation_view.h"

#include "ui/views/relative_load.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

namespace moe::ui {

UtilisationView::UtilisationView(QWidget* parent) : PlotView(parent) {
    addLayerSelector(false);
    QCustomPlot* p = plot();
    panels_ = make_model_panels(p, false);
    QCPLegend* legend = add_bottom_legend(p);  // reflows to the width: one line, or rows in a narrow window
    const QColor dead_colour(0xc0, 0x10, 0x10);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& panel = panels_[std::size_t(m)];
        QCPAxis* x = panel.rect->axis(QCPAxis::atBottom);
        QCPAxis* y = panel.rect->axis(QCPAxis::atLeft);
        x->setLabel(tr("routed expert i"));
        y->setLabel(tr("relative load f_i · N_r\n(1 = balanced)"));
        x->grid()->setVisible(false);
        use_integer_ticks(x);

        bars_[std::size_t(m)] = add_model_bars(x, y, m);
        bars_[std::size_t(m)]->setName(tr("%1: relative load f_i · N_r").arg(model_letter(m)));

        QCPGraph* probs = p->addGraph(x, y);
        probs->setLineStyle(QCPGraph::lsNone);
        probs->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(Qt::black, 1.2), Qt::white, 5));
        probs->setName(tr("P_i · N_r, mean gate probability"));
        probs_[std::size_t(m)] = probs;

        QCPGraph* balanced = p->addGraph(x, y);
        balanced->setPen(QPen(QColor(60, 60, 60), 1.5, Qt::DashLine));
        balanced->setName(tr("balanced: k·T/N_r token-slots (1)"));
        balanced_[std::size_t(m)] = balanced;

        QCPGraph* dead = p->addGraph(x, y);
        dead->setLineStyle(QCPGraph::lsNone);
        dead->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, QPen(dead_colour, 2.2), Qt::NoBrush, 10));
        dead->setName(tr("dead expert (no token in the window)"));
        dead_[std::size_t(m)] = dead;

        shared_note_[std::size_t(m)] = add_rect_note(p, panel.rect, 0.02, 0.03, Qt::AlignLeft | Qt::AlignTop);
        empty_note_[std::size_t(m)] = add_empty_note(p, panel.rect);
    }
    // One legend for both panels: the bars of A and B, then the marks that mean the same in both.
    for (QCPAbstractPlottable* item :
         std::initializer_list<QCPAbstractPlottable*>{bars_[0], bars_[1], probs_[0], balanced_[0], dead_[0]})
        item->addToLegend(legend);
}

QString UtilisationView::explanation() const {
    return tr(
        "How the selected MoE layer shares the work, against the balanced load, over the last %1 routing samples "
        "(one every routing_interval steps; the title says how many there are yet): one batch alone makes the bars "
        "flicker. Each of the T tokens picks its top-k of the N_r routed experts, so a perfectly balanced router "
        "gives every expert k·T/N_r token-slots. A bar is expert i's relative load over the window, "
        "load_i / (k·T/N_r) = f_i · N_r (f_i: its share of the window's token-slots): 1 = balanced, 2 = twice its "
        "share, 0 = dead (a red cross: no token in the whole window). "
        "A dot is the mean gate probability against the uniform one, P_i · N_r. The dashed line at 1 is the "
        "balanced level, the same for 63 fine-grained experts as for 16 coarse ones, and A and B share one y-axis, "
        "so the bars compare directly. Title: MaxVio = max_i f_i·N_r − 1 (0 = balanced; a router that sends every "
        "token to the same k experts has MaxVio = N_r/k − 1), CV = std/mean of the loads, and the dead experts. "
        "Shared experts are not routed: every token goes through all K_s of them with weight 1, so they are noted "
        "apart. The balance loss L_bal = alpha · N_r · sum_i f_i P_i is smallest when bars and dots are level at 1. The "
        "CSV holds the latest sample and the window.")
        .arg(kUtilisationWindow);
}

QString UtilisationView::panelTitle(int model) const {
    refresh();
    return panels_[std::size_t(model)].title->text();
}

std::vector<double> UtilisationView::shownLoads(int model) const {
    refresh();
    std::vector<double> out;
    const QCPBars* bars = bars_[std::size_t(model)];
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) out.push_back(it->value);
    return out;
}

std::pair<double, double> UtilisationView::yRange(int model) const {
    refresh();
    const QCPRange r = panels_[std::size_t(model)].rect->axis(QCPAxis::atLeft)->range();
    return {r.lower, r.upper};
}

void UtilisationView::rebuild() {
    std::size_t n_layers = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.layers.size());
    const int li = clampedLayer(n_layers);
    std::array<const LayerSnapshot*, 2> layers{};
    std::array<std::vector<double>, 2> loads, probs;
    double top = 1.0;  // one y-axis for A and B: the tallest bar or dot of either, and at least the balanced level
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const LayerSnapshot* l =
            (ms && li >= 0 && std::size_t(li) < ms->layers.size()) ? &ms->layers[std::size_t(li)] : nullptr;
        if (!l || l->window_load_fraction.empty() || l->n_routed <= 0) continue;
        layers[std::size_t(m)] = l;
        loads[std::size_t(m)] = relative_window_loads(*l);
        const std::size_t N = loads[std::size_t(m)].size();
        for (std::size_t e = 0; e < N && e < l->window_mean_prob.size(); ++e)
            probs[std::size_t(m)].push_back(l->window_mean_prob[e] * double(N));
        for (const auto* v : {&loads[std::size_t(m)], &probs[std::size_t(m)]})
            for (double x : *v) top = std::max(top, x);
    }
    // Room above the tallest bar for the shared-experts note; a rounded top keeps the axis still from one snapshot
    // to the next (readable, and the tick labels are not redrawn 30 times a second).
    const double y_top = nice_ceiling(top * 1.22);
    for (int m = 0; m < 2; ++m) {
        const std::size_t mi = std::size_t(m);
        ModelPanel& panel = panels_[mi];
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[mi] : nullptr;
        const LayerSnapshot* l = layers[mi];
        const int N = int(loads[mi].size());
        // Nothing to show: a bare panel with the note, not empty axes with made-up ranges.
        panel.rect->axis(QCPAxis::atBottom)->setVisible(l != nullptr);
        panel.rect->axis(QCPAxis::atLeft)->setVisible(l != nullptr);
        if (!l) {
            const bool has_layer = ms && li >= 0 && std::size_t(li) < ms->layers.size();
            panel.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
            for (QCPGraph* g : {probs_[mi], balanced_[mi], dead_[mi]}) g->data()->clear();
            bars_[mi]->data()->clear();
            shared_note_[mi]->setText(QString());
            empty_note_[mi]->setText(!ms          ? tr("no data yet")
                                     : !has_layer ? no_layer_note(*ms)
                                                  : tr("no routing sample yet"));
            continue;
        }
        empty_note_[mi]->setText(QString());
        QVector<double> keys(N), prob_keys, dead_keys, dead_values;
        for (int e = 0; e < N; ++e) {
            keys[e] = e;
            if (e < int(probs[mi].size())) prob_keys << e;
            if (loads[mi][std::size_t(e)] == 0) {
                dead_keys << e;
                dead_values << 0.04 * y_top;  // just above the axis, where the bar would be
            }
        }
        // The relative loads average 1, so their CV is their standard deviation.
        double var = 0;
        for (double x : loads[mi]) var += (x - 1.0) * (x - 1.0);
        const double cv = N > 0 ? std::sqrt(var / N) : 0.0;
        panel.title->setText(tr("%1\nlayer %2 · top-%3 · %4 · CV %5 · last %6 samples")
                                 .arg(model_name(*snapshot_, m))
                                 .arg(l->layer)
                                 .arg(l->top_k)
                                 .arg(balance_numbers(loads[mi]))
                                 .arg(cv, 0, 'f', 2)
                                 .arg(l->window_samples));
        bars_[mi]->setData(keys, QVector<double>(loads[mi].begin(), loads[mi].end()), true);
        probs_[mi]->setData(prob_keys, QVector<double>(probs[mi].begin(), probs[mi].end()), true);
        dead_[mi]->setData(dead_keys, dead_values, true);
        balanced_[mi]->setData(QVector<double>{-0.5, N - 0.5}, QVector<double>{1.0, 1.0}, true);
        shared_note_[mi]->setText(l->n_shared == 0 ? tr("no shared experts")
                                  : l->n_shared == 1
                                      ? tr("+ 1 shared expert: always on (every token, weight 1)")
                                      : tr("+ %1 shared experts: always on (every token, weight 1)").arg(l->n_shared));
        panel.rect->axis(QCPAxis::atBottom)->setRange(-0.7, N - 0.3);
        panel.rect->axis(QCPAxis::atLeft)->setRange(0, y_top);
    }
}

QString UtilisationView::csv() const {
    // The latest sample, then the window the bars show (window_samples of them).
    QString out = csv_row({"model", "layer", "expert", "load_fraction", "relative_load", "mean_prob", "dead",
                           "window_load_fraction", "window_relative_load", "window_mean_prob", "window_samples"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m)
        for (const LayerSnapshot& l : snapshot_->models[std::size_t(m)].layers) {
            const std::size_t n = l.load_fraction.size();
            for (std::size_t e = 0; e < n; ++e) {
                const bool windowed = e < l.window_load_fraction.size();
                out += csv_row({model_letter(m), QString::number(l.layer), QString::number(e),
                                csv_number(l.load_fraction[e]), csv_number(l.load_fraction[e] * double(n)),
                                e < l.mean_prob.size() ? csv_number(l.mean_prob[e]) : QString(),
                                e < l.dead.size() && l.dead[e] ? "1" : "0",
                                windowed ? csv_number(l.window_load_fraction[e]) : QString(),
                                windowed ? csv_number(l.window_load_fraction[e] * double(n)) : QString(),
                                e < l.window_mean_prob.size() ? csv_number(l.window_mean_prob[e]) : QString(),
                                QString::number(l.window_samples)});
            }
        }
    return out;
}

}  // namespace moe::ui
