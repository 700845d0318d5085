#include "ui/views/loss_view.h"

#include "ui/views/view_text.h"

namespace moe::ui {

LossView::LossView(QWidget* parent) : CurveView(parent) {}

QString LossView::explanation() const {
    return tr(
        "How wrong each model still is. The loss is the cross-entropy L = -mean log p(correct): of the next "
        "byte for a language model, of the class for a 2-D task; lower is better (ln 256 = 5.55 is a uniform "
        "guess over bytes). Thin lines: the training loss on each step's batch, smoothed for display by the "
        "slider (an exponential moving average; the raw values are drawn faintly and exported). Thick lines "
        "with dots: the validation loss on held-out data. A gap between the two means over-fitting. The balance "
        "loss is not included here (see the balance-loss view). Blue = model A, orange = model B.");
}

QString LossView::yLabel() const { return tr("loss (cross-entropy, nats)"); }

std::vector<CurveView::Curve> LossView::curves(const Snapshot& snapshot) const {
    std::vector<Curve> out;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        out.push_back({m, model_letter(m) + tr(" train"), &ms.loss, {}, Kind::PerStep});
        out.push_back({m, model_letter(m) + tr(" validation"), &ms.val_loss, {}, Kind::Sparse});
    }
    return out;
}

QString LossView::csv() const {
    QString out = csv_row({"step", "model", "train_loss", "val_loss"});
    if (!snapshot()) return out;
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
