#include "ui/views/utilisation_view.h"

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
        y->setLabel(tr("share of token-slots"));
        x->grid()->setVisible(false);
        use_integer_ticks(x);

        bars_[std::size_t(m)] = add_model_bars(x, y, m);
        bars_[std::size_t(m)]->setName(tr("%1: f_i, share of token-slots").arg(model_letter(m)));

        QCPGraph* probs = p->addGraph(x, y);
        probs->setLineStyle(QCPGraph::lsNone);
        probs->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(Qt::black, 1.2), Qt::white, 5));
        probs->setName(tr("P_i, mean gate probability"));
        probs_[std::size_t(m)] = probs;

        QCPGraph* balanced = p->addGraph(x, y);
        balanced->setPen(QPen(QColor(60, 60, 60), 1.5, Qt::DashLine));
        balanced->setName(tr("balanced level 1/N_r"));
        balanced_[std::size_t(m)] = balanced;

        QCPGraph* dead = p->addGraph(x, y);
        dead->setLineStyle(QCPGraph::lsNone);
        dead->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, QPen(dead_colour, 2.2), Qt::NoBrush, 10));
        dead->setName(tr("dead expert (no token)"));
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
        "How the selected MoE layer shares the work, in the latest routing sample. For every token the gate "
        "computes s_i = softmax_i(u^T e_i) over the N_r routed experts and keeps the top-k. A bar is f_i, the "
        "share of those token-slots that went to expert i (the bars sum to 1); a dot is P_i, the mean gate "
        "probability. The dashed line is the balanced level 1/N_r. A red cross marks a dead expert: no token "
        "this time. Shared experts are not routed: every token goes through all K_s of them with weight 1, "
        "so they are noted apart. Title: max/mean of the loads (1 = perfectly balanced) and CV = std/mean. "
        "The balance loss L_bal = alpha * N_r * sum_i f_i P_i is smallest when bars and dots are level.");
}

QString UtilisationView::panelTitle(int model) const {
    refresh();
    return panels_[std::size_t(model)].title->text();
}

void UtilisationView::rebuild() {
    std::size_t n_layers = 0;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.layers.size());
    const int li = clampedLayer(n_layers);
    for (int m = 0; m < 2; ++m) {
        const std::size_t mi = std::size_t(m);
        ModelPanel& panel = panels_[mi];
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[mi] : nullptr;
        const LayerSnapshot* l =
            (ms && li >= 0 && std::size_t(li) < ms->layers.size()) ? &ms->layers[std::size_t(li)] : nullptr;
        const int N = l ? int(std::min(l->load_fraction.size(), std::size_t(l->n_routed))) : 0;
        // Nothing to show: a bare panel with the note, not empty axes with made-up ranges.
        panel.rect->axis(QCPAxis::atBottom)->setVisible(l && N > 0);
        panel.rect->axis(QCPAxis::atLeft)->setVisible(l && N > 0);
        if (!l || N == 0) {
            panel.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
            for (QCPGraph* g : {probs_[mi], balanced_[mi], dead_[mi]}) g->data()->clear();
            bars_[mi]->data()->clear();
            shared_note_[mi]->setText(QString());
            empty_note_[mi]->setText(!ms  ? tr("no data yet")
                                     : !l ? no_layer_note(*ms)
                                          : tr("no routing sample yet"));
            continue;
        }
        empty_note_[mi]->setText(QString());
        const LayerBalance& b = l->balance;
        int dead_count = 0;
        QVector<double> keys(N), loads(N), probs, prob_keys, dead_keys, dead_values;
        double top = 1.0 / N;
        for (int e = 0; e < N; ++e) {
            keys[e] = e;
            loads[e] = l->load_fraction[std::size_t(e)];
            top = std::max(top, loads[e]);
            if (std::size_t(e) < l->mean_prob.size()) {
                prob_keys << e;
                probs << l->mean_prob[std::size_t(e)];
                top = std::max(top, probs.back());
            }
            if (std::size_t(e) < l->dead.size() && l->dead[std::size_t(e)]) {
                ++dead_count;
                dead_keys << e;
            }
        }
        for (int k = 0; k < dead_keys.size(); ++k)
            dead_values << 0.04 * top;  // just above the axis, where the bar would be
        panel.title->setText(QStringLiteral("%1\nlayer %2 · max/mean %3 · CV %4 · %5 dead of %6")
                                 .arg(model_name(*snapshot_, m))
                                 .arg(l->layer)
                                 .arg(b.imbalance, 0, 'f', 2)
                                 .arg(b.load_cv, 0, 'f', 2)
                                 .arg(dead_count)
                                 .arg(N));
        bars_[mi]->setData(keys, loads, true);
        probs_[mi]->setData(prob_keys, probs, true);
        dead_[mi]->setData(dead_keys, dead_values, true);
        balanced_[mi]->setData(QVector<double>{-0.5, N - 0.5}, QVector<double>{1.0 / N, 1.0 / N}, true);
        shared_note_[mi]->setText(l->n_shared == 0 ? tr("no shared experts")
                                  : l->n_shared == 1
                                      ? tr("+ 1 shared expert: always on (every token, weight 1)")
                                      : tr("+ %1 shared experts: always on (every token, weight 1)").arg(l->n_shared));
        panel.rect->axis(QCPAxis::atBottom)->setRange(-0.7, N - 0.3);
        // Room above the tallest bar for the shared-experts note; a rounded top keeps the axis still from one
        // snapshot to the next (readable, and the tick labels are not redrawn 30 times a second).
        panel.rect->axis(QCPAxis::atLeft)->setRange(0, nice_ceiling(top * 1.22));
    }
}

QString UtilisationView::csv() const {
    QString out = csv_row({"model", "layer", "expert", "load_fraction", "mean_prob", "dead"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m)
        for (const LayerSnapshot& l : snapshot_->models[std::size_t(m)].layers)
            for (std::size_t e = 0; e < l.load_fraction.size(); ++e)
                out += csv_row({model_letter(m), QString::number(l.layer), QString::number(e),
                                csv_number(l.load_fraction[e]),
                                e < l.mean_prob.size() ? csv_number(l.mean_prob[e]) : QString(),
                                e < l.dead.size() && l.dead[e] ? "1" : "0"});
    return out;
}

}  // namespace moe::ui
