#include "ui/views/view_text.h"

#include "core/config.h"

#include <QObject>

#include <array>
#include <charconv>
#include <cmath>

namespace moe::ui {

QString model_letter(int model) { return model == 0 ? QStringLiteral("A") : QStringLiteral("B"); }

QString model_name(const Snapshot& snapshot, int model) {
    const QString& label = snapshot.models[std::size_t(model)].label;
    if (label.isEmpty() || label == model_letter(model)) return model_letter(model);
    return model_letter(model) + QStringLiteral(" · ") + label;
}

QString byte_label(unsigned char byte) {
    switch (byte) {
        case ' ':
            return QStringLiteral("␣");
        case '\n':
            return QStringLiteral("\\n");
        case '\t':
            return QStringLiteral("\\t");
        case '\r':
            return QStringLiteral("\\r");
        default:
            break;
    }
    if (byte < 0x20 || byte >= 0x7f) return QStringLiteral("\\x%1").arg(int(byte), 2, 16, QLatin1Char('0'));
    return QString(QChar(byte));
}

QString token_label(const std::string& text, int t) {
    if (t < 0 || std::size_t(t) >= text.size()) return {};
    return byte_label(static_cast<unsigned char>(text[std::size_t(t)]));
}

QString token_glyph(const std::string& text, int t) {
    if (t < 0 || std::size_t(t) >= text.size()) return {};
    const auto byte = static_cast<unsigned char>(text[std::size_t(t)]);
    if (byte == '\n') return QStringLiteral("↵");
    if (byte == '\t') return QStringLiteral("⇥");
    if (byte < 0x20 || byte >= 0x7f) return QStringLiteral("·");
    return byte_label(byte);
}

QStringList layer_choice_labels(const Snapshot& snapshot, bool probe) {
    // Each model's MoE layer numbers: from its statistics, or before the first step from its configuration, so the
    // selector names the layers there will be rather than staying blank.
    std::array<std::vector<int>, 2> blocks;
    std::size_t n = 0;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        std::vector<int>& b = blocks[std::size_t(m)];
        if (probe)
            for (const ProbeLayer& p : ms.probe) b.push_back(p.layer);
        else
            for (const LayerSnapshot& l : ms.layers) b.push_back(l.layer);
        if (b.empty())
            for (int l = 0; l < ms.config.model.num_hidden_layers; ++l)
                if (is_moe_layer(ms.config.model, l)) b.push_back(l);
        n = std::max(n, b.size());
    }
    QStringList labels;
    for (std::size_t i = 0; i < n; ++i) {
        const int a = i < blocks[0].size() ? blocks[0][i] : -1, b = i < blocks[1].size() ? blocks[1][i] : -1;
        if (a == b || b < 0)
            labels << QStringLiteral("layer %1").arg(a);
        else if (a < 0)
            labels << QStringLiteral("layer %1").arg(b);
        else
            labels << QStringLiteral("MoE layer %1 (A: layer %2, B: layer %3)").arg(i + 1).arg(a).arg(b);
    }
    return labels;
}

QString no_layer_note(const ModelSnapshot& model) {
    const ModelConfig& c = model.config.model;
    bool has_moe = false;
    for (int l = 0; l < c.num_hidden_layers && !has_moe; ++l) has_moe = is_moe_layer(c, l);
    if (!has_moe) return QObject::tr("no MoE layer\n(dense model)");
    // The statistics arrive with the first step: an MoE model before it has routed nothing yet.
    if (model.layers.empty()) return QObject::tr("no step yet:\npress Play or Step");
    return QObject::tr("no MoE layer here");
}

QString domain_words(const Snapshot* snapshot) {
    if (snapshot && !snapshot->models[0].language) return QObject::tr("classes of the 2-D points (class 0, 1, ...)");
    return QObject::tr("corpus domains (prose, code, arithmetic, ...)");
}

QString csv_field(const QString& text) {
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')) &&
        !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

namespace {
template <typename T>
QString shortest(T value) {
    if (!std::isfinite(value)) return std::isnan(value) ? QString() : (value > 0 ? "inf" : "-inf");
    char buf[64];
    // Shortest text that parses back to exactly the same number: exact in a spreadsheet, short to read.
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    return QString::fromLatin1(buf, int(r.ptr - buf));
}
}  // namespace

QString csv_number(double value) { return shortest(value); }
QString csv_number(float value) { return shortest(value); }

QString csv_row(const QStringList& fields) { return fields.join(QLatin1Char(',')) + QLatin1Char('\n'); }

}  // namespace moe::ui
