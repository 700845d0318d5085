// Training > Run seeds...: MainWindow's one entry into the sweep dialog, kept out of main_window.cpp so the dialog
// needs no more of the window than its lesson and its Compute choice.
#include "ui/window/main_window.h"
#include "ui/window/sweep_dialog.h"

#include <QComboBox>

namespace moe::ui {

void MainWindow::openSweepDialog() {
    // A new dialog each time, for the lesson as it is now; an earlier one keeps its own lesson and may still run.
    // As the window's child it is deleted (its sweep stopped and joined) with the window at the latest.
    auto* dialog = new SweepDialog(lesson(), compute_->currentData().toString(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

}  // namespace moe::ui
