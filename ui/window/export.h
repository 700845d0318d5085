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

// Every view's exportTo(dir) plus config_A.json, config_B.json (the full resolved configs), lesson.json and
// index.json (the views written, and those not written with the reason each does not apply). Creates `dir` if needed.
// `written`: how many views were written.
bool export_all(const std::vector<View*>& views, const Lesson& lesson, const QString& dir, QString* error,
                int* written = nullptr);

// One view in one format, chosen by the suffix of `path` (.png, .svg, .pdf or .csv).
bool export_view_as(const View& view, const QString& path, QString* error);

}  // namespace moe::ui
