// Shows why one token (or one 2-D point) went where it went: its gate score for every routed expert, the chosen
// top-k with their combine weights, and the shared experts' share of the MoE output.
#pragma once

#include "ui/session/snapshot.h"

#include <QWidget>

class QCustomPlot;
class QLabel;

namespace moe::ui {

class TokenInspector : public QWidget {
    Q_OBJECT
public:
    explicit TokenInspector(QWidget* parent = nullptr);
    // A probe token: model 0/1, MoE layer index into ModelSnapshot::probe, token index.
    void showToken(const SnapshotPtr& snapshot, int model, int probe_layer, int token);
    void showPoint(const PointInspection& inspection);
    void clear();
    // Plain text of what is shown (for tests and for copy/paste).
    QString summary() const;
    QCustomPlot* plot() const { return plot_; }  // the bars and their legend (for tests)

    // As tall as the header's lines at this width over the plot at the height its text needs (plot_text.h): a dock
    // gives the inspector that much, and never squeezes the legend out of sight.
    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    QLabel* header_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    QString summary_;
};

}  // namespace moe::ui
