#include "ui/views/view_export.h"

#include <qcustomplot.h>

#include <QDir>
#include <QFileInfo>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QSvgGenerator>

#include <filesystem>
#include <functional>
#include <system_error>

namespace moe::ui {

namespace {

void set_error(QString* error, const QString& text) {
    if (error) *error = text;
}

// Runs `write` on a fresh temporary file next to `target` (same folder, so the rename cannot cross file systems),
// then renames it over the target. On any failure the temporary is removed and an existing target is untouched.
bool write_through_temporary(const QString& target, const std::function<bool(const QString&)>& write, QString* error) {
    const QFileInfo info(target);
    // Hidden and with the real suffix: writers that pick a format from the name still see .png / .pdf. Created with
    // QFile (not QTemporaryFile, which makes owner-only files) so the figure gets the usual permissions.
    QString tmp_name;
    QFile tmp;
    for (int attempt = 0; attempt < 16 && tmp_name.isEmpty(); ++attempt) {
        const QString name =
            info.dir().filePath(QStringLiteral(".%1.%2.%3")
                                    .arg(info.completeBaseName())
                                    .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'))
                                    .arg(info.suffix()));
        tmp.setFileName(name);
        if (tmp.open(QIODevice::WriteOnly | QIODevice::NewOnly)) tmp_name = name;
    }
    if (tmp_name.isEmpty()) {
        set_error(error,
                  QStringLiteral("cannot create a temporary file in %1: %2").arg(info.path(), tmp.errorString()));
        return false;
    }
    tmp.close();
    if (!write(tmp_name) || QFileInfo(tmp_name).size() == 0) {
        QFile::remove(tmp_name);
        set_error(error, QStringLiteral("cannot write %1").arg(target));
        return false;
    }
    // std::filesystem::rename replaces an existing target in one step (POSIX rename), where QFile::rename refuses.
    std::error_code ec;
    std::filesystem::rename(std::filesystem::path(QFile::encodeName(tmp_name).toStdString()),
                            std::filesystem::path(QFile::encodeName(target).toStdString()), ec);
    if (ec) {
        QFile::remove(tmp_name);
        set_error(error, QStringLiteral("cannot rename the temporary file to %1: %2")
                             .arg(target, QString::fromStdString(ec.message())));
        return false;
    }
    return true;
}

bool ensure_dir(const QString& dir, QString* error) {
    if (QDir().mkpath(dir)) return true;
    set_error(error, QStringLiteral("cannot create the folder %1").arg(dir));
    return false;
}

}  // namespace

bool write_text_atomic(const QString& path, const QString& text, QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        set_error(error, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
        return false;
    }
    file.write(text.toUtf8());
    if (!file.commit()) {
        set_error(error, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
        return false;
    }
    return true;
}

bool export_plot_images(QCustomPlot* plot, const QString& dir, const QString& id, const QString& title, QSize size,
                        QString* error) {
    if (!ensure_dir(dir, error)) return false;
    const int w = size.width(), h = size.height();
    const QDir d(dir);
    if (!write_through_temporary(
            d.filePath(id + ".png"), [&](const QString& tmp) { return plot->savePng(tmp, w, h, 2.0); }, error))
        return false;
    if (!write_through_temporary(
            d.filePath(id + ".pdf"),
            [&](const QString& tmp) { return plot->savePdf(tmp, w, h, QCP::epNoCosmetic, QString(), title); }, error))
        return false;
    return write_through_temporary(
        d.filePath(id + ".svg"),
        [&](const QString& tmp) {
            QSvgGenerator svg;
            svg.setFileName(tmp);
            svg.setSize(QSize(w, h));
            svg.setViewBox(QRect(0, 0, w, h));
            svg.setTitle(title);
            svg.setResolution(plot->logicalDpiX());  // font sizes in the SVG as on screen
            QCPPainter painter;
            if (!painter.begin(&svg)) return false;
            plot->toPainter(&painter, w, h);
            return painter.end();
        },
        error);
}

bool export_widget_images(QWidget* widget, QRect area, const QString& dir, const QString& id, const QString& title,
                          QString* error) {
    if (!ensure_dir(dir, error)) return false;
    if (area.isEmpty()) area = widget->rect();
    const QSize size = area.size();
    const QDir d(dir);
    // Children only: the window background (grey in most styles) is left out, so the figure sits on white paper.
    auto draw = [&](QPainter& painter) { widget->render(&painter, QPoint(), QRegion(area), QWidget::DrawChildren); };
    if (!write_through_temporary(
            d.filePath(id + ".png"),
            [&](const QString& tmp) {
                QImage image(size * 2, QImage::Format_ARGB32_Premultiplied);
                image.setDevicePixelRatio(2.0);
                image.fill(Qt::white);
                QPainter painter(&image);
                draw(painter);
                painter.end();
                return image.save(tmp, "PNG");
            },
            error))
        return false;
    if (!write_through_temporary(
            d.filePath(id + ".pdf"),
            [&](const QString& tmp) {
                QPdfWriter pdf(tmp);
                pdf.setTitle(title);
                pdf.setResolution(72);  // one widget pixel = one PDF point
                pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
                pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point, QString(), QPageSize::ExactMatch));
                QPainter painter;
                if (!painter.begin(&pdf)) return false;
                draw(painter);
                return painter.end();
            },
            error))
        return false;
    return write_through_temporary(
        d.filePath(id + ".svg"),
        [&](const QString& tmp) {
            QSvgGenerator svg;
            svg.setFileName(tmp);
            svg.setSize(size);
            svg.setViewBox(QRect(QPoint(0, 0), size));
            svg.setTitle(title);
            svg.setResolution(widget->logicalDpiX());  // font sizes in the SVG as on screen
            QPainter painter;
            if (!painter.begin(&svg)) return false;
            painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);
            draw(painter);
            return painter.end();
        },
        error);
}

}  // namespace moe::ui
