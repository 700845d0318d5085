// Parameter and FLOP accounting of A and B side by side, so a student can check the ladder claim: equal total and
// equal activated expert parameters.
#pragma once

#include "ui/views/view.h"

class QLabel;
class QTableWidget;

namespace moe::ui {

class AccountingView : public View {
    Q_OBJECT
public:
    explicit AccountingView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("accounting"); }
    QString title() const override { return tr("Parameters and compute"); }
    QString explanation() const override;
    bool exportTo(const QString& dir, QString* error) const override;
    QString csv() const override;

    QTableWidget* table() const { return table_; }
    // The sentence under the table on the ladder claim (equal expert totals and activated experts, or not), drawn
    // from the latest snapshot.
    QString ladderNote() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void draw() override;
    void rebuild();
    void fitTable();

    QString signature_;  // what the table shows, to skip snapshots that change nothing here
    QWidget* content_ = nullptr;  // the heading, the table and the note, in a scroll area
    QLabel* heading_ = nullptr;
    QTableWidget* table_ = nullptr;
    QLabel* note_ = nullptr;
};

}  // namespace moe::ui
