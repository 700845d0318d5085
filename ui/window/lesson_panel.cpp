#include "ui/window/lesson_panel.h"

#include "ui/views/view.h"

#include <QLabel>
#include <QVBoxLayout>

namespace moe::ui {

LessonPanel::LessonPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    title_ = new QLabel;
    title_->setWordWrap(true);
    title_->setObjectName("lessonTitle");
    text_ = new QLabel;
    text_->setWordWrap(true);
    text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    text_->setObjectName("lessonText");
    models_ = new QLabel;
    models_->setWordWrap(true);
    layout->addWidget(title_);
    layout->addWidget(models_);
    layout->addWidget(text_);
    layout->addStretch(1);
    setLarge(false);
}

void LessonPanel::setLesson(const Lesson& lesson) {
    title_->setText(lesson.title.isEmpty() ? tr("(untitled lesson)") : lesson.title);
    text_->setText(lesson.text);
    auto line = [](int model, const QString& label) {
        return QString("<span style='color:%1'>&#9632;</span> <b>%2</b> %3")
            .arg(model_colour(model).name(), QString(QChar('A' + model)), label.toHtmlEscaped());
    };
    models_->setText(line(0, lesson.label_a) + "<br>" + line(1, lesson.label_b));
}

void LessonPanel::setLarge(bool large) {
    // Absolute sizes: readable from the back of a room in presentation mode, compact beside the views otherwise.
    title_->setStyleSheet(QString("font-weight: bold; font-size: %1pt;").arg(large ? 17 : 12));
    text_->setStyleSheet(QString("font-size: %1pt;").arg(large ? 16 : 10));
    models_->setStyleSheet(QString("font-size: %1pt;").arg(large ? 14 : 10));
}

QString LessonPanel::text() const { return title_->text() + "\n" + text_->text(); }

}  // namespace moe::ui
