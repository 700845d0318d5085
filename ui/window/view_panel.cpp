#include "ui/window/view_panel.h"

#include "ui/views/view.h"
#include "ui/window/export.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QToolButton>
#include <QVBoxLayout>

namespace moe::ui {

ViewPanel::ViewPanel(View* view, QWidget* parent) : QWidget(parent), view_(view) {
    setObjectName("panel_" + view->id());
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(2);

    auto* header = new QHBoxLayout;
    auto* title = new QLabel(QString("<b>%1</b>").arg(view->title().toHtmlEscaped()));
    header->addWidget(title);
    header->addStretch(1);
    why_ = new QToolButton;
    why_->setText(tr("What am I looking at?"));
    why_->setCheckable(true);
    why_->setChecked(true);
    why_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    why_->setArrowType(Qt::DownArrow);
    why_->setAutoRaise(true);
    header->addWidget(why_);

    menu_ = new QMenu(this);
    menu_->addAction(tr("Save as PNG..."), this, [this] { exportAs("png"); });
    menu_->addAction(tr("Save as SVG..."), this, [this] { exportAs("svg"); });
    menu_->addAction(tr("Save as PDF..."), this, [this] { exportAs("pdf"); });
    menu_->addAction(tr("Save data as CSV..."), this, [this] { exportAs("csv"); });
    menu_->addSeparator();
    menu_->addAction(tr("Export all formats to a folder..."), this, [this] { exportFolder(); });
    menu_->addAction(tr("Copy data (CSV)"), this, [this] {
        QApplication::clipboard()->setText(view_->csv());
        emit message(tr("Copied the data of \"%1\"").arg(view_->title()));
    });
    auto* export_button = new QToolButton;
    export_button->setText(tr("Export"));
    export_button->setToolTip(tr("Save this view as PNG, SVG, PDF or CSV (also on right click)"));
    export_button->setMenu(menu_);
    export_button->setPopupMode(QToolButton::InstantPopup);
    export_button->setAutoRaise(true);
    export_button->setObjectName("export_" + view->id());
    header->addWidget(export_button);
    layout->addLayout(header);

    layout->addWidget(view, 1);

    explanation_ = new QLabel(view->explanation());
    explanation_->setWordWrap(true);
    explanation_->setTextFormat(Qt::AutoText);
    explanation_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    explanation_->setFrameShape(QFrame::StyledPanel);
    explanation_->setMargin(6);
    explanation_->setObjectName("explanation_" + view->id());
    layout->addWidget(explanation_);
    connect(why_, &QToolButton::toggled, this, &ViewPanel::setExplanationVisible);
    connect(view, &View::explanationChanged, explanation_, [this] { explanation_->setText(view_->explanation()); });
}

void ViewPanel::setExplanationVisible(bool visible) {
    explanation_->setVisible(visible);
    why_->setArrowType(visible ? Qt::DownArrow : Qt::RightArrow);
    if (why_->isChecked() != visible) why_->setChecked(visible);
}

bool ViewPanel::explanationVisible() const { return why_->isChecked(); }

void ViewPanel::contextMenuEvent(QContextMenuEvent* event) { menu_->exec(event->globalPos()); }

void ViewPanel::exportAs(const QString& format) {
    const QString filter = QString("%1 (*.%2)").arg(format.toUpper(), format);
    const QString path = QFileDialog::getSaveFileName(this, tr("Save \"%1\"").arg(view_->title()),
                                                      QDir::home().filePath(view_->id() + "." + format), filter);
    if (path.isEmpty()) return;
    QString error;
    emit message(export_view_as(*view_, path, &error) ? tr("Saved %1").arg(path) : error);
}

void ViewPanel::exportFolder() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export \"%1\" to").arg(view_->title()));
    if (dir.isEmpty()) return;
    QString error;
    emit message(view_->exportTo(dir, &error) ? tr("Exported %1 to %2").arg(view_->id(), dir) : error);
}

}  // namespace moe::ui
