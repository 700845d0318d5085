// 2-D classifier tasks: the input plane coloured by the top-1 routed expert of every grid cell (selected layer),
// the decision boundary, and the training points by class; A and B side by side. Clicking asks to inspect a point.
#pragma once

#include "ui/views/heatmap_view.h"

#include <optional>
#include <vector>

class QCPCurve;
class QCPGraph;
class QCPItemText;
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
    // The point last clicked (marked on its plane until the next click or another lesson), if any.
    std::optional<PlanePoint> markedPoint() const { return marked_; }
    // The expert numbers shown on model m's regions (for tests).
    QStringList regionLabels(int model) const;

protected:
    void rebuild() override;
    QSize exportSize() const override { return {1100, 600}; }

private:
    void onMousePress(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);
    QCPGraph* classGraph(int model, int cls);
    // One unit of x as long on screen as one of y, after every layout: the plane is not stretched.
    void keepSquare();
    // Hides the numbers of smaller regions where they would cover a larger region's number or leave the plane.
    void declutterLabels();

    std::array<QCPCurve*, 2> boundary_{};
    std::array<std::vector<QCPGraph*>, 2> classes_;
    std::array<QCPGraph*, 2> mark_{};  // the clicked point
    std::array<std::vector<QCPItemText*>, 2> labels_;
    std::optional<PlanePoint> marked_;
    int last_step_ = 0;
    QCPLegend* legend_ = nullptr;
};

}  // namespace moe::ui
