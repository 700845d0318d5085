// The base of every live view: it reads snapshots, explains itself in plain words, and exports its plot (PNG, SVG,
// PDF) and its data (CSV). Views never talk to the trainer.
#pragma once

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
    // "What am I looking at": a few plain sentences with the formula, in the seeds' terms.
    virtual QString explanation() const = 0;

    // Called on the GUI thread with each new snapshot; must be cheap (set data in bulk, queued replot).
    virtual void setSnapshot(const SnapshotPtr& snapshot) = 0;

    // Writes <dir>/<id>.png, .svg, .pdf and .csv. Returns false and sets *error on failure (files written
    // atomically: a temporary, then a rename).
    virtual bool exportTo(const QString& dir, QString* error) const = 0;
    // The view's data as CSV text (header + rows).
    virtual QString csv() const = 0;

    // Heatmaps: per-layer or global colour normalisation.
    virtual void setGlobalNormalisation(bool) {}

signals:
    // A token of the probe text (model, layer, token index) or a point of the 2-D plane (model, x, y) was clicked.
    void tokenClicked(int model, int layer, int token);
    void planeClicked(int model, double x, double y);
};

}  // namespace moe::ui
