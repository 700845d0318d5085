#include "ui/views/view.h"

namespace moe::ui {

QColor model_colour(int model) {
    // The two colours of the common "tab10" palette: blue and orange stay distinct under the usual colour-vision
    // deficiencies (unlike red/green) and print as different greys.
    return model == 0 ? QColor(0x1f, 0x77, 0xb4) : QColor(0xff, 0x7f, 0x0e);
}

void View::setSnapshot(const SnapshotPtr& snapshot) {
    // The session publishes a new serial with every snapshot: the same serial means nothing new to draw.
    if (snapshot && snapshot_ && (snapshot == snapshot_ || snapshot->serial == snapshot_->serial)) return;
    if (!snapshot && !snapshot_) return;
    snapshot_ = snapshot;
    requestRebuild();
}

void View::requestRebuild() {
    dirty_ = true;
    if (isVisible()) refresh();
}

void View::refresh() const {
    if (!dirty_) return;
    dirty_ = false;
    ++draw_count_;
    // Logically const: brings what is drawn up to date with data the view already holds.
    auto* self = const_cast<View*>(this);
    self->draw();
    if (QString text = explanation(); text != explained_) {
        explained_ = std::move(text);
        emit self->explanationChanged();
    }
}

void View::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    refresh();
}

}  // namespace moe::ui
