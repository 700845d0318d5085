// A QCPColorMap whose cells stay sharp in vector exports. QCustomPlot draws a colour map as an image of one pixel
// per cell, scaled onto the axes; an SVG or PDF file then holds that tiny image, and Inkscape, rsvg and PDF viewers
// smooth it into a blur. On a vector device this map draws each run of equal cells as a rectangle instead (small
// maps: every cell a crisp vector shape), or, past kMaxVectorCells, the image scaled up cell-exact to the pixels it
// covers (large maps: sharp at the figure's native resolution, and a bounded file size). On screen and in PNG
// nothing changes.
#pragma once

#include <qcustomplot.h>

namespace moe::ui {

class SharpColourMap : public QCPColorMap {
public:
    using QCPColorMap::QCPColorMap;

    // Maps with more cells than this are embedded as a native-resolution image rather than as rectangles.
    static constexpr int kMaxVectorCells = 20000;

protected:
    void draw(QCPPainter* painter) override;

private:
    void drawCells(QCPPainter* painter);
    void drawNativeImage(QCPPainter* painter);
};

}  // namespace moe::ui
