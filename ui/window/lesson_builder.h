// Turns what a user changed in the controls into a lesson the session can train, with no widgets in it.
//
// A lesson's models are fully resolved configs. An edit is applied on top of one: its keys go back through
// moe::resolve_config (preset, the lesson's keys as JSON, the changed knobs as key=value), so the engine stays the
// only judge of what is valid. The engine's ladder rule (segmentation m and ladder_* derive the expert keys; stating
// n_routed_experts / num_experts_per_tok turns the ladder off) is followed by remembering which of the two the user
// touched last.
#pragma once

#include "ui/session/lesson.h"

#include <QString>

#include <map>
#include <string>

namespace moe::ui {

enum class ExpertMode {
    FromLesson,  // keep the lesson's way of stating experts (the ladder when its segmentation > 0)
    Ladder,      // the user changed segmentation m: derive routed experts and top-k from it
    Direct,      // the user changed routed experts or top-k: state them, the ladder is off
};

// What the user changed for one model.
struct ModelEdits {
    std::string preset;           // the preset selected (the lesson's own when unchanged)
    bool preset_changed = false;  // true: the lesson's expert keys are dropped, the new preset's are used
    ExpertMode mode = ExpertMode::FromLesson;
    std::map<std::string, std::string> settings;  // knob key -> value text, as for `--set key=value`
};

// Resolves one model: the lesson's config, then the shared knobs, then the model's own. Throws ConfigError.
Config resolve_model(const Config& lesson_config, const ModelEdits& edits,
                     const std::map<std::string, std::string>& shared_settings);

struct BuildResult {
    bool ok = false;
    Lesson lesson;
    QString error;  // the engine's message, prefixed with the model it is about
    int model = -1; // 0 = A, 1 = B, -1 = both / shared data
    QString key;    // the config key the message names first (among `keys_of_interest`), if any
};

// Builds the lesson the controls describe. `keys_of_interest`: keys that have a control, for BuildResult::key.
BuildResult build_lesson(const Lesson& base, const ModelEdits& a, const ModelEdits& b,
                         const std::map<std::string, std::string>& shared_settings, const QString& probe_text,
                         const QStringList& keys_of_interest);

// The first of `keys` that `message` names as a whole word (earliest position), or an empty string.
QString key_named_in(const QString& message, const QStringList& keys);

// Keys whose value depends on the preset (the expert structure): dropped from a lesson when the preset changes.
const std::vector<std::string>& preset_owned_keys();

// True when `after` differs from `before` only in live knobs (moe::live_config_keys), and in at least one: the
// change can go to the running trainers without a restart.
bool only_live_knobs_differ(const Lesson& before, const Lesson& after);

// A short description of a model for labels: "deepseek: 1 shared + top-7 of 63 routed".
QString describe_model(const Config& config);

}  // namespace moe::ui
