// Small text helpers shared by the views: model names, visible forms of probe bytes, CSV fields and numbers.
#pragma once

#include "ui/session/snapshot.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <string>

namespace moe::ui {

// "A" or "B".
QString model_letter(int model);
// "A · DeepSeekMoE (...)", or just "A" when the model has no label.
QString model_name(const Snapshot& snapshot, int model);

// A byte of the probe text as a reader can see it: space as "␣", "\n", "\t", other control and non-ASCII bytes as
// "\xNN" (the byte-level model sees bytes, not characters, so a UTF-8 letter is several tokens).
QString byte_label(unsigned char byte);
// Token t of the probe text (empty when the text is shorter than the routing data).
QString token_label(const std::string& text, int t);

// The layer selector's text for MoE layer index i of the snapshot ("layer 3", or both block numbers when A and B
// differ). `probe`: count the probe layers rather than the layer statistics.
QString layer_choice_label(const Snapshot& snapshot, int index, bool probe);

// Why model m has no MoE layer at this index: a dense model has none at all, another has fewer than its partner.
QString no_layer_note(const ModelSnapshot& model);

// CSV: a field quoted when it needs to be (RFC 4180), numbers in their shortest exact form, NaN as an empty field.
QString csv_field(const QString& text);
QString csv_number(double value);
QString csv_number(float value);
QString csv_row(const QStringList& fields);  // joined with commas, ending in "\n"

}  // namespace moe::ui
