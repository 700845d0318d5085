// Training loss (thin, per step) and validation loss (thick, with dots) of A and B; or, in the "B − A" mode, the
// difference of the validation losses on the fixed validation set, in total and per domain, against a zero line.
#pragma once

#include "ui/views/curve_view.h"

class QCheckBox;

namespace moe::ui {

class LossView : public CurveView {
    Q_OBJECT
public:
    explicit LossView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("loss"); }
    QString title() const override { return tr("Loss"); }
    QString explanation() const override;
    QString csv() const override;

    // B − A mode: validation differences instead of the two models' curves.
    void setDifferenceMode(bool on);
    bool differenceMode() const;

    // B − A at the steps both models were evaluated at (pairs of equal x).
    static Series paired_difference(const Series& a, const Series& b);

protected:
    std::vector<Curve> curves(const Snapshot& snapshot) const override;
    QString yLabel() const override;

private:
    QCheckBox* difference_ = nullptr;
};

}  // namespace moe::ui
