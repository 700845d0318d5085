// Expert load over training: step (x) x routed expert (y) heatmap of the load share, selected layer, A and B.
#pragma once

#include "ui/views/heatmap_view.h"

namespace moe::ui {

class UtilisationTimeView : public HeatmapView {
    Q_OBJECT
public:
    explicit UtilisationTimeView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("utilisation_over_time"); }
    QString title() const override { return tr("Expert load over time"); }
    QString explanation() const override;
    QString csv() const override;

protected:
    void rebuild() override;
};

}  // namespace moe::ui
