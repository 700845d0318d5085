// DeepSeek-V3's auxiliary-loss-free balancing at work: step (x) x routed expert (y) heatmap of each expert's selection
// bias b_i (topk_method = noaux_tc), selected layer, A and B on one colour scale centred at 0 (the bias's start).
#pragma once

#include "ui/views/heatmap_view.h"

namespace moe::ui {

class SelectionBiasView : public HeatmapView {
    Q_OBJECT
public:
    explicit SelectionBiasView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("selection_bias"); }
    QString title() const override { return tr("Selection bias over time (aux-loss-free balancing)"); }
    QString explanation() const override;
    QString csv() const override;
    QString notApplicable() const override;

protected:
    void rebuild() override;
};

}  // namespace moe::ui
