// Text in the QCustomPlot figures that stays whole and readable at any size and in presentation mode.
//
// A plot made with make_plot follows the font of the widget around it: presentation mode enlarges the window's font,
// and with it every axis label, tick label, title, legend, note and colour-scale label of the plot, whether the plot
// was made before or after the switch, and they shrink again when it is switched off. Titles made with
// make_wrapping_title wrap to the width they are given, and legends passed to fit_legend_to_width reflow into as many
// rows as they need. All of it is settled each time the figure is laid out, on screen and for export.
//
// Axis rects and colour scales are kept tall enough for the text along their vertical axes at the current size
// (each axis label whole, tick labels one above another), so a figure too tall for its window needs more height rather
// than drawing texts over each other: content_height says how much, and grow_to_content lets the plot take it (in a
// scroll area).
#pragma once

#include <QString>
#include <QStringList>

class QCPColorScale;
class QCPItemText;
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

// A colour scale (the caller adds it to a layout) that keeps the minimum height its axis text needs: QCustomPlot's own
// resets it at every layout.
QCPColorScale* make_colour_scale(QCustomPlot* plot);

// A note (a text item; the caller places it) whose lines wrap, as wrap_title does, to the room its axis rect leaves
// beside its position (for its horizontal alignment), so it never runs past its panel. text() stays as set.
QCPItemText* make_wrapping_note(QCustomPlot* plot);
// A note's text as drawn: a wrapping note's lines at the last layout; any other note's own text.
QString shown_text(const QCPItemText* note);

// `text` in lines no wider than `width` pixels in `font` (width <= 0: unchanged). Its own line breaks are kept; a line
// too wide breaks between the parts it lists (" · " or a wide gap, e.g. "layer 0 · max/mean 2.1 · CV 0.4"), keeping a
// lone model letter with its label ("A · DeepSeekMoE"); a part too wide breaks between words, and a word too wide is
// elided ("…").
QString wrap_title(const QString& text, const QFont& font, int width);

// Lets a legend reflow to its width: as many items per row as fit, in as many rows as that takes.
void fit_legend_to_width(QCPLegend* legend);

// The height (pixels) the figure needs for none of its text to be squeezed or cut, at the width and font of its last
// layout: titles and legends whole, every axis rect and colour scale as tall as the text along its vertical axes.
int content_height(const QCustomPlot* plot);

// Keeps the plot's minimum height at content_height (at least `floor`), now and after every layout: the widget around
// the plot must let it be that tall (a QScrollArea, or a layout with the room). Called again, it changes the floor.
void grow_to_content(QCustomPlot* plot, int floor);

// For checks (tests): what is wrong with the figure's text at its last layout, one line each; empty when every title
// line, legend entry, axis label and (unrotated) note stands apart from the others and inside the figure, every note
// inside the panel that places it, and every vertical axis has room for its tick labels. An axis label is taken as
// its length along the rect it labels, across the whole margin on its side.
QStringList text_collisions(const QCustomPlot* plot);

}  // namespace moe::ui
