#include "ui/views/accounting_view.h"

#include "ui/views/view_export.h"
#include "ui/views/view_text.h"

#include <QDir>
#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>
#include <optional>

namespace moe::ui {

namespace {

// One line of the table: parameter counts (total, activated per token) and forward FLOPs per token.
struct Row {
    QString key;    // CSV name
    QString label;  // on screen
    int64_t total = 0, activated = 0;
    std::optional<double> flops;
    bool sub = false;  // a part of the row above
};

std::vector<Row> rows_of(const Accounting& a) {
    const int64_t routed_active = a.experts_activated - a.shared_total - a.dense_ffn;
    return {
        {"attention", "attention", a.attention, a.attention, a.flops_attention, false},
        {"experts", "experts (all FFN weights)", a.experts_total, a.experts_activated, a.flops_experts, false},
        {"routed", "    routed experts", a.routed_total, routed_active, std::nullopt, true},
        {"shared", "    shared experts", a.shared_total, a.shared_total, std::nullopt, true},
        {"dense_ffn", "    dense FFN layers", a.dense_ffn, a.dense_ffn, std::nullopt, true},
        {"other", "other (embeddings, norms, head, router)", a.other, a.other, a.flops_other, false},
        {"total", "total", a.total(), a.activated(), a.flops_total(), false},
    };
}

QString count(int64_t n) { return QLocale(QLocale::English).toString(qlonglong(n)); }

QString flops_text(double f) {
    if (f >= 1e9) return QStringLiteral("%1 G").arg(f / 1e9, 0, 'f', 2);
    if (f >= 1e6) return QStringLiteral("%1 M").arg(f / 1e6, 0, 'f', 2);
    if (f >= 1e3) return QStringLiteral("%1 k").arg(f / 1e3, 0, 'f', 1);
    return QString::number(f, 'f', 0);
}

QString expert_shape(const ModelSnapshot& ms) {
    const ModelConfig& c = ms.config.model;
    if (c.n_routed_experts <= 0) return QObject::tr("dense FFN of width %1").arg(c.intermediate_size);
    const QString shared = c.n_shared_experts > 0 ? QObject::tr("%1 shared + ").arg(c.n_shared_experts) : QString();
    return QObject::tr("%1top-%2 of %3 routed experts of width %4%5")
        .arg(shared)
        .arg(c.num_experts_per_tok)
        .arg(c.n_routed_experts)
        .arg(c.moe_intermediate_size)
        .arg(c.n_shared_experts > 0 ? QString() : QObject::tr(", no shared expert"));
}

QString compare(int64_t a, int64_t b) {
    if (a == b) return QObject::tr("A = B = %1 (equal)").arg(count(a));
    const double diff = b == 0 ? 0 : 100.0 * double(a - b) / double(b);
    return QObject::tr("A %1 vs B %2 (A %3%4 %)").arg(count(a), count(b), diff > 0 ? "+" : "").arg(diff, 0, 'f', 1);
}

}  // namespace

AccountingView::AccountingView(QWidget* parent) : View(parent) {
    // The table is as wide as its columns, wider than the view with presentation mode's large text beside the lesson:
    // it scrolls there, rather than widening the window past the screen.
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);
    content_ = new QWidget;
    scroll->setWidget(content_);
    auto* layout = new QVBoxLayout(content_);
    layout->setContentsMargins(8, 8, 8, 8);
    heading_ = new QLabel(content_);
    heading_->setTextFormat(Qt::RichText);
    heading_->setWordWrap(true);
    layout->addWidget(heading_);
    table_ = new QTableWidget(content_);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionMode(QAbstractItemView::NoSelection);
    table_->setFocusPolicy(Qt::NoFocus);
    table_->verticalHeader()->setVisible(false);
    table_->setColumnCount(7);
    table_->setHorizontalHeaderLabels({tr("part"), tr("A: parameters"), tr("A: activated / token"),
                                       tr("A: FLOPs / token"), tr("B: parameters"), tr("B: activated / token"),
                                       tr("B: FLOPs / token")});
    for (int c = 1; c < 7; ++c)
        table_->horizontalHeaderItem(c)->setForeground(model_colour(c <= 3 ? 0 : 1).darker(130));
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    table_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    layout->addWidget(table_, 0, Qt::AlignLeft);
    note_ = new QLabel(content_);
    note_->setWordWrap(true);
    note_->setTextFormat(Qt::RichText);
    layout->addWidget(note_);
    layout->addStretch(1);
    rebuild();
}

QString AccountingView::explanation() const {
    return tr(
        "Where the parameters and the compute go. \"Experts\" counts every expert weight: routed + shared "
        "(+ dense FFN layers); \"activated\" is what one token uses: its K_s shared experts plus its top-k "
        "routed experts (each expert is a SwiGLU FFN, down(silu(gate(x)) * up(x))). The paper's ladder keeps "
        "both equal: splitting each of N experts into m smaller ones (mN experts, top mK) and turning K_s of "
        "them into always-on shared experts (top mK - K_s of mN - K_s) changes neither number. Check that "
        "A and B match. FLOPs: forward pass per token, 2 per multiply-add; a training step costs about 3x.");
}

void AccountingView::draw() {
    // Accounting depends only on the configurations: redraw when what is shown changes, not 30 times a second.
    QString signature = csv();
    if (snapshot_)
        for (int m = 0; m < 2; ++m)
            signature += model_name(*snapshot_, m) + expert_shape(snapshot_->models[std::size_t(m)]);
    if (signature == signature_ && !signature_.isEmpty()) return;
    signature_ = signature;
    rebuild();
}

void AccountingView::rebuild() {
    if (!snapshot_) {
        heading_->setText(tr("No model yet."));
        table_->setRowCount(0);
        note_->clear();
        return;
    }
    const auto& models = snapshot_->models;
    QString heading;
    for (int m = 0; m < 2; ++m)
        heading += QStringLiteral("<p style='margin:2px'><b style='color:%1'>%2</b>: %3</p>")
                       .arg(model_colour(m).darker(130).name(), model_name(*snapshot_, m).toHtmlEscaped(),
                            expert_shape(models[std::size_t(m)]).toHtmlEscaped());
    heading_->setText(heading);

    const std::vector<Row> a = rows_of(models[0].accounting), b = rows_of(models[1].accounting);
    table_->setRowCount(int(a.size()));
    for (std::size_t r = 0; r < a.size(); ++r) {
        auto cell = [&](int col, const QString& text, bool bold) {
            auto* item = new QTableWidgetItem(text);
            item->setTextAlignment(col == 0 ? Qt::AlignLeft | Qt::AlignVCenter : Qt::AlignRight | Qt::AlignVCenter);
            QFont f = item->font();
            f.setBold(bold);
            f.setItalic(a[r].sub && col == 0);
            item->setFont(f);
            table_->setItem(int(r), col, item);
        };
        // Expert rows in bold: the numbers the ladder claim is about.
        const bool key = a[r].key == "experts" || a[r].key == "total";
        cell(0, a[r].label, key);
        const std::vector<Row>* sides[2] = {&a, &b};
        for (int m = 0; m < 2; ++m) {
            const Row& row = (*sides[m])[r];
            cell(1 + 3 * m, count(row.total), key);
            cell(2 + 3 * m, count(row.activated), key);
            cell(3 + 3 * m, row.flops ? flops_text(*row.flops) : QString(), false);
        }
    }
    fitTable();

    const Accounting& aa = models[0].accounting;
    const Accounting& ab = models[1].accounting;
    const bool equal = aa.experts_total == ab.experts_total && aa.experts_activated == ab.experts_activated;
    note_->setText(tr("<p><b>Expert parameters</b>: %1.<br><b>Activated per token</b>: %2.<br>%3</p>")
                       .arg(compare(aa.experts_total, ab.experts_total).toHtmlEscaped(),
                            compare(aa.experts_activated, ab.experts_activated).toHtmlEscaped(),
                            equal ? tr("The ladder claim holds: the same expert budget, in total and per token.")
                                  : tr("These two models do not have the same expert budget.")));
}

void AccountingView::fitTable() {
    table_->resizeColumnsToContents();
    // As tall as its rows: the table never scrolls, so a grab or an export shows all of it.
    int height = table_->horizontalHeader()->sizeHint().height() + 2 * table_->frameWidth();
    for (int r = 0; r < table_->rowCount(); ++r) height += table_->rowHeight(r);
    table_->setFixedHeight(height);
    // As wide as its columns: no stretched empty column, and the export is no wider than the table.
    int width = 2 * table_->frameWidth();
    for (int c = 0; c < table_->columnCount(); ++c) width += table_->columnWidth(c);
    table_->setFixedWidth(width);
}

void AccountingView::changeEvent(QEvent* event) {
    View::changeEvent(event);
    // Presentation mode's larger text: the table takes the size of its wider columns and taller header.
    if (event->type() == QEvent::FontChange) fitTable();
}

QString AccountingView::ladderNote() const {
    refresh();
    return note_->text();
}

QString AccountingView::csv() const {
    QString out = csv_row({"model", "row", "total", "activated", "flops"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m)
        for (const Row& r : rows_of(snapshot_->models[std::size_t(m)].accounting))
            out += csv_row({model_letter(m), r.key, QString::number(r.total), QString::number(r.activated),
                            r.flops ? csv_number(*r.flops) : QString()});
    return out;
}

bool AccountingView::exportTo(const QString& dir, QString* error) const {
    refresh();
    // The scrolled content, all of it: at least as wide as the table even where the view shows only a part.
    // Never shown (a background tab): laid out at its natural size so the figure is not squashed.
    if (!isVisible()) {
        content_->ensurePolished();
        content_->resize(content_->size().expandedTo(content_->sizeHint()));
    }
    // Placed now, not when the layout's deferred request would run: a view never shown has no event loop turn of
    // its own before this, and its children would keep the geometry of the empty view it was built as.
    content_->layout()->invalidate();
    content_->layout()->setGeometry(content_->rect());
    // The heading, the table and the note: not the empty space a large window leaves below them.
    const int right = std::max({table_->geometry().right(), heading_->geometry().left() + heading_->sizeHint().width(),
                                note_->geometry().left() + note_->sizeHint().width()});
    const QRect area(0, 0, std::min(content_->width(), right + 10), note_->geometry().bottom() + 10);
    if (!export_widget_images(content_, area, dir, id(), title(), error)) return false;
    return write_text_atomic(QDir(dir).filePath(id() + ".csv"), csv(), error);
}

}  // namespace moe::ui
