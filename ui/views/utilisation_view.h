// How the selected MoE layer shares the work: per routed expert its load relative to the balanced load k·T/N_r (bars)
// and its mean gate probability relative to the uniform 1/N_r (dots), the balanced level 1, dead experts flagged,
// shared experts noted apart; A and B on one y-axis, MaxVio in each title.
#pragma once

#include "ui/views/model_panels.h"
#include "ui/views/plot_view.h"

#include <utility>
#include <vector>

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

    // The panel title of model m as drawn (model, layer, MaxVio, dead count, CV), its bars (relative loads) and its
    // y-axis range; for tests.
    QString panelTitle(int model) const;
    std::vector<double> shownLoads(int model) const;
    std::pair<double, double> yRange(int model) const;

protected:
    void rebuild() override;

private:
    ModelPanels panels_;
    std::array<QCPBars*, 2> bars_{};
    std::array<QCPGraph*, 2> probs_{}, balanced_{}, dead_{};
    std::array<QCPItemText*, 2> shared_note_{}, empty_note_{};
};

}  // namespace moe::ui
