#include "ui/window/score_board.h"

#include "ui/views/view.h"

#include <QGridLayout>
#include <QLabel>
#include <QPalette>

#include <cmath>

namespace moe::ui {

namespace {

QString number(double v, int decimals = 3) { return std::isfinite(v) ? QString::number(v, 'f', decimals) : QStringLiteral("–"); }

QString signed_number(double v, int decimals = 3) {
    if (!std::isfinite(v)) return QStringLiteral("–");
    return (v > 0 ? QStringLiteral("+") : v < 0 ? QStringLiteral("−") : QString()) +
           QString::number(std::abs(v), 'f', decimals);
}

// Text colour through the palette, not a style sheet: a label with a style sheet stops following its window's font,
// and presentation mode's larger text would leave the score board small.
void set_text_colour(QWidget* w, const QColor& colour) {
    QPalette palette = w->palette();
    palette.setColor(QPalette::WindowText, colour);
    w->setPalette(palette);
}

}  // namespace

ScoreBoard::ScoreBoard(QWidget* parent) : QWidget(parent) {
    setObjectName("scoreBoard");
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(6, 2, 6, 2);
    grid->setHorizontalSpacing(18);
    grid->setVerticalSpacing(0);
    const QStringList headers = {tr("train loss (last 50 steps)"), tr("validation loss"), tr("validation accuracy")};
    for (int c = 0; c < 3; ++c) {
        auto* h = new QLabel(headers[c], this);
        set_text_colour(h, QColor(0x55, 0x55, 0x55));
        grid->addWidget(h, 0, c + 1, Qt::AlignRight);
    }
    const QStringList rows = {tr("A"), tr("B"), tr("B − A")};
    for (int r = 0; r < 3; ++r) {
        row_names_[std::size_t(r)] = new QLabel(rows[r], this);
        QFont f = row_names_[std::size_t(r)]->font();
        f.setBold(true);
        row_names_[std::size_t(r)]->setFont(f);
        if (r < 2)
            set_text_colour(row_names_[std::size_t(r)], model_colour(r));
        grid->addWidget(row_names_[std::size_t(r)], r + 1, 0);
        for (int c = 0; c < 3; ++c) {
            auto* l = new QLabel(QStringLiteral("–"), this);
            l->setFont(f);
            l->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
            l->setTextInteractionFlags(Qt::TextSelectableByMouse);
            cells_[std::size_t(r)][std::size_t(c)] = l;
            grid->addWidget(l, r + 1, c + 1);
        }
    }
    note_ = new QLabel(this);
    note_->setWordWrap(true);
    set_text_colour(note_, QColor(0x55, 0x55, 0x55));
    grid->addWidget(note_, 0, 4, 4, 1);
    grid->setColumnStretch(4, 1);
}

void ScoreBoard::setSnapshot(const SnapshotPtr& snapshot) {
    std::array<std::array<double, 3>, 2> v{};
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot* ms = snapshot ? &snapshot->models[std::size_t(m)] : nullptr;
        v[std::size_t(m)] = {ms ? moe::ui::recent_mean(ms->loss) : NAN, ms && ms->eval.last_step ? ms->eval.loss : NAN,
                             ms && ms->eval.last_step ? ms->eval.accuracy : NAN};
        for (int c = 0; c < 3; ++c)
            cells_[std::size_t(m)][std::size_t(c)]->setText(c == 2 ? number(100 * v[std::size_t(m)][2], 1) + " %"
                                                                   : number(v[std::size_t(m)][std::size_t(c)]));
    }
    for (int c = 0; c < 3; ++c) {
        const double d = v[1][std::size_t(c)] - v[0][std::size_t(c)];
        cells_[2][std::size_t(c)]->setText(c == 2 ? signed_number(100 * d, 1) + " pt" : signed_number(d));
    }
    if (!snapshot) {
        note_->setText(QString());
        return;
    }
    const EvalSnapshot& a = snapshot->models[0].eval;
    const EvalSnapshot& b = snapshot->models[1].eval;
    QString text;
    if (!a.last_step && !b.last_step) {
        text = tr("Validation: not yet measured (every %1 steps, on the same held-out text for both models).")
                   .arg(snapshot->models[0].config.train.eval_interval);
    } else {
        text = a.last_step == b.last_step
                   ? (a.tokens > 0 ? tr("Validation at step %1 on the fixed held-out set (%2 tokens, the same "
                                        "for A and B).")
                                         .arg(a.last_step)
                                         .arg(a.tokens)
                                   : tr("Validation at step %1 on the fixed held-out set (the same for A and B).")
                                         .arg(a.last_step))
                   : tr("Validation: A at step %1, B at step %2 (fixed held-out set).").arg(a.last_step).arg(b.last_step);
        text += tr(" One run each: B − A has no interval; Training > Run seeds gives one.");
    }
    note_->setText(text);
}

QString ScoreBoard::cell(int row, int column) const { return cells_[std::size_t(row)][std::size_t(column)]->text(); }

QString ScoreBoard::note() const { return note_->text(); }

}  // namespace moe::ui
