// Text in the QCustomPlot figures that stays whole and readable at any size and in presentation mode.
//
// A plot made with make_plot follows the font of the widget around it: presentation mode enlarges the window's font,
// and with it every axis label, tick label, title, legend, note and colour-scale label of the plot, whether the plot
// was made before or after the switch, and they shrink again when it is switched off. Titles made with
// make_wrapping_title wrap to the width they are given, and legends passed to fit_legend_to_width reflow into as many
// rows as they need. All of it is settled each time the figure is laid out, on screen and for export.
#pragma once

#include <QString>

class QCPLegend;
class QCPTextElement;
class QCustomPlot;
class QFont;
class QWidget;

namespace moe::ui {

// A QCustomPlot (not yet in a layout: the caller adds it) whose text is drawn at the application font's sizes times
// font_source's font size over the application font's size.
QCustomPlot* make_plot(QWidget* font_source);

// A title that breaks into lines no wider than the width the layout gives it (see wrap_title), never running past its
// panel nor widening the figure.
QCPTextElement* make_wrapping_title(QCustomPlot* plot, const QFont& font);
// The text as drawn: a wrapping title's lines at its width of the last layout; any other element's own text.
QString shown_text(const QCPTextElement* element);

// `text` in lines no wider than `width` pixels in `font` (width <= 0: unchanged). Its own line breaks are kept; a line
// too wide breaks between the parts it lists (" · " or a wide gap, e.g. "layer 0 · max/mean 2.1 · CV 0.4"), keeping a
// lone model letter with its label ("A · DeepSeekMoE"); a part too wide breaks between words, and a word too wide is
// elided ("…").
QString wrap_title(const QString& text, const QFont& font, int width);

// Lets a legend reflow to its width: as many items per row as fit, in as many rows as that takes.
void fit_legend_to_width(QCPLegend* legend);

}  // namespace moe::ui
