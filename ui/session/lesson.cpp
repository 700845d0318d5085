#include "ui/session/lesson.h"

#include "core/error.h"
#include "core/io/json_text.h"
#include "datasets/dataset.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <mutex>
#include <set>

// The lessons are compiled into the static ui library; a static library's resources must be registered by name
// before use, and Q_INIT_RESOURCE only works outside a namespace.
static void register_lesson_resources() { Q_INIT_RESOURCE(lessons); }

namespace moe::ui {
namespace {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

const char* const kLessonKeys[] = {"title",      "text",       "label_a",    "label_b",         "model_a",
                                   "model_b",    "shared",     "probe_text", "hidden_controls", "steps"};

// The keys that decide which batches a model sees: they must be equal for A and B.
const char* const kDataKeys[] = {"dataset", "data_file",  "noise",      "points",   "classes", "val_fraction",
                                 "corpus_bytes_per_domain", "batch_size", "seq_len", "seed",    "steps"};

const std::set<std::string> kLadderKeys = {"segmentation", "ladder_experts", "ladder_top_k", "ffn_base_width"};
const std::set<std::string> kDerivedKeys = {"n_routed_experts", "num_experts_per_tok", "moe_intermediate_size"};

// Written even when equal to the preset's defaults: what a reader of a saved lesson wants to see first, and safe
// against a later change of the engine's defaults.
const std::set<std::string> kAlwaysWritten = {"dataset", "learning_rate", "batch_size", "seq_len", "seed"};

const char* const kDefaultProbeText =
    "The teacher reads a story. for (int i = 0; i < n; ++i) { sum += i; } 12+30=42 ACGTTGCA <b>bold</b>";

std::string display_name(const QString& source) {
    if (source.isEmpty()) return "lesson";
    return QFileInfo(source).fileName().toStdString();
}

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw ConfigError(where + ": " + what); }

QString get_string(const json& j, const char* key, const QString& fallback, const std::string& where) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_string()) fail(where, std::string("\"") + key + "\" must be a string");
    return QString::fromStdString(j[key].get<std::string>());
}

// Preset from the model object (else from "shared", else deepseek), then the shared keys, then the model's own keys,
// all through the engine's resolver so every message is the engine's.
Config resolve_model(const json& lesson, const char* key, const json& shared, int steps, const std::string& where) {
    if (!lesson.contains(key)) fail(where, std::string("\"") + key + "\" is missing: give at least {\"preset\": ...}");
    const json& model = lesson[key];
    if (!model.is_object()) fail(where, std::string("\"") + key + "\" must be a JSON object of config keys");
    std::string preset = "deepseek";
    for (const json* source : {&shared, &model}) {
        if (!source->contains("preset")) continue;
        if (!(*source)["preset"].is_string()) fail(where, std::string(key) + ": \"preset\" must be a string");
        preset = (*source)["preset"].get<std::string>();
    }
    json merged = json::object();
    merged["steps"] = steps;
    for (const json* source : {&shared, &model})
        for (const auto& [k, v] : source->items())
            if (k != "preset") merged[k] = v;
    try {
        return resolve_config(preset, merged.dump(), {});
    } catch (const ConfigError& e) {
        fail(where, std::string(key) + ": " + e.what());
    }
}

// The keys of `c` that differ from its preset's defaults, in the form resolve_config reads back: the ladder keys
// when the ladder is on, else the expert keys themselves.
ordered_json model_keys(const Config& c) {
    const Config base = resolve_config(c.preset, "", {});
    const json full = config_to_json(c), ref = config_to_json(base);
    const bool ladder = c.model.segmentation > 0;
    ordered_json out = ordered_json::object();
    out["preset"] = c.preset;
    for (const auto& k : config_keys()) {
        if (!k.alias_of.empty()) continue;  // written under the name it is an alias of
        const std::string& name = k.name;
        if (name == "steps") continue;  // the lesson's own "steps"
        if (ladder && kDerivedKeys.count(name)) continue;
        if (!ladder && kLadderKeys.count(name)) continue;
        // The expert keys themselves mark "experts stated directly" when the ladder is off.
        const bool force = kAlwaysWritten.count(name) || (!ladder && kDerivedKeys.count(name));
        if (force || full[name] != ref[name]) out[name] = full[name];
    }
    return out;
}

}  // namespace

void init_lesson_resources() {
    static std::once_flag once;
    std::call_once(once, [] { register_lesson_resources(); });
}

Lesson lesson_from_json(const QByteArray& bytes, const QString& source) {
    const std::string where = display_name(source);
    json j;
    try {
        j = parse_json(std::string_view(bytes.constData(), std::size_t(bytes.size())), where);
    } catch (const FileError& e) {
        throw ConfigError(e.what());  // already names the file
    }
    if (!j.is_object()) fail(where, "a lesson must be a JSON object");

    std::string unknown;
    for (const auto& [key, value] : j.items()) {
        bool known = false;
        for (const char* k : kLessonKeys) known |= key == k;
        if (!known) unknown += (unknown.empty() ? "\"" : ", \"") + key + "\"";
    }
    if (!unknown.empty()) {
        std::string valid;
        for (const char* k : kLessonKeys) valid += (valid.empty() ? "" : ", ") + std::string(k);
        fail(where, "unknown lesson key " + unknown + " (a lesson has the keys " + valid +
                        "; config keys go inside \"shared\", \"model_a\" or \"model_b\")");
    }

    Lesson lesson;
    lesson.source = source;
    lesson.title = get_string(j, "title", QFileInfo(source).completeBaseName(), where);
    lesson.text = get_string(j, "text", QString(), where);
    lesson.label_a = get_string(j, "label_a", lesson.label_a, where);
    lesson.label_b = get_string(j, "label_b", lesson.label_b, where);

    if (j.contains("steps")) {
        const json& s = j["steps"];
        if (!s.is_number_integer() || s.get<long long>() <= 0 || s.get<long long>() > kMaxSteps)
            fail(where, "\"steps\" must be a positive integer, got " + describe_json_value(s));
        lesson.steps = s.get<int>();
    }
    json shared = json::object();
    if (j.contains("shared")) {
        shared = j["shared"];
        if (!shared.is_object()) fail(where, "\"shared\" must be a JSON object of config keys");
    }
    lesson.model_a = resolve_model(j, "model_a", shared, lesson.steps, where);
    lesson.model_b = resolve_model(j, "model_b", shared, lesson.steps, where);
    try {
        check_same_data(lesson.model_a, lesson.model_b);
    } catch (const ConfigError& e) {
        fail(where, e.what());
    }
    lesson.steps = lesson.model_a.train.steps;  // "steps" may have been overridden by a config key

    if (j.contains("hidden_controls")) {
        const json& h = j["hidden_controls"];
        if (!h.is_array()) fail(where, "\"hidden_controls\" must be a list of control names");
        for (const auto& name : h) {
            if (!name.is_string()) fail(where, "\"hidden_controls\" must hold strings, got " + describe_json_value(name));
            lesson.hidden_controls << QString::fromStdString(name.get<std::string>());
        }
    }
    const QString default_probe =
        is_language_dataset(lesson.model_a.data.dataset) ? QString::fromUtf8(kDefaultProbeText) : QString();
    lesson.probe_text = get_string(j, "probe_text", default_probe, where);
    return lesson;
}

Lesson load_lesson(const QString& path) {
    if (path.startsWith(":/")) init_lesson_resources();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw ConfigError("cannot read lesson file " + path.toStdString() + ": " + file.errorString().toStdString());
    return lesson_from_json(file.readAll(), path);
}

QByteArray lesson_to_json(const Lesson& lesson) {
    ordered_json a = model_keys(lesson.model_a), b = model_keys(lesson.model_b);
    // Keys equal in both models (and not part of the expert layout, which each model states its own way) are
    // written once, under "shared".
    ordered_json shared = ordered_json::object();
    std::vector<std::string> common;
    for (const auto& [key, value] : a.items())
        if (key != "preset" && !kLadderKeys.count(key) && !kDerivedKeys.count(key) && b.contains(key) &&
            b[key] == value)
            common.push_back(key);
    for (const auto& key : common) {
        shared[key] = a[key];
        a.erase(key);
        b.erase(key);
    }
    ordered_json j = ordered_json::object();
    j["title"] = lesson.title.toStdString();
    j["text"] = lesson.text.toStdString();
    j["label_a"] = lesson.label_a.toStdString();
    j["label_b"] = lesson.label_b.toStdString();
    j["model_a"] = a;
    j["model_b"] = b;
    j["shared"] = shared;
    j["probe_text"] = lesson.probe_text.toStdString();
    ordered_json hidden = ordered_json::array();
    for (const QString& h : lesson.hidden_controls) hidden.push_back(h.toStdString());
    j["hidden_controls"] = hidden;
    j["steps"] = lesson.steps;
    return QByteArray::fromStdString(j.dump(2) + "\n");
}

QStringList bundled_lessons() {
    init_lesson_resources();
    QStringList out;
    const QDir dir(":/lessons");
    for (const QString& name : dir.entryList({"*.json"}, QDir::Files, QDir::Name)) out << ":/lessons/" + name;
    return out;
}

void check_same_data(const Config& a, const Config& b) {
    const json ja = config_to_json(a), jb = config_to_json(b);
    for (const char* key : kDataKeys)
        if (ja[key] != jb[key])
            throw ConfigError(std::string("model A and model B must train on the same batches, but \"") + key +
                              "\" differs (A: " + describe_json_value(ja[key]) + ", B: " + describe_json_value(jb[key]) +
                              "): give it once, in \"shared\"");
}

}  // namespace moe::ui
