#include "ui/views/plot_text.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QFontMetricsF>
#include <QPointer>
#include <QRegularExpression>
#include <QScopedValueRollback>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace moe::ui {

namespace {

constexpr char kFitWidth[] = "moelab_fit_width";  // set on the legends that reflow to their width

// ---- wrapping ---------------------------------------------------------------------------------------------------

// One part of a title line, kept whole while it fits: the text between two separators, and the separator before it.
struct Part {
    QString separator;
    QString text;
};

// The parts of one line: separated by " · " (facts in a list) or by a gap of several spaces (two labels side by side).
std::vector<Part> parts_of(const QString& line) {
    static const QRegularExpression separator(QStringLiteral(" · | {2,}"));
    std::vector<Part> parts;
    QString before;
    qsizetype at = 0;
    QRegularExpressionMatchIterator it = separator.globalMatch(line);
    while (true) {
        const QRegularExpressionMatch match = it.hasNext() ? it.next() : QRegularExpressionMatch();
        const bool last = !match.hasMatch();
        const QString text = line.mid(at, (last ? line.size() : match.capturedStart()) - at);
        // A lone model letter stays with the label after it: "A · DeepSeekMoE", never "A" on a line of its own.
        if (!parts.empty() && parts.back().text.size() == 1)
            parts.back().text += before + text;
        else
            parts.push_back({before, text});
        if (last) return parts;
        before = match.captured();
        at = match.capturedEnd();
    }
}

// Lines filled greedily: a piece joins the current line (after its glue) while the line stays narrow enough.
class LineFiller {
public:
    LineFiller(const QFont& font, int width) : metrics_(font), width_(width) {}

    bool fits(const QString& text) const { return metrics_.horizontalAdvance(text) <= width_; }
    QString elided(const QString& word) const { return metrics_.elidedText(word, Qt::ElideRight, width_); }

    void add(const QString& glue, const QString& piece) {
        if (!current_.isEmpty() && fits(current_ + glue + piece)) {
            current_ += glue + piece;
            return;
        }
        endLine();
        current_ = piece;
    }
    void endLine() {
        if (!current_.isEmpty()) lines_ << current_;
        current_.clear();
    }
    QStringList take() {
        endLine();
        return std::exchange(lines_, {});
    }

private:
    QFontMetricsF metrics_;
    double width_;
    QString current_;
    QStringList lines_;
};

QStringList wrap_line(const QString& line, LineFiller& filler) {
    for (const Part& part : parts_of(line)) {
        if (filler.fits(part.text)) {
            filler.add(part.separator, part.text);
            continue;
        }
        // Too wide on its own: on lines of its own, word by word.
        filler.endLine();
        for (const QString& word : part.text.split(QLatin1Char(' '), Qt::SkipEmptyParts))
            filler.add(QStringLiteral(" "), filler.fits(word) ? word : filler.elided(word));
        filler.endLine();
    }
    QStringList lines = filler.take();
    return lines.isEmpty() ? QStringList{QString()} : lines;
}

// `text` wrapped to a width in a font, remembered: titles and notes are drawn 30 times a second, their text and width
// change far less often.
class WrapCache {
public:
    const QString& wrapped(const QString& text, const QFont& font, int width) const {
        if (text_ != text || width_ != width || font_ != font) {
            text_ = text;
            width_ = width;
            font_ = font;
            wrapped_ = wrap_title(text, font, width);
        }
        return wrapped_;
    }

private:
    mutable QString text_, wrapped_;
    mutable int width_ = -1;
    mutable QFont font_;
};

// A QCPTextElement drawn in lines wrapped to the width of its last layout. It asks the layout for no width at all
// (it takes its column's) and for the height of its text wrapped at that width; after each layout the plot's text
// keeper (below) re-wraps it to the width it was given and lays the figure out again when its height changes.
class WrappingTitle : public QCPTextElement {
public:
    WrappingTitle(QCustomPlot* plot, const QFont& font) : QCPTextElement(plot, QString(), font) {}

    QString shown() const { return cache_.wrapped(mText, mainFont(), wrap_width_); }

    // Re-wraps to the width of the last layout; true when that changes the height it needs (a new layout is due).
    bool fitToWidth() {
        if (mRect.width() <= 0 || mRect.width() == wrap_width_) return false;
        const int before = textSize().height();
        wrap_width_ = mRect.width();
        return textSize().height() != before;
    }

protected:
    void draw(QCPPainter* painter) override {
        painter->setFont(mainFont());
        painter->setPen(QPen(mainTextColor()));
        painter->drawText(mRect, mTextFlags, shown(), &mTextBoundingRect);
    }
    QSize minimumOuterSizeHint() const override { return QSize(0, textSize().height()) + marginSize(); }
    QSize maximumOuterSizeHint() const override {
        return QSize(QWIDGETSIZE_MAX, textSize().height() + marginSize().height());
    }

private:
    QSize textSize() const {
        return QFontMetrics(mainFont()).boundingRect(0, 0, 0, 0, Qt::TextDontClip, shown()).size();
    }
    QSize marginSize() const {
        return {mMargins.left() + mMargins.right(), mMargins.top() + mMargins.bottom()};
    }

    int wrap_width_ = 0;  // 0: never laid out, the lines as given
    WrapCache cache_;
};

// A QCPItemText drawn in lines wrapped to the room beside its position inside its axis rect. QCustomPlot draws and
// places a text item from its text member: for those two the wrapped lines stand in for it.
class WrappingNote : public QCPItemText {
public:
    using QCPItemText::QCPItemText;

    QString shown() const { return cache_.wrapped(mText, mainFont(), room()); }

protected:
    void draw(QCPPainter* painter) override {
        const ShownText swap(this);
        QCPItemText::draw(painter);
    }
    QPointF anchorPixelPosition(int anchorId) const override {
        const ShownText swap(this);
        return QCPItemText::anchorPixelPosition(anchorId);
    }

private:
    // While it lives, the note's text member holds the wrapped lines (logically const: nothing else sees it).
    class ShownText {
    public:
        explicit ShownText(const WrappingNote* note)
            : note_(const_cast<WrappingNote*>(note)), text_(std::exchange(note_->mText, note->shown())) {}
        ~ShownText() { note_->mText = text_; }
        ShownText(const ShownText&) = delete;
        ShownText& operator=(const ShownText&) = delete;

    private:
        WrappingNote* note_;
        QString text_;
    };

    // The width from the position to the far edge of the axis rect, on the side(s) the text extends to; 0 (no
    // wrapping) when it is not placed by an axis rect.
    int room() const {
        const QCPAxisRect* rect = position->axisRect();
        if (!rect || rect->rect().width() <= 0) return 0;
        const QRect r = rect->rect();
        const double x = position->pixelPosition().x();
        double width = r.right() - x;                                          // left-aligned: to the right edge
        if (mPositionAlignment & Qt::AlignRight) width = x - r.left();         // right-aligned: to the left edge
        if (mPositionAlignment & Qt::AlignHCenter) width = 2 * std::min(x - r.left(), r.right() - x);
        return std::max(1, int(width) - mPadding.left() - mPadding.right());
    }

    WrapCache cache_;
};

// A colour scale whose minimum height, once set, outlives its layouts: QCustomPlot's sets its minimum size (bar and
// margins wide, 0 tall) in every layout's margin phase, which would undo the room the keeper makes for its label.
class TallColourScale : public QCPColorScale {
public:
    using QCPColorScale::QCPColorScale;

    void update(UpdatePhase phase) override {
        const int height = minimumSize().height();
        QCPColorScale::update(phase);
        if (phase == upMargins && type() != QCPAxis::atTop && type() != QCPAxis::atBottom)
            setMinimumSize(minimumSize().width(), height);
    }
};

// ---- font scale -------------------------------------------------------------------------------------------------

QFont scaled(QFont font, double scale) {
    if (font.pointSizeF() > 0)
        font.setPointSizeF(font.pointSizeF() * scale);
    else if (font.pixelSize() > 0)
        font.setPixelSize(std::max(1, int(std::lround(font.pixelSize() * scale))));
    return font;
}

QSize scaled(QSize size, double scale) {
    return {int(std::lround(size.width() * scale)), int(std::lround(size.height() * scale))};
}

// Sets one setting of `owner` (a font or a size; `name` says which; read with get, written with set, both member
// functions) to its base value times `scale`. The base is the value the plot's code gave it: taken when first seen,
// and again whenever the code has set another one since the last scaling. Returns whether the setting changed.
template <typename Owner, typename Value>
bool scale_setting(Owner* owner, const char* name, double scale, Value (Owner::*get)() const,
                   void (Owner::*set)(const Value&)) {
    const QByteArray base_key = QByteArrayLiteral("moelab_base_") + name;
    const QByteArray shown_key = QByteArrayLiteral("moelab_shown_") + name;
    const Value current = (owner->*get)();
    const QVariant shown = owner->property(shown_key.constData());
    Value base = current;
    if (shown.isValid() && shown.value<Value>() == current)
        base = owner->property(base_key.constData()).template value<Value>();
    else
        owner->setProperty(base_key.constData(), QVariant::fromValue(base));
    const Value wanted = scaled(base, scale);
    if (!shown.isValid() || shown.value<Value>() != wanted)
        owner->setProperty(shown_key.constData(), QVariant::fromValue(wanted));
    if (wanted == current) return false;
    (owner->*set)(wanted);
    return true;
}

// Text elements, text items and legends: a font, and one for when selected. A legend passes its font on to its items
// and new items take it, so the items themselves are left alone.
template <typename Text>
bool scale_text_fonts(Text* text, double scale) {
    const bool plain = scale_setting(text, "font", scale, &Text::font, &Text::setFont);
    const bool selected = scale_setting(text, "selected_font", scale, &Text::selectedFont, &Text::setSelectedFont);
    return plain || selected;
}

bool scale_axis_fonts(QCPAxis* axis, double scale) {
    const bool label = scale_setting(axis, "label_font", scale, &QCPAxis::labelFont, &QCPAxis::setLabelFont);
    const bool ticks = scale_setting(axis, "tick_font", scale, &QCPAxis::tickLabelFont, &QCPAxis::setTickLabelFont);
    const bool selected_label = scale_setting(axis, "selected_label_font", scale, &QCPAxis::selectedLabelFont,
                                              &QCPAxis::setSelectedLabelFont);
    const bool selected_ticks = scale_setting(axis, "selected_tick_font", scale, &QCPAxis::selectedTickLabelFont,
                                              &QCPAxis::setSelectedTickLabelFont);
    return label || ticks || selected_label || selected_ticks;
}

bool scale_fonts(QCPLayerable* part, double scale) {
    if (auto* axis = qobject_cast<QCPAxis*>(part)) return scale_axis_fonts(axis, scale);
    if (auto* element = qobject_cast<QCPTextElement*>(part)) return scale_text_fonts(element, scale);
    if (auto* item = qobject_cast<QCPItemText*>(part)) return scale_text_fonts(item, scale);
    if (auto* legend = qobject_cast<QCPLegend*>(part)) {
        // The icons grow with the text: the rows stay as tall as the text (or "f_i" loses its underscore).
        const bool icons = scale_setting(legend, "icon_size", scale, &QCPLegend::iconSize,
                                         qOverload<const QSize&>(&QCPLegend::setIconSize));
        return scale_text_fonts(legend, scale) || icons;
    }
    return false;
}

// The lines of the plot's graphs scale with the text, and in presentation mode (scale > 1) an opaque line is at least
// kPresentationLine px wide, so a 1.4 px training curve reads from the back of a room. The view's own width is kept
// as the base: a view that sets a new pen (a rebuilt graph) sets a new base.
constexpr double kPresentationLine = 3.0;

void scale_lines(QCustomPlot* plot, double scale) {
    for (int i = 0; i < plot->graphCount(); ++i) {
        QCPGraph* g = plot->graph(i);
        QPen pen = g->pen();
        const QVariant scaled = g->property("moelab_scaled_width");
        if (!scaled.isValid() || scaled.toDouble() != pen.widthF()) g->setProperty("moelab_base_width", pen.widthF());
        const double base = g->property("moelab_base_width").toDouble();
        double width = base * scale;
        if (scale > 1.0 && pen.color().alpha() == 255 && pen.style() != Qt::NoPen)
            width = std::max(width, kPresentationLine);
        pen.setWidthF(width);
        g->setPen(pen);
        g->setProperty("moelab_scaled_width", width);
    }
}

// ---- legends ----------------------------------------------------------------------------------------------------

// The widths the legend's items need, in their order. (itemCount() counts the grid's empty cells too.)
std::vector<int> item_widths(QCPLegend* legend) {
    std::vector<int> widths;
    for (int i = 0; i < legend->itemCount(); ++i)
        if (const QCPLayoutElement* item = legend->item(i)) widths.push_back(item->minimumOuterSizeHint().width());
    return widths;
}

// The most items per row (all of them at most, one at least) whose columns fit the legend's width.
int columns_that_fit(const QCPLegend* legend, const std::vector<int>& widths) {
    const int n = int(widths.size());
    const QMargins margins = legend->margins();
    const int available = legend->outerRect().width() - margins.left() - margins.right();
    for (int columns = n; columns > 1; --columns) {
        int total = (columns - 1) * legend->columnSpacing();
        for (int c = 0; c < columns; ++c) {
            int widest = 0;
            for (int i = c; i < n; i += columns) widest = std::max(widest, widths[std::size_t(i)]);
            total += widest;
        }
        if (total <= available) return columns;
    }
    return 1;
}

// Re-places the items in rows of as many as fit; true when that changed the legend.
bool reflow(QCPLegend* legend) {
    const std::vector<int> widths = item_widths(legend);
    if (widths.empty() || legend->outerRect().width() <= 0) return false;
    const int columns = columns_that_fit(legend, widths);
    const int rows = (int(widths.size()) + columns - 1) / columns;
    if (legend->wrap() == columns && legend->columnCount() == std::min(columns, int(widths.size())) &&
        legend->rowCount() == rows)
        return false;
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);  // true: the items move to their new places now
    return true;
}

// ---- room for the text along the axes ---------------------------------------------------------------------------

constexpr char kBaseMinimumHeight[] = "moelab_base_minimum_height";  // an element's minimum height from its code
constexpr char kGrowFloor[] = "moelab_grow_floor";                    // set on the plots that grow to their content

// The length of an axis label along its axis: its longest line.
int label_length(const QCPAxis* axis) {
    return QFontMetrics(axis->labelFont()).boundingRect(QRect(), Qt::TextDontClip, axis->label()).width();
}

// The height a vertical axis' tick labels take one above another (0 without tick labels).
int tick_labels_height(const QCPAxis* axis) {
    if (!axis->tickLabels()) return 0;
    return int(axis->tickVectorLabels().size()) * QFontMetrics(axis->tickLabelFont()).height();
}

// The inner height an axis rect needs beside its left and right axes: an axis label is centred on the rect, and one
// longer than the rect runs into the labels of the rects above and below it (the rects' margins keep those that fit
// apart); tick labels need their lines one above another.
int vertical_text_height(const QCPAxisRect* rect) {
    int need = 0;
    for (const QCPAxis* axis : rect->axes(QCPAxis::atLeft | QCPAxis::atRight))
        if (axis->visible()) need = std::max({need, label_length(axis), tick_labels_height(axis)});
    return need;
}

// Raises an element's minimum inner height to `needed`, never below the minimum its code gave it (kept when first
// seen). True when the minimum changed.
bool require_height(QCPLayoutElement* element, int needed) {
    QVariant base = element->property(kBaseMinimumHeight);
    if (!base.isValid()) {
        base = element->minimumSize().height();
        element->setProperty(kBaseMinimumHeight, base);
    }
    const int wanted = std::max(base.toInt(), needed);
    if (element->minimumSize().height() == wanted) return false;
    element->setMinimumSize(element->minimumSize().width(), wanted);
    return true;
}

// Every visible axis rect and colour scale as tall as the text along its vertical axes needs; true when a minimum
// changed (a new layout is due).
bool make_room_for_axis_text(QCustomPlot* plot) {
    bool changed = false;
    for (QCPAxisRect* rect : plot->axisRects())
        if (rect->realVisibility()) changed = require_height(rect, vertical_text_height(rect)) || changed;
    for (QCPColorScale* scale : plot->findChildren<QCPColorScale*>()) {
        if (!scale->realVisibility() || !dynamic_cast<TallColourScale*>(scale)) continue;
        // The bar is the scale's own axis rect, inside the scale's margins: the scale needs those on top.
        const QCPAxisRect* bar = scale->axis()->axisRect();
        const int around = scale->rect().height() - bar->rect().height();
        changed = require_height(scale, vertical_text_height(bar) + std::max(0, around)) || changed;
    }
    return changed;
}

// The minimum height a plot that grows to its content should have now: what its content needs, at least its floor;
// its present minimum when it does not grow.
int wanted_minimum_height(const QCustomPlot* plot) {
    const QVariant floor = plot->property(kGrowFloor);
    return floor.isValid() ? std::max(floor.toInt(), content_height(plot)) : plot->minimumHeight();
}

void follow_content(QCustomPlot* plot) {
    const int wanted = wanted_minimum_height(plot);
    if (plot->minimumHeight() != wanted) plot->setMinimumHeight(wanted);
}

// ---- the keeper -------------------------------------------------------------------------------------------------

void relayout(QCustomPlot* plot) {
    for (const auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
        plot->plotLayout()->update(phase);
}

// Keeps one plot's text settled. It watches the font of the widget around the plot, and after every layout of the
// figure (a replot or an export) scales the fonts, makes room for the axis text, reflows the legends and re-wraps the
// titles, laying the figure out again when that changed a size; a plot that grows to its content then gets the
// height it needs. Lives as a child of the plot.
class PlotTextKeeper : public QObject {
public:
    PlotTextKeeper(QCustomPlot* plot, QWidget* font_source) : QObject(plot), plot_(plot), source_(font_source) {
        font_source->installEventFilter(this);
        connect(plot, &QCustomPlot::afterLayout, this, &PlotTextKeeper::settle);
    }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (event->type() == QEvent::FontChange) plot_->replot(QCustomPlot::rpQueuedReplot);
        return QObject::eventFilter(watched, event);
    }

private:
    // The source's font size over the plot's: the plot's own font is pinned to the application font's size.
    double fontScale() const {
        if (!source_) return 1.0;
        const QFont want = source_->font(), base = plot_->font();
        if (want.pointSizeF() > 0 && base.pointSizeF() > 0) return want.pointSizeF() / base.pointSizeF();
        if (want.pixelSize() > 0 && base.pixelSize() > 0) return double(want.pixelSize()) / base.pixelSize();
        return 1.0;
    }

    void settle() {
        if (settling_) return;
        const QScopedValueRollback guard(settling_, true);
        const QList<QCPLayerable*> parts = plot_->findChildren<QCPLayerable*>();
        const double scale = fontScale();
        bool fonts = false;
        for (QCPLayerable* part : parts) fonts = scale_fonts(part, scale) || fonts;
        scale_lines(plot_, scale);
        if (fonts) relayout(plot_);
        if (make_room_for_axis_text(plot_)) relayout(plot_);
        fitToWidths(parts);
        // Not now: a widget resized in the middle of a replot is drawn with the layout of its old size and not
        // replotted (QCustomPlot ignores a replot during one). The resize then replots with the new height.
        if (wanted_minimum_height(plot_) != plot_->minimumHeight())
            QMetaObject::invokeMethod(plot_, [plot = plot_] { follow_content(plot); }, Qt::QueuedConnection);
    }

    // Reflows the legends and re-wraps the titles to their widths. Widths do not depend on heights: a legend's new
    // rows or a title's new lines settle in one more layout.
    void fitToWidths(const QList<QCPLayerable*>& parts) {
        for (int pass = 0; pass < 2; ++pass) {
            bool resized = false;
            for (QCPLayerable* part : parts) {
                auto* legend = qobject_cast<QCPLegend*>(part);
                if (legend && legend->property(kFitWidth).toBool()) resized = reflow(legend) || resized;
                if (auto* title = dynamic_cast<WrappingTitle*>(part)) resized = title->fitToWidth() || resized;
            }
            if (!resized) return;
            relayout(plot_);
        }
    }

    QCustomPlot* plot_;
    QPointer<QWidget> source_;
    bool settling_ = false;
};

// ---- checks -----------------------------------------------------------------------------------------------------

struct TextBox {
    QString name;
    QRect rect;
    QRect panel;  // where it must stay (a note: the axis rect that places it); empty: anywhere in the figure
};

QString describe(const QRect& r) {
    return QStringLiteral("%1x%2 at (%3, %4)").arg(r.width()).arg(r.height()).arg(r.x()).arg(r.y());
}

// An axis label's box: along the axis its length, centred on the rect as QCustomPlot draws it; across, the rect's
// whole margin on the axis' side (where it is drawn, after the ticks and their labels).
QRect label_box(const QCPAxis* axis) {
    const QRect inner = axis->axisRect()->rect(), outer = axis->axisRect()->outerRect();
    const int half = label_length(axis) / 2;
    const QPoint c = inner.center();
    const int top = c.y() - half, bottom = c.y() + half, left = c.x() - half, right = c.x() + half;
    switch (axis->axisType()) {
        case QCPAxis::atLeft: return {QPoint(outer.left(), top), QPoint(inner.left() - 1, bottom)};
        case QCPAxis::atRight: return {QPoint(inner.right() + 1, top), QPoint(outer.right(), bottom)};
        case QCPAxis::atTop: return {QPoint(left, outer.top()), QPoint(right, inner.top() - 1)};
        case QCPAxis::atBottom: break;
    }
    return {QPoint(left, inner.bottom() + 1), QPoint(right, outer.bottom())};
}

// Every visible axis of the plot's axis rects and colour scales.
QList<const QCPAxis*> visible_axes(const QCustomPlot* plot) {
    QList<const QCPAxis*> axes;
    for (const QCPAxisRect* rect : plot->axisRects())
        if (rect->realVisibility())
            for (const QCPAxis* axis : rect->axes())
                if (axis->visible()) axes << axis;
    for (const QCPColorScale* scale : plot->findChildren<QCPColorScale*>())
        if (scale->realVisibility()) axes << scale->axis();
    return axes;
}

std::vector<TextBox> text_boxes(const QCustomPlot* plot) {
    std::vector<TextBox> boxes;
    for (const QCPTextElement* title : plot->findChildren<QCPTextElement*>()) {
        const QString shown = shown_text(title);
        if (!title->realVisibility() || shown.isEmpty()) continue;
        const QRect box = QFontMetrics(title->font()).boundingRect(title->rect(), title->textFlags(), shown);
        boxes.push_back({QStringLiteral("title \"%1\"").arg(shown), box, QRect()});
    }
    for (QCPAbstractLegendItem* item : plot->findChildren<QCPAbstractLegendItem*>())
        if (item->realVisibility() && item->parentLegend() && item->parentLegend()->realVisibility()) {
            auto* entry = qobject_cast<QCPPlottableLegendItem*>(item);
            boxes.push_back({QStringLiteral("legend \"%1\"").arg(entry ? entry->plottable()->name() : QString()),
                             item->rect(), QRect()});
        }
    for (const QCPAxis* axis : visible_axes(plot))
        if (!axis->label().isEmpty())
            boxes.push_back({QStringLiteral("axis label \"%1\"").arg(axis->label()), label_box(axis), QRect()});
    for (const QCPItemText* note : plot->findChildren<QCPItemText*>()) {
        const QString shown = shown_text(note);
        if (!note->realVisibility() || shown.isEmpty() || note->rotation() != 0) continue;
        const QRect box = QRectF(note->topLeft->pixelPosition(), note->bottomRight->pixelPosition()).toRect();
        const QCPAxisRect* panel = note->position->axisRect();
        boxes.push_back({QStringLiteral("note \"%1\"").arg(shown), box, panel ? panel->outerRect() : QRect()});
    }
    return boxes;
}

// Boxes outside the figure or their panel, and pairs of boxes over each other.
QStringList misplaced_text(const std::vector<TextBox>& boxes, const QRect& figure) {
    QStringList problems;
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        const TextBox& box = boxes[i];
        if (!figure.contains(box.rect))
            problems << QStringLiteral("%1 (%2) outside the figure").arg(box.name, describe(box.rect));
        if (!box.panel.isNull() && !box.panel.contains(box.rect))
            problems << QStringLiteral("%1 (%2) out of its panel (%3)")
                            .arg(box.name, describe(box.rect), describe(box.panel));
        for (std::size_t j = i + 1; j < boxes.size(); ++j)
            if (box.rect.intersects(boxes[j].rect))
                problems << QStringLiteral("%1 (%2) over %3 (%4)")
                                .arg(box.name, describe(box.rect), boxes[j].name, describe(boxes[j].rect));
    }
    return problems;
}

// Vertical axes with more tick labels than their rect has lines for.
QStringList crowded_axes(const QCustomPlot* plot) {
    QStringList problems;
    for (const QCPAxis* axis : visible_axes(plot))
        if (axis->orientation() == Qt::Vertical && tick_labels_height(axis) > axis->axisRect()->rect().height())
            problems << QStringLiteral("%1 tick labels of axis \"%2\" in %3 px")
                            .arg(axis->tickVectorLabels().size())
                            .arg(axis->label())
                            .arg(axis->axisRect()->rect().height());
    return problems;
}

}  // namespace

QCustomPlot* make_plot(QWidget* font_source) {
    // Made without a parent, so every default font inside it (axes take the widget's, legends and notes the
    // application's) is the application font: the base sizes the keeper scales. Pinned to that size, so it stays the
    // base once the plot is in a window with a larger font.
    auto* plot = new QCustomPlot;
    QFont base = QApplication::font();
    if (base.pointSizeF() > 0)
        base.setPointSizeF(base.pointSizeF());
    else
        base.setPixelSize(base.pixelSize());
    plot->setFont(base);
    new PlotTextKeeper(plot, font_source);
    return plot;
}

QCPTextElement* make_wrapping_title(QCustomPlot* plot, const QFont& font) { return new WrappingTitle(plot, font); }

QString shown_text(const QCPTextElement* element) {
    if (const auto* title = dynamic_cast<const WrappingTitle*>(element)) return title->shown();
    return element ? element->text() : QString();
}

QCPColorScale* make_colour_scale(QCustomPlot* plot) { return new TallColourScale(plot); }

QCPItemText* make_wrapping_note(QCustomPlot* plot) { return new WrappingNote(plot); }

QString shown_text(const QCPItemText* note) {
    if (const auto* wrapping = dynamic_cast<const WrappingNote*>(note)) return wrapping->shown();
    return note ? note->text() : QString();
}

QString wrap_title(const QString& text, const QFont& font, int width) {
    if (width <= 0) return text;
    LineFiller filler(font, width);
    QStringList lines;
    for (const QString& line : text.split(QLatin1Char('\n'))) lines << wrap_line(line, filler);
    return lines.join(QLatin1Char('\n'));
}

void fit_legend_to_width(QCPLegend* legend) { legend->setProperty(kFitWidth, true); }

int content_height(const QCustomPlot* plot) { return plot->plotLayout()->minimumOuterSizeHint().height(); }

void grow_to_content(QCustomPlot* plot, int floor) {
    plot->setProperty(kGrowFloor, floor);
    follow_content(plot);
}

QStringList text_collisions(const QCustomPlot* plot) {
    return misplaced_text(text_boxes(plot), plot->rect()) + crowded_axes(plot);
}

}  // namespace moe::ui
