#include "ui/views/traffic_view.h"

#include "ui/views/plot_text.h"
#include "ui/views/relative_load.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

namespace moe::ui {

namespace {

// A signed number with a true minus sign, so "+0.012" and "−0.012" line up and read as a difference.
QString signed_number(double v, int decimals) {
    const QString digits = QString::number(std::abs(v), 'f', decimals);
    if (digits.toDouble() == 0) return digits;  // no "+0.000"
    return (v > 0 ? QStringLiteral("+") : QStringLiteral("−")) + digits;
}

// The power of 1024 that keeps a byte count between 1 and 1024: (divisor, unit name).
std::pair<double, QString> byte_unit(double bytes) {
    const char* names[] = {"B", "KiB", "MiB", "GiB"};
    double divisor = 1;
    int i = 0;
    while (i < 3 && bytes >= 1024 * divisor) {
        divisor *= 1024;
        ++i;
    }
    return {divisor, QString::fromLatin1(names[i])};
}

QString bytes_text(double bytes) {
    const auto [divisor, unit] = byte_unit(bytes);
    const double v = bytes / divisor;
    return QStringLiteral("%1 %2").arg(v, 0, 'f', v >= 100 ? 0 : v >= 10 ? 1 : 2).arg(unit);
}

// The mean of a per-step series over the last tenth of the steps run so far (NaN when empty): one step's bytes
// depend on its batch, a few dozen steps give the level the model has settled on.
double late_mean(const Series& s) {
    const std::size_t n = std::min(s.x.size(), s.y.size());
    if (n == 0) return std::numeric_limits<double>::quiet_NaN();
    const double from = 0.9 * s.x[n - 1];
    double sum = 0;
    int count = 0;
    for (std::size_t i = n; i-- > 0 && (count == 0 || s.x[i] > from);) {
        sum += s.y[i];
        ++count;
    }
    return sum / count;
}

QString one_device_note(int model) {
    return QObject::tr("model %1 runs on one device:\nset devices > 1 (e.g. devices=8,\ndevice_limit=2) to "
                       "simulate\nexpert parallelism")
        .arg(model_letter(model));
}

QString limit_text(const ModelSnapshot& ms) {
    const int M = ms.config.model.device_limit;
    return M > 0 ? QObject::tr("limit %1").arg(M) : QObject::tr("no limit");
}

// B − A: the validation-loss difference and how B's dispatch bytes per step compare with A's.
QString summary_text(const Snapshot& s) {
    const ModelSnapshot& a = s.models[0];
    const ModelSnapshot& b = s.models[1];
    // Nothing to compare: the cost in loss of a device limit means something only when a model simulates devices.
    if (a.devices <= 1 && b.devices <= 1)
        return QObject::tr("A and B each run on one device: no traffic to compare (set devices > 1 on a model)");
    QStringList parts;
    // final_val_loss is NaN before the first evaluation in a session's snapshot, but 0 in a default-made one.
    auto evaluated = [](const ModelSnapshot& ms) { return !ms.val_loss.y.empty() && std::isfinite(ms.final_val_loss); };
    if (evaluated(a) && evaluated(b))
        parts << QObject::tr("Δ val loss = %1 nats").arg(signed_number(b.final_val_loss - a.final_val_loss, 3));
    else
        parts << QObject::tr("Δ val loss: no validation yet");
    const double ba = late_mean(a.dispatch_bytes), bb = late_mean(b.dispatch_bytes);
    if (a.devices <= 1 || b.devices <= 1)
        parts << QObject::tr("bytes: %1 runs on one device (no traffic)").arg(model_letter(a.devices <= 1 ? 0 : 1));
    else if (std::isnan(ba) || std::isnan(bb))
        parts << QObject::tr("bytes/step: no step yet");
    else if (ba == 0)
        parts << QObject::tr("bytes/step: A sends none, B %1").arg(bytes_text(bb));
    else {
        // Relative to A (the sign says which way); the saving is counted from the larger of the two.
        const int less = bb < ba ? 1 : 0;
        const double saved = 100.0 * (1.0 - std::min(ba, bb) / std::max(ba, bb));
        parts << QObject::tr("dispatch bytes/step %1 %").arg(signed_number(100.0 * (bb - ba) / ba, 0));
        // The numbers behind the percentage on a line of their own: one line would not fit a narrow window.
        QString detail = QObject::tr("\nA %1, B %2 per step").arg(bytes_text(ba), bytes_text(bb));
        if (bb != ba) detail += QObject::tr(": %1 sends %2 % less").arg(model_letter(less)).arg(saved, 0, 'f', 0);
        return QStringLiteral("B − A: ") + parts.join(QStringLiteral(" · ")) + detail;
    }
    return QStringLiteral("B − A: ") + parts.join(QStringLiteral(" · "));
}

// A curve per model in its colour.
QCPGraph* add_model_curve(QCustomPlot* plot, QCPAxisRect* rect, int model) {
    QCPGraph* g = plot->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    g->setPen(QPen(model_colour(model), 1.6));
    g->setName(model_letter(model));
    return g;
}

}  // namespace

TrafficView::TrafficView(QWidget* parent) : HeatmapView(parent) {
    addLayerSelector(false);
    QCustomPlot* p = plot();
    QCPLegend* legend = add_bottom_legend(p);  // row 1, under the panels (row 0)
    QCPLayoutGrid* layout = p->plotLayout();

    // Over everything: the comparison the lesson asks about.
    layout->insertRow(0);
    QFont bold = p->font();
    bold.setPointSizeF(bold.pointSizeF() + 1);
    bold.setBold(true);
    summary_ = make_wrapping_title(p, bold);  // wraps between its facts in a narrow window
    layout->addElement(0, 0, summary_);
    buildPanels();
    // Under both panels: the curves over the steps.
    layout->insertRow(2);
    auto* curves = new QCPLayoutGrid;
    layout->addElement(2, 0, curves);
    buildCurves(curves);
    layout->setRowStretchFactor(0, 0.001);  // the summary: as tall as its text
    layout->setRowStretchFactor(1, 3);      // the panels
    layout->setRowStretchFactor(2, 1.3);    // the curves

    // One row: the bars are in the model colours already, so they need no entry of their own.
    legend->setIconSize(22, 12);
    for (QCPAbstractPlottable* item :
         std::initializer_list<QCPAbstractPlottable*>{bytes_[0], bytes_[1], balanced_[0], local_[0]})
        item->addToLegend(legend);
}

void TrafficView::buildPanels() {
    QCustomPlot* p = plot();
    QFont title_font = p->font();
    title_font.setBold(true);
    auto* load_align = new QCPMarginGroup(p);
    for (int m = 0; m < 2; ++m) {
        ModelPanel& panel = panels_[std::size_t(m)];
        // The titles (the lesson's model label, then layer, devices, limit, load) are long for a half-width panel in
        // a window with docks: in the plain size, under the bold summary line.
        panel.title->setFont(title_font);
        QCPAxis* dst = panel.rect->axis(QCPAxis::atTop);
        QCPAxis* src = panel.rect->axis(QCPAxis::atLeft);
        // Destinations along the top like a matrix's column heads; the load bars below share the same columns.
        panel.rect->axis(QCPAxis::atBottom)->setVisible(false);
        dst->setVisible(true);
        dst->setLabel(tr("to device (experts)"));
        // Labels along vertical axes in two short lines: a long one makes its panel taller (plot_text.h).
        src->setLabel(tr("from device\n(home)"));
        src->setRangeReversed(true);  // device 0 on top, like a table
        use_integer_ticks(dst);
        use_integer_ticks(src);
        panel.scale->axis()->setLabel(tr("token-copies\nsent"));
        // Few ticks on the short axes (the matrix, the curves): each tick label needs its line of the axis' height.
        panel.scale->axis()->ticker()->setTickCount(4);
        // Grey crosses on the diagonal: they show on the dark (empty) cells there and in the white legend alike.
        QCPGraph* local = p->addGraph(panel.rect->axis(QCPAxis::atBottom), src);
        local->setLineStyle(QCPGraph::lsNone);
        local->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, QPen(QColor(175, 175, 175), 1.6),
                                               Qt::NoBrush, 7));
        local->setName(tr("diagonal: no copy"));
        local_[std::size_t(m)] = local;

        auto* rect = new QCPAxisRect(p, true);
        panel.grid->addElement(1, 0, rect);
        panel.grid->setRowStretchFactor(0, 2.2);  // the matrix gets most of the height, the bars the rest
        panel.grid->setRowStretchFactor(1, 1);
        for (QCPAxis* axis : rect->axes()) axis->setLayer("axes");
        // Bars under the matrix's columns (left and right edges aligned); A's and B's bars level with each other.
        auto* columns = new QCPMarginGroup(p);
        rect->setMarginGroup(QCP::msLeft | QCP::msRight, columns);
        panel.rect->setMarginGroup(QCP::msLeft | QCP::msRight, columns);
        rect->setMarginGroup(QCP::msTop | QCP::msBottom, load_align);
        QCPAxis* x = rect->axis(QCPAxis::atBottom);
        QCPAxis* y = rect->axis(QCPAxis::atLeft);
        x->setLabel(tr("device"));
        y->setLabel(tr("device load\n/ mean"));
        x->grid()->setVisible(false);
        use_integer_ticks(x);
        y->ticker()->setTickCount(3);  // a short axis: 0, 200, 400 reads better than 0, 50, 100 ... 400
        load_rect_[std::size_t(m)] = rect;
        load_bars_[std::size_t(m)] = add_model_bars(x, y, m);
        QCPGraph* balanced = p->addGraph(x, y);
        balanced->setPen(QPen(QColor(60, 60, 60), 1.5, Qt::DashLine));
        balanced->setName(tr("balanced device load (1)"));
        balanced_[std::size_t(m)] = balanced;
    }
}

void TrafficView::buildCurves(QCPLayoutGrid* grid) {
    QCustomPlot* p = plot();
    grid->setColumnSpacing(28);
    bytes_rect_ = new QCPAxisRect(p, true);
    remote_rect_ = new QCPAxisRect(p, true);
    grid->addElement(0, 0, bytes_rect_);
    grid->addElement(0, 1, remote_rect_);
    auto* align = new QCPMarginGroup(p);
    for (QCPAxisRect* rect : {bytes_rect_, remote_rect_}) {
        for (QCPAxis* axis : rect->axes()) axis->setLayer("axes");
        rect->setMarginGroup(QCP::msTop | QCP::msBottom, align);
        rect->axis(QCPAxis::atBottom)->setLabel(tr("step"));
        rect->axis(QCPAxis::atLeft)->ticker()->setTickCount(3);
    }
    remote_rect_->axis(QCPAxis::atLeft)->setLabel(tr("remote devices\nper token"));
    for (int m = 0; m < 2; ++m) {
        bytes_[std::size_t(m)] = add_model_curve(p, bytes_rect_, m);
        remote_[std::size_t(m)] = add_model_curve(p, remote_rect_, m);
    }
    curves_note_ = add_empty_note(p, bytes_rect_);
}

QString TrafficView::notApplicable() const {
    if (!snapshot_) return {};
    for (const ModelSnapshot& ms : snapshot_->models)
        if (!(ms.devices <= 1)) return {};
    return tr("neither model simulates devices (set devices > 1 on a model to see its traffic)");
}

QString TrafficView::explanation() const {
    return tr(
        "Simulated expert parallelism. The routed experts of every MoE layer live on D devices and each token "
        "starts on a home device (the batch is split evenly). Dispatch: a token sends one copy of its hidden "
        "state to each distinct other device among its top-k experts' devices; combine sends the results back "
        "the same way (the transposed matrix, the same bytes). bytes = token-copies x hidden_size x 4 (float32). "
        "Device-limited routing (DeepSeek-V2) with limit M: each token first keeps the M devices whose best "
        "expert affinity max_{j on device} s_j is highest, then takes its top-k among their experts, so it "
        "reaches at most M devices. Matrix: the selected layer's dispatch in the latest routing sample, row = "
        "home device, column = receiving device; the diagonal stays home and sends nothing. A and B share one "
        "colour scale (the largest cell of either), so the same colour is the same number of copies and a model "
        "that sends less looks paler. Bars: the token-expert pairs computed on each device over the mean per "
        "device (1 = balanced, the dashed line; one y-axis for A and B), title: device MaxVio = max/mean − 1. "
        "Curves: dispatch "
        "bytes per step summed over the MoE layers (the all-to-all moves twice that with combine) and the "
        "distinct remote devices a token visits (mean over tokens and layers). Top line: Δ val loss = "
        "L_val(B) − L_val(A) at the latest evaluation (above 0: B is worse), and B's dispatch bytes per step "
        "relative to A's, (B − A) / A, with the bytes averaged over the last tenth of the steps.");
}

QString TrafficView::summary() const {
    refresh();
    return summary_->text();
}

QString TrafficView::panelTitle(int model) const {
    refresh();
    return panels_[std::size_t(model)].title->text();
}

std::vector<double> TrafficView::shownLoads(int model) const {
    refresh();
    std::vector<double> out;
    const QCPBars* bars = load_bars_[std::size_t(model)];
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) out.push_back(it->value);
    return out;
}

double TrafficView::loadAxisTop(int model) const {
    refresh();
    return load_rect_[std::size_t(model)]->axis(QCPAxis::atLeft)->range().upper;
}

QString TrafficView::curvesNote() const {
    refresh();
    return curves_note_->realVisibility() ? curves_note_->text() : QString();
}

void TrafficView::rebuild() {
    // One colour range for both matrices: the largest cell of the selected layer over A and B (of every layer with
    // global normalisation), so the same colour is the same number of token-copies in both. One y-axis for both
    // models' device loads, too: the tallest bar of either, at least the balanced level 1 (and some room above).
    double largest = 0, tallest = 1;
    if (snapshot_)
        for (int m = 0; m < 2; ++m) {
            const ModelSnapshot& ms = snapshot_->models[std::size_t(m)];
            const LayerSnapshot* selected = selectedLayer(m);
            if (ms.devices <= 1) continue;
            for (const LayerSnapshot& l : ms.layers) {
                if (!globalNormalisation() && &l != selected) continue;
                for (const auto& row : l.traffic)
                    for (double v : row) largest = std::max(largest, v);
            }
            if (selected)
                for (double v : relative_to_mean(selected->device_load)) tallest = std::max(tallest, v);
        }
    applySharedRange(largest);
    for (int m = 0; m < 2; ++m) rebuildPanel(m, nice_ceiling(tallest * 1.1));
    rebuildCurves();
    summary_->setText(snapshot_ ? summary_text(*snapshot_) : tr("no data yet"));
}

void TrafficView::rebuildPanel(int m, double load_top) {
    const std::size_t mi = std::size_t(m);
    ModelPanel& panel = panels_[mi];
    const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[mi] : nullptr;
    const LayerSnapshot* l = selectedLayer(m);
    const int D = l ? int(l->traffic.size()) : 0;
    const QString note = !ms              ? tr("no data yet")
                         : ms->devices <= 1 ? one_device_note(m)
                         : !l             ? no_layer_note(*ms)
                         : D < 2          ? tr("no routing sample yet")
                                          : QString();
    setNote(m, note);
    load_rect_[mi]->setVisible(note.isEmpty());
    if (!note.isEmpty()) {
        panel.title->setText(ms ? model_name(*snapshot_, m) : model_letter(m));
        panel.map->data()->clear();
        for (QCPGraph* g : {local_[mi], balanced_[mi]}) g->data()->clear();
        load_bars_[mi]->data()->clear();
        return;
    }

    // The matrix: key (x) = receiving device, value (y) = home device.
    QCPColorMapData* data = panel.map->data();
    if (data->keySize() != D || data->valueSize() != D) data->setSize(D, D);
    data->setRange(QCPRange(0, D - 1), QCPRange(0, D - 1));
    QVector<double> diagonal(D);
    for (int src = 0; src < D; ++src) {
        const std::vector<double>& row = l->traffic[std::size_t(src)];
        for (int dst = 0; dst < D; ++dst)
            data->setCell(dst, src, std::size_t(dst) < row.size() ? row[std::size_t(dst)] : 0.0);
        diagonal[src] = src;
    }
    local_[mi]->setData(diagonal, diagonal, true);
    for (QCPAxis* axis : {panel.rect->axis(QCPAxis::atBottom), panel.rect->axis(QCPAxis::atTop),
                          panel.rect->axis(QCPAxis::atLeft), load_rect_[mi]->axis(QCPAxis::atBottom)})
        axis->setRange(-0.5, D - 0.5);

    // The work on each device over the mean work per device: 1 = balanced, the same for any D and batch.
    const std::vector<double> load = relative_to_mean(l->device_load);
    const int n = int(load.size());
    QVector<double> keys(n);
    std::iota(keys.begin(), keys.end(), 0.0);
    load_bars_[mi]->setData(keys, QVector<double>(load.begin(), load.end()), true);
    balanced_[mi]->setData(QVector<double>{-0.5, D - 0.5}, QVector<double>{1.0, 1.0}, true);
    load_rect_[mi]->axis(QCPAxis::atLeft)->setRange(0, load_top);

    QString line = tr("layer %1 · %2 devices, %3").arg(l->layer).arg(D).arg(limit_text(*ms));
    if (n > 0 && std::accumulate(load.begin(), load.end(), 0.0) > 0)
        line += tr(" · device MaxVio %1").arg(max_violation_of(load), 0, 'f', 2);
    panel.title->setText(model_name(*snapshot_, m) + QLatin1Char('\n') + line);
}

void TrafficView::rebuildCurves() {
    double max_bytes = 0, max_remote = 0, first = std::numeric_limits<double>::infinity(), last = -first;
    bool any_devices = false;
    if (snapshot_)
        for (const ModelSnapshot& ms : snapshot_->models) {
            any_devices = any_devices || ms.devices > 1;
            for (const Series* s : {&ms.dispatch_bytes, &ms.remote_devices})
                if (!s->x.empty()) {
                    first = std::min(first, s->x.front());
                    last = std::max(last, s->x.back());
                }
            for (double v : ms.dispatch_bytes.y) max_bytes = std::max(max_bytes, v);
            for (double v : ms.remote_devices.y) max_remote = std::max(max_remote, v);
        }
    const bool any = first <= last;
    // Nothing to draw: bare space with the note. The axes go, not the axis rects: the note is placed by one of them,
    // and an item anchored to a hidden axis rect is hidden with it.
    for (QCPAxisRect* rect : {bytes_rect_, remote_rect_})
        for (QCPAxis* axis : rect->axes(QCPAxis::atLeft | QCPAxis::atBottom)) axis->setVisible(any);
    curves_note_->setText(any              ? QString()
                          : !snapshot_     ? tr("no data yet")
                          : !any_devices   ? tr("no traffic: A and B run on one device")
                                           : tr("no step yet"));
    const auto [divisor, unit] = byte_unit(max_bytes);
    bytes_rect_->axis(QCPAxis::atLeft)->setLabel(tr("dispatch\n%1 / step").arg(unit));
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot* ms = snapshot_ ? &snapshot_->models[std::size_t(m)] : nullptr;
        const Series empty;
        const Series& bytes = ms ? ms->dispatch_bytes : empty;
        const Series& remote = ms ? ms->remote_devices : empty;
        QVector<double> scaled;
        for (double v : bytes.y) scaled << v / divisor;
        bytes_[std::size_t(m)]->setData(QVector<double>(bytes.x.begin(), bytes.x.end()), scaled);
        remote_[std::size_t(m)]->setData(QVector<double>(remote.x.begin(), remote.x.end()),
                                         QVector<double>(remote.y.begin(), remote.y.end()));
    }
    if (!any) return;
    const double pad = first < last ? 0.01 * (last - first) : 0.5;
    for (QCPAxisRect* rect : {bytes_rect_, remote_rect_}) rect->axis(QCPAxis::atBottom)->setRange(first - pad, last + pad);
    bytes_rect_->axis(QCPAxis::atLeft)->setRange(0, nice_ceiling(max_bytes / divisor * 1.08));
    remote_rect_->axis(QCPAxis::atLeft)->setRange(0, nice_ceiling(max_remote * 1.08));
}

QString TrafficView::csv() const {
    // One long table: `quantity` says what a row is and which of step / layer / src / dst / device it fills.
    QString out = csv_row({"model", "quantity", "step", "layer", "src", "dst", "device", "value"});
    if (!snapshot_) return out;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot_->models[std::size_t(m)];
        const QString M = model_letter(m);
        auto row = [&](const QString& quantity, const QString& step, const QString& layer, const QString& src,
                       const QString& dst, const QString& device, const QString& value) {
            out += csv_row({M, quantity, step, layer, src, dst, device, value});
        };
        row("devices", {}, {}, {}, {}, {}, QString::number(ms.devices));
        row("device_limit", {}, {}, {}, {}, {}, QString::number(ms.config.model.device_limit));
        row("final_val_loss", {}, {}, {}, {}, {}, csv_number(ms.final_val_loss));
        row("recent_dispatch_bytes_per_step", {}, {}, {}, {}, {}, csv_number(late_mean(ms.dispatch_bytes)));
        for (const LayerSnapshot& l : ms.layers) {
            const QString layer = QString::number(l.layer);
            for (std::size_t src = 0; src < l.traffic.size(); ++src)
                for (std::size_t dst = 0; dst < l.traffic[src].size(); ++dst)
                    row("dispatch_copies", {}, layer, QString::number(src), QString::number(dst), {},
                        csv_number(l.traffic[src][dst]));
            for (std::size_t d = 0; d < l.device_load.size(); ++d)
                row("device_load", {}, layer, {}, {}, QString::number(d), csv_number(l.device_load[d]));
        }
        const std::array<std::pair<QString, const Series*>, 2> curves{
            {{"step_dispatch_bytes", &ms.dispatch_bytes}, {"step_remote_devices", &ms.remote_devices}}};
        for (const auto& [quantity, s] : curves)
            for (std::size_t i = 0; i < s->x.size() && i < s->y.size(); ++i)
                row(quantity, csv_number(s->x[i]), {}, {}, {}, {}, csv_number(s->y[i]));
    }
    return out;
}

}  // namespace moe::ui
