// Load balance of A and B over training, whatever their alpha: the balance statistic N_r · sum_i f_i P_i (1 when
// balanced) and MaxVio_batch (0 when balanced), each against its balanced level, with the weighted balance loss that
// was actually added to training in a smaller panel underneath. A collapsed router looks collapsed even at alpha = 0,
// where its balance loss is a flat 0.
#pragma once

#include "ui/views/curve_view.h"

namespace moe::ui {

class AuxLossView : public CurveView {
    Q_OBJECT
public:
    explicit AuxLossView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("aux_loss"); }
    QString title() const override { return tr("Load balance and balance loss"); }
    QString explanation() const override;
    QString csv() const override;

    // The line over the plot as drawn (each model's latest statistic, MaxVio and loss added); for tests.
    QString headingText() const;

    enum Panel { Statistic = 0, MaxViolation = 1, LossAdded = 2 };

protected:
    std::vector<Curve> curves(const Snapshot& snapshot) const override;
    QString yLabel() const override;
    QString heading(const Snapshot& snapshot) const override;
};

}  // namespace moe::ui
