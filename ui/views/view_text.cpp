#include "ui/views/view_text.h"

#include <QObject>

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

QString layer_choice_label(const Snapshot& snapshot, int index, bool probe) {
    auto block = [&](int m) -> int {
        const ModelSnapshot& ms = snapshot.models[std::size_t(m)];
        if (probe) return std::size_t(index) < ms.probe.size() ? ms.probe[std::size_t(index)].layer : -1;
        return std::size_t(index) < ms.layers.size() ? ms.layers[std::size_t(index)].layer : -1;
    };
    const int a = block(0), b = block(1);
    if (a == b || b < 0) return QStringLiteral("layer %1").arg(a);
    if (a < 0) return QStringLiteral("layer %1").arg(b);
    return QStringLiteral("MoE layer %1 (A: layer %2, B: layer %3)").arg(index + 1).arg(a).arg(b);
}

QString no_layer_note(const ModelSnapshot& model) {
    return model.layers.empty() ? QObject::tr("no MoE layer\n(dense model)") : QObject::tr("no MoE layer here");
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
