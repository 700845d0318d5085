// Specialisation and balance measured on the fixed validation set, over the evaluation steps, for A and B on one
// axis: domain specialisation I(domain; expert) / H(domain), byte specialisation, router saturation, MaxVio_global
// and the balance statistic (core/moe/routing_measures.h). The latest values stand beside the curves, with their
// neutral level (0 for a domain-blind router, 1 for a balanced one) drawn as a dashed line.
#pragma once

#include "ui/views/curve_view.h"

class QComboBox;
class QCPTextElement;

namespace moe::ui {

class SpecialisationView : public CurveView {
    Q_OBJECT
public:
    enum class Measure { Domain, Byte, Saturation, MaxViolation, Balance };

    explicit SpecialisationView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("specialisation"); }
    QString title() const override { return tr("Specialisation"); }
    QString explanation() const override;
    QString csv() const override;

    void setMeasure(Measure measure);
    Measure measure() const;
    // The numbers written beside the curves (for tests and export).
    QString summaryText() const;

protected:
    std::vector<Curve> curves(const Snapshot& snapshot) const override;
    QString yLabel() const override;
    void rebuild() override;

private:
    QComboBox* measure_ = nullptr;
    QCPTextElement* summary_ = nullptr;  // under the plot, in the layout: it never covers a curve
};

// The series of `measure` in one layer's evaluation history.
const Series& measure_series(const LayerEvalSnapshot& layer, SpecialisationView::Measure measure);

}  // namespace moe::ui
