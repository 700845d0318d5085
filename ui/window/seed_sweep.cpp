#include "ui/window/seed_sweep.h"

#include <QDir>
#include <QObject>
#include <QRegularExpression>
#include <QStandardPaths>

#include <set>

namespace moe::ui {

std::optional<std::vector<uint64_t>> parse_seeds(const QString& text, QString* why) {
    auto refuse = [why](const QString& message) {
        if (why) *why = message;
        return std::nullopt;
    };
    if (text.trimmed().isEmpty()) return refuse(QObject::tr("List at least one seed, e.g. 1,2,3"));
    std::vector<uint64_t> seeds;
    std::set<uint64_t> seen;
    for (const QString& item : text.split(',')) {
        const QString s = item.trimmed();
        if (s.isEmpty()) return refuse(QObject::tr("An empty seed between commas: write e.g. 1,2,3"));
        if (s.startsWith('-')) return refuse(QObject::tr("A seed cannot be negative (%1)").arg(s));
        bool ok = false;
        const qulonglong seed = s.toULongLong(&ok);
        if (!ok) return refuse(QObject::tr("\"%1\" is not a whole number: write e.g. 1,2,3").arg(s));
        if (!seen.insert(seed).second) return refuse(QObject::tr("Seed %1 is listed twice").arg(seed));
        seeds.push_back(seed);
    }
    if (why) why->clear();
    return seeds;
}

SweepPlan lesson_sweep_plan(const Lesson& lesson, const std::vector<uint64_t>& seeds, int steps) {
    SweepPlan plan;
    plan.seeds = seeds;
    SweepConfig a{lesson.label_a.toStdString(), {}, lesson.model_a};
    SweepConfig b{lesson.label_b.toStdString(), {}, lesson.model_b};
    for (SweepConfig* c : {&a, &b}) c->config.train.steps = steps;
    // The seed is replaced per run, so only the rest decides whether B is a second configuration.
    Config a_any_seed = a.config, b_any_seed = b.config;
    a_any_seed.train.seed = b_any_seed.train.seed = 0;
    const bool two = config_to_json(a_any_seed) != config_to_json(b_any_seed);
    // Run folders are named after the labels: equal labels would make B overwrite A's folders.
    if (two && a.label == b.label) a.label += " (A)", b.label += " (B)";
    plan.configs.push_back(a);
    if (two) plan.configs.push_back(b);
    return plan;
}

QString default_sweep_folder(const QString& lesson_title, const QDateTime& when) {
    QString base = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (base.isEmpty()) base = QDir::homePath();
    // Spaces, slashes and quotes make folder names awkward in a shell: keep letters, digits, '.', '_' and '-'.
    QString name = lesson_title.trimmed();
    name.replace(QRegularExpression("[^\\w.-]+"), "-");
    name.remove(QRegularExpression("^[-.]+|-+$"));
    if (name.isEmpty()) name = "lesson";
    return QDir(base).filePath("moelab-sweeps/" + name + "-" + when.toString("yyyyMMdd-HHmmss"));
}

}  // namespace moe::ui
