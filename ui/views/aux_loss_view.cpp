#include "ui/views/aux_loss_view.h"

#include "ui/views/view_text.h"

namespace moe::ui {

AuxLossView::AuxLossView(QWidget* parent) : CurveView(parent) { setSmoothing(0.3); }

QString AuxLossView::explanation() const {
    return tr(
        "The balance loss added to the training loss so that the router spreads the tokens over the experts: "
        "L_bal = alpha * N_r * sum_i f_i * P_i in every MoE layer (summed over the layers here). f_i is the "
        "fraction of the token-slots routed to expert i (each token picks its top-k), P_i the mean gate "
        "probability s_i = softmax_i(u^T e_i) over the tokens, N_r the number of routed experts and alpha "
        "the aux_loss_alpha setting. With a perfectly even router f_i = P_i = 1/N_r, so each layer gives "
        "exactly alpha: the dashed line (alpha x the number of MoE layers). Above it, some experts get more "
        "tokens and more probability than others. Shared experts take no part: they see every token.");
}

QString AuxLossView::yLabel() const { return tr("balance loss L_bal (sum over MoE layers)"); }

std::vector<CurveView::Curve> AuxLossView::curves(const Snapshot& snapshot) const {
    std::vector<Curve> out;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        out.push_back({m, model_letter(m) + tr(" balance loss"), &ms.aux_loss, {}, Kind::PerStep});
    }
    // The balanced level alpha x (number of MoE layers) of each model; one grey line when A and B share it.
    std::vector<Curve> levels;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        const double alpha = ms.config.model.aux_loss_alpha;
        const std::size_t n = std::min(ms.aux_loss.x.size(), ms.aux_loss.y.size());
        if (alpha <= 0 || ms.layers.empty() || n == 0) continue;
        Curve level{m, model_letter(m) + tr(" balanced level"), nullptr, {}, Kind::Reference};
        const double y = alpha * double(ms.layers.size());
        level.own.x = {ms.aux_loss.x.front(), ms.aux_loss.x[n - 1]};
        level.own.y = {y, y};
        levels.push_back(std::move(level));
    }
    if (levels.size() == 2 && levels[0].own.y == levels[1].own.y) {
        levels[0].model = -1;
        levels[0].name = tr("balanced level (A and B)");
        levels[0].own.x = {std::min(levels[0].own.x[0], levels[1].own.x[0]),
                           std::max(levels[0].own.x[1], levels[1].own.x[1])};
        levels.pop_back();
    }
    for (Curve& c : levels) out.push_back(std::move(c));
    return out;
}

QString AuxLossView::csv() const {
    QString out = csv_row({"step", "model", "aux_loss"});
    if (!snapshot()) return out;
    for (int m = 0; m < 2; ++m) {
        const Series& s = snapshot()->models[std::size_t(m)].aux_loss;
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
            out += csv_row({csv_number(s.x[i]), model_letter(m), csv_number(s.y[i])});
    }
    return out;
}

}  // namespace moe::ui
