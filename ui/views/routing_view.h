// The probe text through the selected MoE layer, laid out as text: one column per probe byte (the byte written under
// it), one row per routed expert, A over B so that a byte's column lines up in both; a probe longer than a line wraps
// into lines of equal length, as a paragraph does. Colour = gate score over the uniform score, s_i · N_r (1 = no
// preference), on one log scale for A and B; the chosen top-k marked; the token in the inspector outlined in both.
// Clicking a cell asks to inspect that token.
#pragma once

#include "ui/views/heatmap_view.h"

#include <optional>
#include <vector>

class QCPGraph;
class QCPItemRect;
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
    bool exportTo(const QString& dir, QString* error) const override;
    void setInspectedToken(int token) override;
    int inspectedToken() const { return inspected_; }

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
    // How the probe is wrapped: bytes per line, and model m's lines.
    int tokensPerLine() const;
    int lineCount(int model) const;
    // The outline of the inspected token in model m's map, in plot() pixels (empty when none is drawn).
    QRectF inspectedOutline(int model) const;

protected:
    void rebuild() override;
    QSize exportSize() const override;

private:
    // One line of the wrapped probe: its axis rect (experts down, bytes across), map and top-k marks.
    struct Line {
        QCPAxisRect* rect = nullptr;
        QCPColorMap* map = nullptr;
        QCPGraph* chosen = nullptr;
    };
    // A line's rect, map and marks set up; the rect and map are made (and placed below the others) when null.
    Line makeLine(int model, QCPAxisRect* rect, QCPColorMap* map);
    int probeLayer() const;  // the selected probe layer, clamped to the most either model has (-1: none)
    void setLineCount(int model, int count);
    int columnWidth() const;                  // pixels a byte's column needs for its label
    int fittingTokensPerLine(int width) const;  // bytes per line for a plot this wide, lines of equal length
    int contentHeight(bool for_export) const;
    void afterLayout();
    void onMousePress(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);

    std::array<std::vector<Line>, 2> lines_;
    std::array<QCPLayoutGrid*, 2> line_grids_{};
    std::array<QCPItemRect*, 2> outline_{};
    std::array<int, 2> experts_{};  // N_r drawn per model (0 = no data)
    int tokens_ = 0;                // bytes of the longest probe drawn
    int per_line_ = 1;
    int inspected_ = -1;
    int beside_ = 150;       // the plot's width not given to the bytes (axis labels, colour scale), as last laid out
    int wrap_width_ = 0;     // while exporting: the figure's width, which decides the wrapping instead of the screen's
};

}  // namespace moe::ui
