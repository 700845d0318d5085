// The base of every live view: it reads snapshots, explains itself in plain words, and exports its plot (PNG, SVG,
// PDF) and its data (CSV). Views never talk to the trainer.
#pragma once

#include "ui/session/earlier_runs.h"
#include "ui/session/snapshot.h"

#include <QString>
#include <QWidget>

namespace moe::ui {

// Colours used for model A and model B everywhere (curves, bars, legends), so a class never has to re-learn them.
QColor model_colour(int model);

class View : public QWidget {
    Q_OBJECT
public:
    using QWidget::QWidget;

    // Short, stable identifier used for export file names ("loss", "aux_loss", "utilisation", ...).
    virtual QString id() const = 0;
    virtual QString title() const = 0;
    // "What am I looking at": a few plain sentences with the formula, in the seeds' terms. It may depend on the
    // snapshot (the dataset's terms): explanationChanged() says when it does.
    virtual QString explanation() const = 0;

    // Called on the GUI thread with each new snapshot (up to 30 a second). The view keeps the latest, skips one it
    // has already drawn (same serial) and defers drawing while hidden: a tab in the background costs nothing, and it
    // draws the newest snapshot once when shown (export draws it first too).
    void setSnapshot(const SnapshotPtr& snapshot);
    const SnapshotPtr& snapshot() const { return snapshot_; }
    // Draws the latest snapshot now if it has not been drawn yet.
    void refresh() const;
    // How many times the view has drawn itself (refresh() calling draw()); tests check that hidden views defer.
    int drawCount() const { return draw_count_; }

    // Writes <dir>/<id>.png, .svg, .pdf and .csv. Returns false and sets *error on failure (files written
    // atomically: a temporary, then a rename).
    virtual bool exportTo(const QString& dir, QString* error) const = 0;
    // The view's data as CSV text (header + rows).
    virtual QString csv() const = 0;

    // Why the view has nothing to show for either model of the latest snapshot (e.g. the 2-D plane for two language
    // models), or empty when it applies. Export all lists such a view in its index instead of writing empty figures.
    virtual QString notApplicable() const { return {}; }

    // The earlier runs of this lesson (Apply, Reset): curve views draw the shown ones faded under the current run.
    virtual void setEarlierRuns(const EarlierRunsPtr&) {}

    // Heatmaps: per-layer or global colour normalisation.
    virtual void setGlobalNormalisation(bool) {}

    // The probe token the inspector shows (-1: none); views that draw the probe text mark it.
    virtual void setInspectedToken(int) {}

protected:
    // Brings what is on screen up to date with snapshot_ (which may be null) and the view's own settings.
    virtual void draw() = 0;
    // The data or a setting changed: draw now when visible, else when next shown.
    void requestRebuild();
    void showEvent(QShowEvent* event) override;

    SnapshotPtr snapshot_;

signals:
    // A token of the probe text (model, layer, token index) or a point of the 2-D plane (model, x, y) was clicked.
    void tokenClicked(int model, int layer, int token);
    void planeClicked(int model, double x, double y);
    // explanation() reads differently after this draw (e.g. a lesson on another dataset).
    void explanationChanged();

private:
    mutable bool dirty_ = true;
    mutable int draw_count_ = 0;
    mutable QString explained_;  // explanation() after the last draw
};

}  // namespace moe::ui
