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

private:
    QLabel* header_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    QString summary_;
};

}  // namespace moe::ui
