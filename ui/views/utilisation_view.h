// How the selected MoE layer shares the work: per routed expert the share of token-slots (bars) and the mean gate
// probability (dots), the balanced level 1/N_r, dead experts flagged, shared experts noted apart; A and B.
#pragma once

#include "ui/views/model_panels.h"
#include "ui/views/plot_view.h"

class QCPBars;
class QCPGraph;
class QCPItemText;

namespace moe::ui {

class UtilisationView : public PlotView {
    Q_OBJECT
public:
    explicit UtilisationView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("utilisation"); }
    QString title() const override { return tr("Expert utilisation"); }
    QString explanation() const override;
    QString csv() const override;

    // The panel title of model m as drawn (model, layer, max/mean, CV, dead count); for tests.
    QString panelTitle(int model) const;

protected:
    void rebuild() override;

private:
    ModelPanels panels_;
    std::array<QCPBars*, 2> bars_{};
    std::array<QCPGraph*, 2> probs_{}, balanced_{}, dead_{};
    std::array<QCPItemText*, 2> shared_note_{}, empty_note_{};
};

}  // namespace moe::ui
