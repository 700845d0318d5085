// Expert co-activation (OLMoE): for the selected MoE layer, entry (i, j) = N(i, j) / N(i), the share of the tokens
// that chose expert i which also chose expert j, over the fixed validation set. A and B share one colour scale
// [0, 1]; the title gives the mean over used pairs against the level of a router that picks its k experts at
// random, (k - 1) / (N_r - 1).
#pragma once

#include "ui/views/heatmap_view.h"

namespace moe::ui {

class CoactivationView : public HeatmapView {
    Q_OBJECT
public:
    explicit CoactivationView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("coactivation"); }
    QString title() const override { return tr("Co-activation"); }
    QString explanation() const override;
    QString csv() const override;

    // Mean off-diagonal N(i,j)/N(i) over used experts, divided by (k - 1) / (N_r - 1) (NaN when not defined).
    static double relative_coactivation(const LayerEvalSnapshot& layer);

protected:
    void rebuild() override;
};

}  // namespace moe::ui
