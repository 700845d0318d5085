// Writing what the window shows to files: every view (PNG, SVG, PDF, CSV) plus the configs and the lesson, so a
// figure in a report can always be traced back to the exact settings that made it.
#pragma once

#include "ui/session/lesson.h"

#include <QByteArray>
#include <QString>

#include <vector>

namespace moe::ui {

class View;

// Writes `data` to `path` through a temporary file and a rename. Returns false and sets *error on failure.
bool write_file_atomically(const QString& path, const QByteArray& data, QString* error);

// Every view's exportTo(dir) plus config_A.json, config_B.json (the full resolved configs) and lesson.json.
// Creates `dir` if needed.
bool export_all(const std::vector<View*>& views, const Lesson& lesson, const QString& dir, QString* error);

// One view in one format, chosen by the suffix of `path` (.png, .svg, .pdf or .csv).
bool export_view_as(const View& view, const QString& path, QString* error);

}  // namespace moe::ui
