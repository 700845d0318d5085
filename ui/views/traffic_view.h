// Simulated expert parallelism, A and B side by side: the selected MoE layer's D x D dispatch matrix (token-copies
// from a token's home device to its experts' devices; one colour scale for A and B), the work on each device over the
// mean (bars, 1 = balanced, one y-axis for A and B), and over the steps the bytes sent and the remote devices a token
// visits; on top, B − A: the loss difference next to the bytes saved.
#pragma once

#include "ui/views/heatmap_view.h"

#include <vector>

class QCPAxisRect;
class QCPBars;
class QCPGraph;
class QCPItemText;
class QCPLayoutGrid;
class QCPTextElement;

namespace moe::ui {

class TrafficView : public HeatmapView {
    Q_OBJECT
public:
    explicit TrafficView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("traffic"); }
    QString title() const override { return tr("Device traffic (expert parallelism)"); }
    QString explanation() const override;
    QString notApplicable() const override;
    QString csv() const override;

    // The line over the panels (B − A: loss difference, bytes saved), model m's panel title, its device loads as
    // drawn (each over the mean), the top of their y-axis, and the note shown where the curves would be (empty when
    // none is drawn); for tests.
    QString summary() const;
    QString panelTitle(int model) const;
    std::vector<double> shownLoads(int model) const;
    double loadAxisTop(int model) const;
    QString curvesNote() const;

protected:
    void rebuild() override;

private:
    void buildPanels();
    void buildCurves(QCPLayoutGrid* grid);
    void rebuildPanel(int model, double load_top);
    void rebuildCurves();

    QCPTextElement* summary_ = nullptr;
    std::array<QCPAxisRect*, 2> load_rect_{};
    std::array<QCPBars*, 2> load_bars_{};
    std::array<QCPGraph*, 2> balanced_{}, local_{};
    QCPAxisRect* bytes_rect_ = nullptr;
    QCPAxisRect* remote_rect_ = nullptr;
    std::array<QCPGraph*, 2> bytes_{}, remote_{};
    QCPItemText* curves_note_ = nullptr;
};

}  // namespace moe::ui
