// The numbers a class compares, always in view above the plots: for A, B and B − A, the training loss (mean of the
// last 50 steps), the latest validation loss and accuracy on the fixed validation set, and the step they were
// measured at. One run per model: the note says so and points to Run seeds for an interval.
#pragma once

#include "ui/session/snapshot.h"

#include <QWidget>

#include <array>

class QLabel;

namespace moe::ui {

class ScoreBoard : public QWidget {
    Q_OBJECT
public:
    explicit ScoreBoard(QWidget* parent = nullptr);
    void setSnapshot(const SnapshotPtr& snapshot);

    // The text of a cell: row 0 = A, 1 = B, 2 = B − A; column 0 = train loss, 1 = validation loss, 2 = accuracy.
    QString cell(int row, int column) const;
    QString note() const;

    // Mean of the training loss over the steps after (last step - window); NaN when empty.

private:
    std::array<std::array<QLabel*, 3>, 3> cells_{};
    std::array<QLabel*, 3> row_names_{};
    QLabel* note_ = nullptr;
};

}  // namespace moe::ui
