// Writing a view's files: every file goes to a temporary name in the target folder first and is renamed over the
// target only when complete, so an export interrupted half-way never leaves a truncated figure behind.
#pragma once

#include <QRect>
#include <QSize>
#include <QString>

class QCustomPlot;
class QWidget;

namespace moe::ui {

// Writes UTF-8 text (QSaveFile: temporary in the same folder, renamed on commit).
bool write_text_atomic(const QString& path, const QString& text, QString* error);

// <dir>/<id>.png, .svg and .pdf of a plot drawn at `size` (logical pixels; the PNG at twice that for print).
bool export_plot_images(QCustomPlot* plot, const QString& dir, const QString& id, const QString& title, QSize size,
                        QString* error);

// The same for an ordinary widget (tables): the part `area` of it (all of it when empty) as it looks on screen, on
// white; SVG and PDF keep text as text.
bool export_widget_images(QWidget* widget, QRect area, const QString& dir, const QString& id, const QString& title,
                          QString* error);

}  // namespace moe::ui
