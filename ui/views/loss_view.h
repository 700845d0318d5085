// Training loss (thin, per step) and validation loss (thick, with dots) of A and B.
#pragma once

#include "ui/views/curve_view.h"

namespace moe::ui {

class LossView : public CurveView {
    Q_OBJECT
public:
    explicit LossView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("loss"); }
    QString title() const override { return tr("Loss"); }
    QString explanation() const override;
    QString csv() const override;

protected:
    std::vector<Curve> curves(const Snapshot& snapshot) const override;
    QString yLabel() const override;
};

}  // namespace moe::ui
