// 2-D classifier tasks: the input plane coloured by the top-1 routed expert of every grid cell (selected layer),
// the decision boundary, and the training points by class; A and B side by side. Clicking asks to inspect a point.
#pragma once

#include "ui/views/heatmap_view.h"

#include <optional>
#include <vector>

class QCPCurve;
class QCPGraph;
class QMouseEvent;

namespace moe::ui {

class PlaneView : public HeatmapView {
    Q_OBJECT
public:
    explicit PlaneView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("plane"); }
    QString title() const override { return tr("Input plane: which expert owns which region"); }
    QString explanation() const override;
    QString notApplicable() const override;
    QString csv() const override;

    struct PlanePoint {
        int model = 0;
        double x = 0, y = 0;
    };
    // The input-plane point under a pixel of plot(), if it lies on a model's plane.
    std::optional<PlanePoint> pointAt(const QPointF& pixel) const;
    // The pixel of plot() showing point (x, y) of model m's plane.
    QPointF pixelOf(int model, double x, double y) const;

protected:
    void rebuild() override;
    QSize exportSize() const override { return {1100, 600}; }

private:
    void onMousePress(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);
    QCPGraph* classGraph(int model, int cls);

    std::array<QCPCurve*, 2> boundary_{};
    std::array<std::vector<QCPGraph*>, 2> classes_;
};

}  // namespace moe::ui
