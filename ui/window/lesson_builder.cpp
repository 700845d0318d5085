#include "ui/window/lesson_builder.h"

#include "core/error.h"
#include "core/presets.h"
#include "core/train/trainer.h"

#include <QRegularExpression>

#include <algorithm>
#include <set>

namespace moe::ui {
namespace {

using nlohmann::json;

// The two ways of stating the routed experts (see core/config.cpp): never send both.
const std::set<std::string> kDirectKeys = {"n_routed_experts", "num_experts_per_tok", "moe_intermediate_size"};
const std::set<std::string> kLadderKeys = {"segmentation", "ladder_experts", "ladder_top_k", "ffn_base_width"};

Config preset_default(const std::string& preset) { return resolve_config(preset, "", {}); }

bool uses_ladder(const Config& lesson_config, const ModelEdits& edits) {
    switch (edits.mode) {
    case ExpertMode::Ladder: return true;
    case ExpertMode::Direct: return false;
    case ExpertMode::FromLesson: break;
    }
    const Config& reference = edits.preset_changed ? preset_default(edits.preset) : lesson_config;
    return reference.model.segmentation > 0;
}

}  // namespace

bool only_live_knobs_differ(const Lesson& before, const Lesson& after) {
    bool live_changed = false;
    const Config* pairs[2][2] = {{&before.model_a, &after.model_a}, {&before.model_b, &after.model_b}};
    for (const auto& pair : pairs) {
        json a = config_to_json(*pair[0]), b = config_to_json(*pair[1]);
        for (const std::string& key : live_config_keys()) {
            live_changed = live_changed || a[key] != b[key];
            a.erase(key);
            b.erase(key);
        }
        if (a != b) return false;
    }
    return live_changed && before.probe_text == after.probe_text;
}

const std::vector<std::string>& preset_owned_keys() {
    // Whatever differs between any two presets is theirs to set; computed, so a new preset needs no change here.
    static const std::vector<std::string> keys = [] {
        std::vector<json> all;
        for (const auto& p : presets()) all.push_back(config_to_json(preset_default(p.name)));
        std::vector<std::string> owned;
        for (const auto& key : config_keys()) {
            if (!key.alias_of.empty()) continue;  // n_group, topk_group: the preset owns devices, device_limit
            for (const auto& j : all)
                if (j[key.name] != all.front()[key.name]) {
                    owned.push_back(key.name);
                    break;
                }
        }
        for (const auto& k : kDirectKeys)
            if (std::find(owned.begin(), owned.end(), k) == owned.end()) owned.push_back(k);
        return owned;
    }();
    return keys;
}

Config resolve_model(const Config& lesson_config, const ModelEdits& edits,
                     const std::map<std::string, std::string>& shared_settings) {
    json base = config_to_json(lesson_config);
    base.erase("preset");
    if (edits.preset_changed)
        for (const auto& k : preset_owned_keys()) base.erase(k);
    const auto& excluded = uses_ladder(lesson_config, edits) ? kDirectKeys : kLadderKeys;
    for (const auto& k : excluded) base.erase(k);

    std::vector<std::string> settings;
    auto add = [&](const std::map<std::string, std::string>& from) {
        for (const auto& [key, value] : from)
            if (!excluded.count(key)) settings.push_back(key + "=" + value);
    };
    add(shared_settings);
    add(edits.settings);
    const std::string preset = edits.preset.empty() ? lesson_config.preset : edits.preset;
    return resolve_config(preset, base.dump(), settings);
}

QString key_named_in(const QString& message, const QStringList& keys) {
    QString best;
    qsizetype best_pos = -1;
    for (const QString& key : keys) {
        const QRegularExpression word("\\b" + QRegularExpression::escape(key) + "\\b");
        const auto match = word.match(message);
        if (match.hasMatch() && (best_pos < 0 || match.capturedStart() < best_pos))
            best_pos = match.capturedStart(), best = key;
    }
    return best;
}

QString describe_model(const Config& config) {
    const ModelConfig& m = config.model;
    const QString name = QString::fromStdString(config.preset);
    if (m.n_routed_experts == 0) return name + ": dense FFN";
    QString text = name + ": ";
    if (m.n_shared_experts > 0) text += QString("%1 shared + ").arg(m.n_shared_experts);
    return text + QString("top-%1 of %2 routed").arg(m.num_experts_per_tok).arg(m.n_routed_experts);
}

BuildResult build_lesson(const Lesson& base, const ModelEdits& a, const ModelEdits& b,
                         const std::map<std::string, std::string>& shared_settings, const QString& probe_text,
                         const QStringList& keys_of_interest) {
    BuildResult result;
    result.lesson = base;
    result.lesson.probe_text = probe_text;
    const ModelEdits* edits[2] = {&a, &b};
    const Config* lesson_configs[2] = {&base.model_a, &base.model_b};
    Config* out[2] = {&result.lesson.model_a, &result.lesson.model_b};
    QString* labels[2] = {&result.lesson.label_a, &result.lesson.label_b};
    for (int i = 0; i < 2; ++i) {
        try {
            *out[i] = resolve_model(*lesson_configs[i], *edits[i], shared_settings);
        } catch (const std::exception& e) {
            result.model = i;
            result.error = QString("Model %1: %2").arg(QChar('A' + i)).arg(QString::fromUtf8(e.what()));
            result.key = key_named_in(QString::fromUtf8(e.what()), keys_of_interest);
            return result;
        }
        // A lesson's label describes its own model; once the model is edited, say what it now is.
        bool structural = edits[i]->preset_changed;
        for (const auto& key : preset_owned_keys()) structural |= edits[i]->settings.count(key) > 0;
        if (structural) *labels[i] = describe_model(*out[i]);
    }
    try {
        check_same_data(result.lesson.model_a, result.lesson.model_b);
    } catch (const std::exception& e) {
        result.error = QString::fromUtf8(e.what());
        result.key = key_named_in(result.error, keys_of_interest);
        return result;
    }
    const bool edited = a.preset_changed || b.preset_changed || !a.settings.empty() || !b.settings.empty() ||
                        !shared_settings.empty();
    if (edited) result.lesson.source.clear();  // no longer what the file says
    result.ok = true;
    return result;
}

}  // namespace moe::ui
