// One view as the window shows it: its title, the plot, an "Export" menu (also on right click) and, under the plot,
// the view's own explanation in a collapsible "What am I looking at?" box, open by default for a class.
#pragma once

#include <QWidget>

class QLabel;
class QToolButton;

namespace moe::ui {

class View;

class ViewPanel : public QWidget {
    Q_OBJECT
public:
    explicit ViewPanel(View* view, QWidget* parent = nullptr);
    View* view() const { return view_; }
    void setExplanationVisible(bool visible);
    bool explanationVisible() const;

signals:
    void message(const QString& text);  // what an export did, for the status bar

private:
    void exportAs(const QString& format);
    void exportFolder();
    void contextMenuEvent(QContextMenuEvent* event) override;

    View* view_;
    QToolButton* why_ = nullptr;
    QLabel* explanation_ = nullptr;
    class QMenu* menu_ = nullptr;
};

}  // namespace moe::ui
