#include "ui/window/export.h"

#include "ui/views/view.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

namespace moe::ui {

bool write_file_atomically(const QString& path, const QByteArray& data, QString* error) {
    QSaveFile file(path);  // writes a temporary beside `path`, renamed over it on commit()
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        if (error) *error = QString("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool export_all(const std::vector<View*>& views, const Lesson& lesson, const QString& dir, QString* error,
                int* written) {
    if (!QDir().mkpath(dir)) {
        if (error) *error = QString("cannot create the folder %1").arg(dir);
        return false;
    }
    // index.json says what was written, and why a view that does not apply to this lesson was not (rather than an
    // empty figure a reader would have to puzzle over).
    nlohmann::json exported = nlohmann::json::array(), skipped = nlohmann::json::array();
    for (const View* view : views) {
        view->refresh();
        if (const QString reason = view->notApplicable(); !reason.isEmpty()) {
            skipped.push_back({{"view", view->id().toStdString()},
                               {"title", view->title().toStdString()},
                               {"reason", reason.toStdString()}});
            continue;
        }
        QString why;
        if (!view->exportTo(dir, &why)) {
            if (error) *error = QString("exporting the view \"%1\" failed: %2").arg(view->title(), why);
            return false;
        }
        exported.push_back({{"view", view->id().toStdString()},
                            {"title", view->title().toStdString()},
                            {"files", {view->id().toStdString() + ".png", view->id().toStdString() + ".svg",
                                       view->id().toStdString() + ".pdf", view->id().toStdString() + ".csv"}}});
    }
    if (written) *written = static_cast<int>(exported.size());
    const QDir out(dir);
    const nlohmann::json index = {{"lesson", lesson.title.toStdString()}, {"exported", exported},
                                  {"not_exported", skipped}};
    return write_file_atomically(out.filePath("index.json"), QByteArray::fromStdString(index.dump(2) + "\n"),
                                 error) &&
           write_file_atomically(out.filePath("config_A.json"),
                                 QByteArray::fromStdString(config_to_json(lesson.model_a).dump(2) + "\n"), error) &&
           write_file_atomically(out.filePath("config_B.json"),
                                 QByteArray::fromStdString(config_to_json(lesson.model_b).dump(2) + "\n"), error) &&
           write_file_atomically(out.filePath("lesson.json"), lesson_to_json(lesson), error);
}

bool export_view_as(const View& view, const QString& path, QString* error) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != "png" && suffix != "svg" && suffix != "pdf" && suffix != "csv") {
        if (error) *error = QString("unknown format \"%1\": use .png, .svg, .pdf or .csv").arg(suffix);
        return false;
    }
    // A view exports every format at once; write them aside and keep the one asked for.
    QTemporaryDir scratch;
    QString why;
    if (!scratch.isValid() || !view.exportTo(scratch.path(), &why)) {
        if (error) *error = QString("exporting the view \"%1\" failed: %2").arg(view.title(), why);
        return false;
    }
    QFile produced(QDir(scratch.path()).filePath(view.id() + "." + suffix));
    if (!produced.open(QIODevice::ReadOnly)) {
        if (error) *error = QString("the view \"%1\" wrote no %2 file").arg(view.title(), suffix);
        return false;
    }
    return write_file_atomically(path, produced.readAll(), error);
}

}  // namespace moe::ui
