#include "ui/views/training_view.h"

#include "ui/views/view_text.h"

#include <QComboBox>

#include <array>
#include <cmath>

namespace moe::ui {

namespace {

using Measure = TrainingView::Measure;

struct MeasureInfo {
    Measure measure;
    const char* name;    // combo text, curve names and the y-axis label
    const char* column;  // CSV quantity
    Series ModelSnapshot::*series;
};

const std::array<MeasureInfo, 5> kMeasures{{
    {Measure::LearningRate, "learning rate", "lr", &ModelSnapshot::lr},
    {Measure::GradNorm, "gradient norm (before clipping)", "grad_norm", &ModelSnapshot::grad_norm},
    {Measure::Entropy, "routing entropy / ln N_r", "routing_entropy", &ModelSnapshot::routing_entropy},
    {Measure::Dead, "dead experts (share of N_r)", "dead_share", &ModelSnapshot::dead_share},
    {Measure::Accuracy, "training-batch accuracy", "accuracy", &ModelSnapshot::accuracy},
}};

const MeasureInfo& info(Measure m) {
    for (const MeasureInfo& i : kMeasures)
        if (i.measure == m) return i;
    return kMeasures[0];
}

// The baseline the measure is read against, for this model (NaN: none).
double baseline(Measure m, const ModelSnapshot& ms) {
    switch (m) {
        case Measure::Entropy: return 1.0;  // a uniform gate
        case Measure::Dead: return 0.0;     // every expert gets tokens
        case Measure::Accuracy:             // guessing: a byte out of 256, or a class
            return ms.language ? 1.0 / 256.0 : 1.0 / std::max(2, ms.config.data.classes);
        case Measure::LearningRate:
        case Measure::GradNorm: break;
    }
    return NAN;
}

QString baseline_name(Measure m) {
    switch (m) {
        case Measure::Entropy: return QObject::tr("uniform gate (1)");
        case Measure::Dead: return QObject::tr("none dead (0)");
        case Measure::Accuracy: return QObject::tr("chance");
        case Measure::LearningRate:
        case Measure::GradNorm: break;
    }
    return {};
}

}  // namespace

TrainingView::TrainingView(QWidget* parent) : CurveView(parent) {
    setSmoothing(0.3);
    measure_ = new QComboBox(this);
    for (const MeasureInfo& i : kMeasures) measure_->addItem(tr(i.name), int(i.measure));
    measure_->setToolTip(tr("Which measure of the training run to draw"));
    // What the routers do first (the app's subject); the schedule and the gradients are a click away.
    measure_->setCurrentIndex(measure_->findData(int(Measure::Entropy)));
    addControl(measure_);
    connect(measure_, &QComboBox::currentIndexChanged, this, [this] { requestRebuild(); });
    placeLegendBeside();  // the curves run along the top (entropy near 1) and the bottom (dead experts near 0)
}

void TrainingView::setMeasure(Measure measure) { measure_->setCurrentIndex(measure_->findData(int(measure))); }

TrainingView::Measure TrainingView::measure() const { return Measure(measure_->currentData().toInt()); }

QString TrainingView::explanation() const {
    return tr(
        "How each training run is doing, step by step, one measure at a time (the menu). Learning rate: the "
        "schedule both models follow (warm-up, then decay). Gradient norm: the global L2 norm of all gradients "
        "before clipping; spikes mean unstable steps. Routing entropy / ln N_r: the entropy of a token's gate "
        "probabilities s_i over the N_r routed experts, averaged over the batch's tokens and the MoE layers, over "
        "its largest value ln N_r: 1 (dashed) = a uniform gate that has not chosen, towards 0 = confident routing. "
        "Dividing by ln N_r lets 63 small experts and 16 large ones share the axis. Dead experts: the share of "
        "routed experts that received no token of the step's batch, mean over the MoE layers (0 = none, dashed). "
        "Training-batch accuracy: the share of next bytes (or classes) predicted right on the step's batch, against "
        "chance (dashed: 1/256 for bytes, 1/classes for a 2-D task); the validation numbers are on the score board. "
        "Thin lines are smoothed by the slider (display only; the raw values are drawn faintly and exported).");
}

QString TrainingView::yLabel() const { return tr(info(measure()).name); }

std::vector<CurveView::Curve> TrainingView::curves(const Snapshot& snapshot) const {
    std::vector<Curve> out;
    const MeasureInfo& mi = info(measure());
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        const Series& s = ms.*(mi.series);
        out.push_back({m, model_letter(m) + QStringLiteral(" ") + tr(mi.name), &s, {}, Kind::PerStep});
        const double level = baseline(measure(), ms);
        if (!std::isfinite(level) || s.x.empty()) continue;
        // One dashed line when A and B share the baseline, one per model when not (chance for two datasets).
        const bool shared = m == 1 && std::isfinite(baseline(measure(), snapshot.models[0])) &&
                            baseline(measure(), snapshot.models[0]) == level;
        if (shared) continue;
        Curve ref{m == 0 ? -1 : 1, baseline_name(measure()), nullptr, {}, Kind::Reference};
        if (m == 1) ref.name += QStringLiteral(" (B)");
        ref.own.x = {s.x.front(), s.x.back()};
        ref.own.y = {level, level};
        out.push_back(std::move(ref));
    }
    return out;
}

QString TrainingView::heading(const Snapshot& snapshot) const {
    const MeasureInfo& mi = info(measure());
    QStringList parts;
    for (int m = 0; m < 2; ++m) {
        const Series& s = snapshot.models[std::size_t(m)].*(mi.series);
        const QString value = s.y.empty() ? tr("no step yet")
                              : measure() == Measure::LearningRate ? QString::number(s.y.back(), 'g', 3)
                                                                   : QString::number(s.y.back(), 'f', 3);
        parts << tr("%1: %2").arg(model_name(snapshot, m), value);
    }
    return tr("%1, latest step").arg(tr(mi.name)) + QStringLiteral("\n") + parts.join(QStringLiteral("      "));
}

QString TrainingView::csv() const {
    QString out = csv_row({"step", "model", "quantity", "value"});
    if (!snapshot()) return out;
    for (int m = 0; m < 2; ++m)
        for (const MeasureInfo& mi : kMeasures) {
            const Series& s = snapshot()->models[std::size_t(m)].*(mi.series);
            for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
                out += csv_row({csv_number(s.x[i]), model_letter(m), QString::fromLatin1(mi.column), csv_number(s.y[i])});
        }
    return out;
}

}  // namespace moe::ui
