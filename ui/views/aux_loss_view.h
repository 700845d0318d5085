// The expert-level balance loss of A and B over training, with the level a perfectly balanced router gives.
#pragma once

#include "ui/views/curve_view.h"

namespace moe::ui {

class AuxLossView : public CurveView {
    Q_OBJECT
public:
    explicit AuxLossView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("aux_loss"); }
    QString title() const override { return tr("Balance loss"); }
    QString explanation() const override;
    QString csv() const override;

protected:
    std::vector<Curve> curves(const Snapshot& snapshot) const override;
    QString yLabel() const override;
};

}  // namespace moe::ui
