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

// A QCPTextElement drawn in lines wrapped to the width of its last layout. It asks the layout for no width at all
// (it takes its column's) and for the height of its text wrapped at that width; after each layout the plot's text
// keeper (below) re-wraps it to the width it was given and lays the figure out again when its height changes.
class WrappingTitle : public QCPTextElement {
public:
    WrappingTitle(QCustomPlot* plot, const QFont& font) : QCPTextElement(plot, QString(), font) {}

    QString shown() const {
        const QFont font = mainFont();
        if (cached_text_ != mText || cached_width_ != wrap_width_ || cached_font_ != font) {
            cached_text_ = mText;
            cached_width_ = wrap_width_;
            cached_font_ = font;
            cached_shown_ = wrap_title(mText, font, wrap_width_);
        }
        return cached_shown_;
    }

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
    mutable QString cached_text_, cached_shown_;
    mutable int cached_width_ = -1;
    mutable QFont cached_font_;
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

// ---- the keeper -------------------------------------------------------------------------------------------------

void relayout(QCustomPlot* plot) {
    for (const auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
        plot->plotLayout()->update(phase);
}

// Keeps one plot's text settled. It watches the font of the widget around the plot, and after every layout of the
// figure (a replot or an export) scales the fonts, reflows the legends and re-wraps the titles, laying the figure out
// again when that changed a size. Lives as a child of the plot.
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
        if (fonts) relayout(plot_);
        // Widths do not depend on heights: a legend's new rows or a title's new lines settle in one more layout.
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

QString wrap_title(const QString& text, const QFont& font, int width) {
    if (width <= 0) return text;
    LineFiller filler(font, width);
    QStringList lines;
    for (const QString& line : text.split(QLatin1Char('\n'))) lines << wrap_line(line, filler);
    return lines.join(QLatin1Char('\n'));
}

void fit_legend_to_width(QCPLegend* legend) { legend->setProperty(kFitWidth, true); }

}  // namespace moe::ui
