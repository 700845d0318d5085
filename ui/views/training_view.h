// The run's own health over the steps for A and B, one measure at a time: the learning rate (the schedule), the
// gradient norm before clipping, the routing entropy against a uniform gate, the share of dead experts and the
// accuracy on the training batch against chance. Each measure with a baseline is drawn beside it as a dashed line.
#pragma once

#include "ui/views/curve_view.h"

class QComboBox;

namespace moe::ui {

class TrainingView : public CurveView {
    Q_OBJECT
public:
    enum class Measure { LearningRate, GradNorm, Entropy, Dead, Accuracy };

    explicit TrainingView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("training"); }
    QString title() const override { return tr("Training"); }
    QString explanation() const override;
    QString csv() const override;

    void setMeasure(Measure measure);
    Measure measure() const;

protected:
    std::vector<Curve> curves(const Snapshot& snapshot) const override;
    QString yLabel() const override;
    QString heading(const Snapshot& snapshot) const override;

private:
    QComboBox* measure_ = nullptr;
};

}  // namespace moe::ui
