#include "ui/views/loss_view.h"

#include "ui/views/colour_maps.h"
#include "ui/views/plot_text.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QCheckBox>

namespace moe::ui {

LossView::LossView(QWidget* parent) : CurveView(parent) {
    difference_ = new QCheckBox(tr("B − A (validation)"), this);
    difference_->setToolTip(tr("Draw B's validation loss minus A's, in total and per domain, with a zero line"));
    addControl(difference_);
    connect(difference_, &QCheckBox::toggled, this, [this] { requestRebuild(); });
    // The B − A mode has one legend entry per domain.
    placeLegendBeside();
}

void LossView::setDifferenceMode(bool on) { difference_->setChecked(on); }
bool LossView::differenceMode() const { return difference_->isChecked(); }

QString LossView::explanation() const {
    return tr(
        "How wrong each model still is. The loss is the cross-entropy L = -mean log p(correct): of the next "
        "byte for a language model, of the class for a 2-D task; lower is better (ln 256 = 5.55 is a uniform "
        "guess over bytes). Thin lines: the training loss on each step's batch, smoothed for display by the "
        "slider (an exponential moving average; the raw values are drawn faintly and exported). Thick lines "
        "with dots: the validation loss on the fixed held-out set, the same sequences for both models, every "
        "seed and every run, all of them evaluated, so a gap between A and B is a difference between the models. "
        "Tick \"B − A\" to draw B's validation loss minus A's, in total (black) and per domain (coloured), "
        "against the zero line: below zero B is better. A single run per model has no error bar: "
        "Training > Run seeds repeats both over several seeds and gives the paired interval. "
        "The balance loss is not included here (see the balance view). Blue = model A, orange = model B.");
}

QString LossView::yLabel() const {
    return differenceMode() ? tr("B − A validation loss (nats; below 0: B better)") : tr("loss (cross-entropy, nats)");
}

Series LossView::paired_difference(const Series& a, const Series& b) {
    Series out;
    std::size_t i = 0, j = 0;
    const std::size_t na = std::min(a.x.size(), a.y.size()), nb = std::min(b.x.size(), b.y.size());
    while (i < na && j < nb) {
        if (a.x[i] < b.x[j]) {
            ++i;
        } else if (b.x[j] < a.x[i]) {
            ++j;
        } else {
            out.x.push_back(a.x[i]);
            out.y.push_back(b.y[j] - a.y[i]);
            ++i;
            ++j;
        }
    }
    return out;
}

std::vector<CurveView::Curve> LossView::curves(const Snapshot& snapshot) const {
    std::vector<Curve> out;
    if (!differenceMode()) {
        for (int m = 0; m < 2; ++m) {
            const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
            out.push_back({m, model_letter(m) + tr(" train"), &ms.loss, {}, Kind::PerStep});
            out.push_back({m, model_letter(m) + tr(" validation"), &ms.val_loss, {}, Kind::Sparse});
        }
        return out;
    }
    const ModelSnapshot& a = snapshot.models[0];
    const ModelSnapshot& b = snapshot.models[1];
    Curve total{-1, tr("B − A, all domains"), nullptr, paired_difference(a.val_loss, b.val_loss), Kind::Sparse,
                QColor(30, 30, 30)};
    const std::size_t domains = std::min(a.eval.domain_loss_curves.size(), b.eval.domain_loss_curves.size());
    // Per-domain curves only when there is more than one domain (else they repeat the total).
    if (domains > 1)
        for (std::size_t d = 0; d < domains; ++d) {
            const QString name = d < a.domain_names.size() ? QString::fromStdString(a.domain_names[d])
                                                           : tr("domain %1").arg(d);
            out.push_back({-1, tr("B − A, %1").arg(name), nullptr,
                           paired_difference(a.eval.domain_loss_curves[d], b.eval.domain_loss_curves[d]),
                           Kind::Sparse, class_colour(int(d) + 1)});  // 0 is black, the total's colour
        }
    if (!total.own.x.empty()) {
        Curve zero{-1, tr("zero: no difference"), nullptr, {}, Kind::Reference};
        zero.own.x = {total.own.x.front(), total.own.x.back()};
        zero.own.y = {0.0, 0.0};
        out.push_back(std::move(zero));
    }
    out.insert(out.begin(), std::move(total));
    return out;
}

QString LossView::csv() const {
    if (!snapshot()) return csv_row({"step", "model", "train_loss", "val_loss"});
    if (differenceMode()) {
        QString out = csv_row({"step", "series", "b_minus_a_val_loss"});
        for (const Curve& c : curves(*snapshot())) {
            if (c.kind == Kind::Reference) continue;
            for (std::size_t i = 0; i < c.own.x.size(); ++i)
                out += csv_row({csv_number(c.own.x[i]), csv_field(c.name), csv_number(c.own.y[i])});
        }
        return out;
    }
    QString out = csv_row({"step", "model", "train_loss", "val_loss"});
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot()->models[std::size_t(m)];
        // One row per step that has either number: merge the two step-sorted series.
        const Series& t = ms.loss;
        const Series& v = ms.val_loss;
        const std::size_t nt = std::min(t.x.size(), t.y.size()), nv = std::min(v.x.size(), v.y.size());
        std::size_t i = 0, j = 0;
        while (i < nt || j < nv) {
            const bool take_t = i < nt && (j >= nv || t.x[i] <= v.x[j]);
            const bool take_v = j < nv && (i >= nt || v.x[j] <= t.x[i]);
            const double step = take_t ? t.x[i] : v.x[j];
            out += csv_row({csv_number(step), model_letter(m), take_t ? csv_number(t.y[i]) : QString(),
                            take_v ? csv_number(v.y[j]) : QString()});
            if (take_t) ++i;
            if (take_v) ++j;
        }
    }
    return out;
}

}  // namespace moe::ui
