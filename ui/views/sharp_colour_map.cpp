#include "ui/views/sharp_colour_map.h"

#include <QPaintEngine>

#include <algorithm>
#include <cmath>

namespace moe::ui {

namespace {

bool vector_device(const QPainter* painter) {
    const QPaintEngine* engine = painter->paintEngine();
    return engine && (engine->type() == QPaintEngine::SVG || engine->type() == QPaintEngine::Pdf);
}

}  // namespace

void SharpColourMap::draw(QCPPainter* painter) {
    QCPColorMapData* d = data();  // cell() is not const
    if (!vector_device(painter) || d->isEmpty() || !mKeyAxis || !mValueAxis) return QCPColorMap::draw(painter);
    if (d->keySize() * d->valueSize() > kMaxVectorCells) return drawNativeImage(painter);
    drawCells(painter);
}

void SharpColourMap::drawCells(QCPPainter* painter) {
    QCPColorMapData* d = data();  // cell() is not const
    const int nk = d->keySize(), nv = d->valueSize();
    // The data ranges name the centres of the first and last cells (tight boundary off).
    const double dk = nk > 1 ? d->keyRange().size() / (nk - 1) : 1.0;
    const double dv = nv > 1 ? d->valueRange().size() / (nv - 1) : 1.0;
    const bool log = dataScaleType() == QCPAxis::stLogarithmic;
    QCPColorGradient gradient = this->gradient();
    auto pixel = [&](double key, double value) { return coordsToPixels(key, value); };
    const bool antialias = painter->antialiasing();
    painter->setAntialiasing(false);  // no hairline seams between neighbouring cells
    painter->setPen(Qt::NoPen);
    for (int j = 0; j < nv; ++j) {
        const double value = d->valueRange().lower + j * dv;
        int start = 0;
        while (start < nk) {
            const double v = d->cell(start, j);
            int end = start + 1;
            // One rectangle for a run of equal cells along the key axis (categorical maps have long runs).
            while (end < nk && d->cell(end, j) == v) ++end;
            if (!std::isnan(v)) {
                const double k0 = d->keyRange().lower + start * dk, k1 = d->keyRange().lower + (end - 1) * dk;
                const QPointF a = pixel(k0 - dk / 2, value - dv / 2), b = pixel(k1 + dk / 2, value + dv / 2);
                painter->setBrush(QColor::fromRgba(gradient.color(v, dataRange(), log)));
                painter->drawRect(QRectF(a, b).normalized());
            }
            start = end;
        }
    }
    painter->setAntialiasing(antialias);
}

void SharpColourMap::drawNativeImage(QCPPainter* painter) {
    // QCustomPlot's own image, one pixel per cell, scaled cell-exact (no smoothing) to the pixels it covers at the
    // export's resolution, so a viewer has nothing left to blur.
    if (mMapImageInvalidated) updateMapImage();
    QCPColorMapData* d = data();  // cell() is not const
    const int nk = d->keySize(), nv = d->valueSize();
    const double dk = nk > 1 ? d->keyRange().size() / (nk - 1) : 1.0;
    const double dv = nv > 1 ? d->valueRange().size() / (nv - 1) : 1.0;
    const QPointF a = coordsToPixels(d->keyRange().lower - dk / 2, d->valueRange().lower - dv / 2);
    const QPointF b = coordsToPixels(d->keyRange().upper + dk / 2, d->valueRange().upper + dv / 2);
    const QRectF target = QRectF(a, b).normalized();
    // Twice the figure's pixels (sharp when zoomed in a little), at most 4096 on a side (a long probe text's map is
    // thousands of pixels tall), never less than the figure's own pixels.
    const double scale = std::max(1.0, std::min(2.0, 4096.0 / std::max(target.width(), target.height())));
    const QSize size(std::max(1, int(std::ceil(target.width() * scale))), std::max(1, int(std::ceil(target.height() * scale))));
    // Mirrored as QCPColorMap::draw mirrors it: by the horizontal and the vertical axis's direction.
    const bool key_horizontal = keyAxis()->orientation() == Qt::Horizontal;
    const bool mirror_x = (key_horizontal ? keyAxis() : valueAxis())->rangeReversed();
    const bool mirror_y = (key_horizontal ? valueAxis() : keyAxis())->rangeReversed();
    const QImage source = mMapImage.mirrored(mirror_x, mirror_y);
    const QImage native = source.scaled(size, Qt::IgnoreAspectRatio, Qt::FastTransformation);
    painter->drawImage(target, native);
}

}  // namespace moe::ui
