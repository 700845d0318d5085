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
// The same in one character, for a column of text: "␣", "↵" for a newline, "⇥" for a tab, "·" for other control and
// non-ASCII bytes (token_label names those in full, for tooltips and the inspector).
QString token_glyph(const std::string& text, int t);

// The layer selector's choices, one per MoE layer index of the snapshot ("layer 3", or both block numbers when A and
// B differ). `probe`: count the probe layers rather than the layer statistics. Before a model's first step its
// configuration's MoE layers stand in.
QStringList layer_choice_labels(const Snapshot& snapshot, bool probe);

// Why model m shows no MoE layer at this index: a dense model has none at all, an MoE model before its first step has
// no statistics yet, another has fewer MoE layers than its partner.
QString no_layer_note(const ModelSnapshot& model);

// What the rows of the domain views are, in the snapshot's terms: the corpus domains (prose, code, ...) of a language
// model, the classes of a 2-D classifier's points.
QString domain_words(const Snapshot* snapshot);

// CSV: a field quoted when it needs to be (RFC 4180), numbers in their shortest exact form, NaN as an empty field.
QString csv_field(const QString& text);
QString csv_number(double value);
QString csv_number(float value);
QString csv_row(const QStringList& fields);  // joined with commas, ending in "\n"

}  // namespace moe::ui
