#include "ui/views/specialisation_view.h"

#include "ui/views/model_panels.h"
#include "ui/views/plot_text.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <QComboBox>

#include <cmath>

namespace moe::ui {

namespace {

using Measure = SpecialisationView::Measure;

struct MeasureInfo {
    Measure measure;
    const char* name;      // combo text and curve names
    const char* column;    // CSV column
    double neutral;        // the level of a domain-blind / balanced router (NaN: none)
};

const MeasureInfo kMeasures[] = {
    {Measure::Domain, "domain specialisation", "domain_specialisation", 0.0},
    {Measure::Byte, "byte specialisation", "byte_specialisation", NAN},
    {Measure::Saturation, "router saturation", "saturation", NAN},
    {Measure::MaxViolation, "MaxVio (validation set)", "val_max_violation", 0.0},
    {Measure::Balance, "balance statistic (validation set)", "val_balance_statistic", 1.0},
};

const MeasureInfo& info(Measure m) {
    for (const MeasureInfo& i : kMeasures)
        if (i.measure == m) return i;
    return kMeasures[0];
}

double last_of(const Series& s) { return s.y.empty() ? NAN : s.y.back(); }

}  // namespace

const Series& measure_series(const LayerEvalSnapshot& l, Measure measure) {
    switch (measure) {
        case Measure::Byte: return l.byte_specialisation;
        case Measure::Saturation: return l.saturation;
        case Measure::MaxViolation: return l.max_violation;
        case Measure::Balance: return l.balance_statistic;
        case Measure::Domain: break;
    }
    return l.domain_specialisation;
}

SpecialisationView::SpecialisationView(QWidget* parent) : CurveView(parent) {
    setSmoothing(0);
    measure_ = new QComboBox(this);
    for (const MeasureInfo& i : kMeasures) measure_->addItem(tr(i.name), int(i.measure));
    measure_->setToolTip(tr("Which measure of the routers to draw (each on the fixed validation set)"));
    addControl(measure_);
    addLayerSelector(false);
    connect(measure_, &QComboBox::currentIndexChanged, this, [this] { requestRebuild(); });
    // The numbers go in a row of the figure's own layout under the axes, wrapped to its width.
    summary_ = make_wrapping_title(plot(), plot()->font());
    QCPLayoutGrid* layout = plot()->plotLayout();
    layout->addElement(layout->rowCount(), 0, summary_);
}

void SpecialisationView::setMeasure(Measure measure) { measure_->setCurrentIndex(measure_->findData(int(measure))); }

SpecialisationView::Measure SpecialisationView::measure() const { return Measure(measure_->currentData().toInt()); }

QString SpecialisationView::explanation() const {
    return tr(
        "How the routers divide the work, measured at every evaluation on the fixed validation set (the same "
        "held-out text for both models, every seed and run). Domain specialisation = I(domain; expert) / H(domain) "
        "over token-slots (domains: the %1): the share of the uncertainty about a token's domain that its chosen "
        "experts remove; 0 = the router ignores the kind of text, 1 = every domain has experts of its own. It is "
        "not divided by the experts' entropy, so 63 small experts and 16 large ones are compared fairly. Byte "
        "specialisation: for bytes seen at least 10 times, the largest share of a byte's occurrences that go to "
        "one top-1 expert, averaged (OLMoE). Router saturation: the share of each validation token's top-k that "
        "is unchanged since the previous evaluation; it climbs to 1 as routing settles. MaxVio = max load / mean "
        "load - 1 over the whole validation set (0 = balanced), and the balance statistic N_r * sum_i f_i P_i "
        "(1 = balanced), whatever the model's alpha. Dashed: the neutral level.")
        .arg(domain_words(snapshot_.get()));
}

QString SpecialisationView::yLabel() const { return tr(info(measure()).name); }

std::vector<CurveView::Curve> SpecialisationView::curves(const Snapshot& snapshot) const {
    std::vector<Curve> out;
    const MeasureInfo& mi = info(measure());
    std::size_t n_layers = 0;
    for (const ModelSnapshot& ms : snapshot.models) n_layers = std::max(n_layers, ms.eval.layers.size());
    const int li = clampedLayer(n_layers);
    double x0 = INFINITY, x1 = -INFINITY;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        if (li < 0 || std::size_t(li) >= ms.eval.layers.size()) continue;
        const Series& s = measure_series(ms.eval.layers[std::size_t(li)], measure());
        out.push_back({m, model_letter(m) + QStringLiteral(" ") + tr(mi.name), &s, {}, Kind::Sparse});
        if (!s.x.empty()) {
            x0 = std::min(x0, s.x.front());
            x1 = std::max(x1, s.x.back());
        }
    }
    if (std::isfinite(mi.neutral) && x0 <= x1) {
        Curve level{-1, tr("neutral level"), nullptr, {}, Kind::Reference};
        level.own.x = {x0, x1};
        level.own.y = {mi.neutral, mi.neutral};
        out.push_back(std::move(level));
    }
    return out;
}

QString SpecialisationView::summaryText() const {
    refresh();
    return summary_->text();
}

void SpecialisationView::rebuild() {
    CurveView::rebuild();
    QString text;
    if (snapshot_) {
        std::size_t n_layers = 0;
        for (const ModelSnapshot& ms : snapshot_->models) n_layers = std::max(n_layers, ms.eval.layers.size());
        const int li = clampedLayer(n_layers);
        QStringList parts;
        double values[2] = {NAN, NAN};
        for (int m = 0; m < 2; ++m) {
            const ModelSnapshot& ms = snapshot_->models[std::size_t(m)];
            if (li < 0 || std::size_t(li) >= ms.eval.layers.size()) {
                parts << tr("%1: no MoE layer evaluated yet").arg(model_letter(m));
                continue;
            }
            const LayerEvalSnapshot& l = ms.eval.layers[std::size_t(li)];
            values[m] = last_of(measure_series(l, measure()));
            QString line = tr("%1 %2 (layer %3, top-%4 of %5)")
                               .arg(model_letter(m))
                               .arg(values[m], 0, 'f', 3)
                               .arg(l.layer)
                               .arg(l.top_k)
                               .arg(l.n_routed);
            // Per domain, how far its favourite expert is above the balanced share (1 = no favourite).
            if (measure() == Measure::Domain && !l.top_expert_relative_load.empty()) {
                QStringList tops;
                for (std::size_t d = 0; d < l.top_expert_relative_load.size(); ++d) {
                    const double v = l.top_expert_relative_load[d];
                    if (!std::isfinite(v)) continue;
                    const QString name = d < ms.domain_names.size() ? QString::fromStdString(ms.domain_names[d])
                                                                    : tr("domain %1").arg(d);
                    tops << tr("%1 %2×").arg(name).arg(v, 0, 'f', 1);
                }
                if (!tops.isEmpty()) line += tr(" · top expert per domain (relative load): ") + tops.join(" · ");
            }
            parts << line;
        }
        text = parts.join(QStringLiteral("\n"));
        if (std::isfinite(values[0]) && std::isfinite(values[1]))
            text += tr("\nB − A = %1 (latest evaluation, %2 validation tokens)")
                        .arg(values[1] - values[0], 0, 'f', 3)
                        .arg(snapshot_->models[0].eval.tokens);
    }
    summary_->setText(text);
}

QString SpecialisationView::csv() const {
    QString out = csv_row({"step", "model", "layer", "max_violation", "balance_statistic", "domain_specialisation",
                           "byte_specialisation", "saturation"});
    if (!snapshot()) return out;
    for (int m = 0; m < 2; ++m)
        for (const LayerEvalSnapshot& l : snapshot()->models[std::size_t(m)].eval.layers) {
            // The measures share their steps except where one was NaN (skipped): key rows by step.
            std::map<double, std::array<double, 5>> rows;
            const Series* series[5] = {&l.max_violation, &l.balance_statistic, &l.domain_specialisation,
                                       &l.byte_specialisation, &l.saturation};
            for (int k = 0; k < 5; ++k)
                for (std::size_t i = 0; i < series[k]->x.size() && i < series[k]->y.size(); ++i) {
                    auto it = rows.try_emplace(series[k]->x[i], std::array<double, 5>{NAN, NAN, NAN, NAN, NAN}).first;
                    it->second[std::size_t(k)] = series[k]->y[i];
                }
            for (const auto& [step, v] : rows)
                out += csv_row({csv_number(step), model_letter(m), QString::number(l.layer), csv_number(v[0]),
                                csv_number(v[1]), csv_number(v[2]), csv_number(v[3]), csv_number(v[4])});
        }
    return out;
}

}  // namespace moe::ui
