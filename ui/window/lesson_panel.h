// The lesson's text for the class: its title, what to look at, and which model is A and which is B (in the colours
// every view uses). In presentation mode the text is shown large enough to read from the back of the room.
#pragma once

#include "ui/session/lesson.h"

#include <QWidget>

class QLabel;

namespace moe::ui {

class LessonPanel : public QWidget {
    Q_OBJECT
public:
    explicit LessonPanel(QWidget* parent = nullptr);
    void setLesson(const Lesson& lesson);
    void setLarge(bool large);  // presentation mode
    QString text() const;

private:
    QLabel* title_ = nullptr;
    QLabel* text_ = nullptr;
    QLabel* models_ = nullptr;
};

}  // namespace moe::ui
