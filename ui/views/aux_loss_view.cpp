#include "ui/views/aux_loss_view.h"

#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <array>

#include <cmath>
#include <limits>

namespace moe::ui {

namespace {

double last_of(const Series& s) {
    const std::size_t n = std::min(s.x.size(), s.y.size());
    return n > 0 ? s.y[n - 1] : std::numeric_limits<double>::quiet_NaN();
}

// The first and last step any of the series has (NaN, NaN when none has a point).
std::pair<double, double> step_span(std::initializer_list<const Series*> series) {
    double first = std::numeric_limits<double>::infinity(), last = -first;
    for (const Series* s : series)
        if (!s->x.empty()) {
            first = std::min(first, s->x.front());
            last = std::max(last, s->x.back());
        }
    if (first > last) return {std::nan(""), std::nan("")};
    return {first, last};
}

QString number_or_none(double v, int decimals) {
    return std::isfinite(v) ? QString::number(v, 'f', decimals) : QObject::tr("n/a");
}

}  // namespace

AuxLossView::AuxLossView(QWidget* parent) : CurveView(parent) {
    setSmoothing(0.3);
    addPanel(tr("MaxVio_batch\n(0 = balanced)"), 1.0);
    addPanel(tr("balance loss\nadded"), 0.6);
    // One short row: A, B and the balanced level; each panel's axis says what its curves are.
    plot()->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot()->legend->setWrap(0);
}

QString AuxLossView::explanation() const {
    return tr(
        "How evenly each model's router spreads the tokens over its routed experts, step by step, whatever the "
        "balance loss weight alpha is. f_i is the fraction of the token-slots of the batch routed to expert i (each "
        "token picks its top-k), P_i the mean gate probability s_i = softmax_i(u^T e_i) over the tokens (with "
        "sigmoid scoring the normalised affinity σ(u^T e_i) / Σ_j σ(u^T e_j), as DeepSeek-V3's balance loss), N_r the "
        "number of routed experts. Top: the balance statistic N_r · sum_i f_i P_i, which is 1 when the router is "
        "balanced (f_i = P_i = 1/N_r, the dashed line) and grows to N_r when it sends every token to one expert. "
        "Middle: MaxVio_batch = max_i load_i / mean_i load_i − 1 (Wang et al. 2024): 0 when balanced, N_r/k − 1 when "
        "the same k experts take every token. Both are means over the MoE layers. Bottom: the balance loss actually "
        "added to the training loss, L_bal = alpha · N_r · sum_i f_i P_i summed over the MoE layers (with the "
        "device-level and communication terms, when on), against its balanced level alpha × layers; with alpha = 0 it "
        "is a flat 0 even for a collapsed router, which is why the two panels above do not weigh by alpha. The title "
        "gives each model's latest values; a model with the router z-loss on (ST-MoE, router_z_loss_coef c_z) also "
        "gives it there: c_z · mean over tokens of (logsumexp_i u^T e_i)², added to the loss to keep the router's "
        "logits small, not a balance term. A model with an expert capacity (capacity_factor CF, GShard / Switch) gives "
        "the share of its token-slots dropped, averaged over the last 50 steps: each expert takes at most ceil(CF · N · k / N_r) "
        "slots of a batch, and a slot beyond that skips its expert (the residual carries the token). Shared experts "
        "take no part: they see every token.");
}

QString AuxLossView::yLabel() const { return tr("N_r · Σ f_i P_i\n(1 = balanced)"); }

QString AuxLossView::headingText() const {
    refresh();
    const auto* heading = qobject_cast<QCPTextElement*>(plot()->plotLayout()->element(0, 0));
    return heading ? heading->text() : QString();
}

QString AuxLossView::heading(const Snapshot& snapshot) const {
    QStringList lines;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        const double alpha = ms.config.model.aux_loss_alpha;
        QString line = model_name(snapshot, m);
        if (ms.layers.empty() && ms.max_violation.y.empty()) {
            lines << line + tr(" · no MoE layer");
            continue;
        }
        line += tr(" · N_r·Σ f_i P_i %1 · MaxVio %2 · loss added %3 (alpha %4)")
                    .arg(number_or_none(last_of(ms.balance_statistic), 2))
                    .arg(number_or_none(last_of(ms.max_violation), 2))
                    .arg(number_or_none(last_of(ms.aux_loss), 4))
                    .arg(alpha, 0, 'g', 3);
        // The router z-loss is added to the loss too, but it balances nothing: its own number, not in the curves.
        if (const double cz = ms.config.model.router_z_loss_coef; cz > 0)
            line += tr(" · router z-loss %1 (c_z %2)").arg(number_or_none(last_of(ms.z_loss), 4)).arg(cz, 0, 'g', 3);
        // Expert capacity: what share of the token-slots went past a full expert (the residual carried them).
        if (const double cf = ms.config.model.capacity_factor; cf > 0)
            line += tr(" · dropped %1 % of slots, last 50 steps (CF %2)")
                        .arg(number_or_none(100 * recent_mean(ms.dropped), 1))
                        .arg(cf, 0, 'g', 3);
        lines << line;
    }
    return lines.join(QLatin1Char('\n'));
}

std::vector<CurveView::Curve> AuxLossView::curves(const Snapshot& snapshot) const {
    std::vector<Curve> out;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        const QString a = model_letter(m);
        out.push_back({m, a + tr(" N_r·Σ f_i P_i"), &ms.balance_statistic, {}, Kind::PerStep, {}, Statistic, true, a});
        out.push_back({m, a + tr(" MaxVio"), &ms.max_violation, {}, Kind::PerStep, {}, MaxViolation, false});
        out.push_back({m, a + tr(" loss added"), &ms.aux_loss, {}, Kind::PerStep, {}, LossAdded, false});
    }
    // The balanced levels, 1 and 0, over the steps either model has.
    const auto [first, last] = step_span({&snapshot.models[0].balance_statistic, &snapshot.models[1].balance_statistic,
                                          &snapshot.models[0].max_violation, &snapshot.models[1].max_violation});
    if (std::isfinite(first)) {
        Curve one{-1, tr("balanced (1 and 0)"), nullptr, {}, Kind::Reference, {}, Statistic, true, tr("balanced")};
        one.own = {{first, last}, {1.0, 1.0}};
        Curve zero{-1, tr("balanced MaxVio"), nullptr, {}, Kind::Reference, {}, MaxViolation, false};
        zero.own = {{first, last}, {0.0, 0.0}};
        out.push_back(std::move(one));
        out.push_back(std::move(zero));
    }
    // The balanced level of the loss added, alpha x (number of MoE layers), per model; one grey line when A and B
    // share it.
    std::vector<Curve> levels;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        const double alpha = ms.config.model.aux_loss_alpha;
        const std::size_t n = std::min(ms.aux_loss.x.size(), ms.aux_loss.y.size());
        if (alpha <= 0 || ms.layers.empty() || n == 0) continue;
        Curve level{m, model_letter(m) + tr(" balanced loss"), nullptr, {}, Kind::Reference, {}, LossAdded, false};
        const double y = alpha * double(ms.layers.size());
        level.own.x = {ms.aux_loss.x.front(), ms.aux_loss.x[n - 1]};
        level.own.y = {y, y};
        levels.push_back(std::move(level));
    }
    if (levels.size() == 2 && levels[0].own.y == levels[1].own.y) {
        levels[0].model = -1;
        levels[0].name = tr("balanced loss (A and B)");
        levels[0].own.x = {std::min(levels[0].own.x[0], levels[1].own.x[0]),
                           std::max(levels[0].own.x[1], levels[1].own.x[1])};
        levels.pop_back();
    }
    for (Curve& c : levels) out.push_back(std::move(c));
    return out;
}

QString AuxLossView::csv() const {
    QString out = csv_row({"step", "model", "quantity", "value"});
    if (!snapshot()) return out;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot()->models[std::size_t(m)];
        const std::array<std::pair<const char*, const Series*>, 3> series{
            {{"balance_statistic", &ms.balance_statistic}, {"max_violation", &ms.max_violation},
             {"aux_loss", &ms.aux_loss}}};
        for (const auto& [name, s] : series)
            for (std::size_t i = 0; i < s->x.size() && i < s->y.size(); ++i)
                out += csv_row({csv_number(s->x[i]), model_letter(m), QString::fromLatin1(name), csv_number(s->y[i])});
    }
    return out;
}

}  // namespace moe::ui
