// The probe text through the selected MoE layer: tokens (rows) x routed experts (columns), colour = gate score over
// the uniform score, s_i · N_r (1 = no preference), on one log scale for A and B; the chosen top-k marked. Clicking a
// cell asks to inspect that token.
#pragma once

#include "ui/views/heatmap_view.h"

#include <optional>

class QCPGraph;
class QMouseEvent;

namespace moe::ui {

class RoutingView : public HeatmapView {
    Q_OBJECT
public:
    explicit RoutingView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("routing"); }
    QString title() const override { return tr("Routing of the probe text"); }
    QString explanation() const override;
    QString notApplicable() const override;
    QString csv() const override;

    struct Cell {
        int model = 0;
        int layer = 0;  // index into ModelSnapshot::probe
        int token = 0;
        int expert = 0;
    };
    // The cell under a pixel of plot(), if any (uses the plot's current layout).
    std::optional<Cell> cellAt(const QPointF& pixel) const;
    // The centre of a cell in plot() pixels (for tests and for pointing at a token).
    QPointF cellCentre(int model, int token, int expert) const;
    // The value the map holds for a cell (s_i · N_r, clamped into the range on the log scale); for tests.
    double shownValue(int model, int token, int expert) const;

protected:
    void rebuild() override;
    QSize exportSize() const override;

private:
    void onMousePress(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);

    std::array<QCPGraph*, 2> chosen_{};
    int tokens_ = 0;
};

}  // namespace moe::ui
