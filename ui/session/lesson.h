// A lesson: two models (A and B) trained side by side on the same data, a probe text, a short text for the class
// and the controls a teacher wants hidden. Stored as JSON; a few are bundled (ui/lessons/*.json, compiled in as
// Qt resources under :/lessons/).
//
// {
//   "title": "The paper's ladder", "text": "what the class should look at ...",
//   "model_a": {"preset": "deepseek", ...any config key}, "label_a": "DeepSeekMoE",
//   "model_b": {"preset": "gshard"}, "label_b": "GShard top-2",
//   "shared": {"dataset": "corpus", "learning_rate": 0.003, "seed": 1, ...keys applied to both models},
//   "probe_text": "The cat sat. for (i = 0; ...", "hidden_controls": ["seq_len"], "steps": 2000
// }
#pragma once

#include "core/config.h"

#include <QString>
#include <QStringList>

namespace moe::ui {

struct Lesson {
    QString title;
    QString text;
    QString label_a = "A", label_b = "B";
    Config model_a, model_b;  // fully resolved (shared keys applied to both, then the model's own keys)
    QString probe_text;
    QStringList hidden_controls;
    int steps = 2000;  // suggested length; also the cosine schedule's length
    QString source;    // file it came from (empty for one built from controls)
};

// Parses and resolves a lesson. Throws moe::ConfigError naming the file and the problem (malformed JSON, unknown
// key, an impossible model, ...). "steps" (default 2000) is the base of both models' "steps" key; the two must agree.
// A language lesson without "probe_text" gets a default multi-domain probe.
Lesson lesson_from_json(const QByteArray& json, const QString& source);
// Also ConfigError when the file cannot be read. Resource paths (":/lessons/...") work.
Lesson load_lesson(const QString& path);
// Writes only what differs from each model's preset (equal keys once, under "shared"), so the text reads back to
// the same configs and stays short enough for a teacher to edit.
QByteArray lesson_to_json(const Lesson& lesson);

// Resource paths of the bundled lessons (file-name order, so the default lesson 01-... comes first).
QStringList bundled_lessons();
// Registers the bundled lessons' resources (idempotent). bundled_lessons() and load_lesson(":/...") call it; call it
// yourself before reading :/lessons/ with QFile directly.
void init_lesson_resources();

// The 2 models must see the same batches: dataset and batch keys are taken from A. Throws ConfigError otherwise.
void check_same_data(const Config& a, const Config& b);

}  // namespace moe::ui
