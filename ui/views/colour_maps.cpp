#include "ui/views/colour_maps.h"

#include <qcustomplot.h>

#include <algorithm>
#include <array>

namespace moe::ui {

QCPColorGradient sequential_gradient() {
    // Eight samples of matplotlib's viridis; linear interpolation between them is indistinguishable from the full map.
    static const std::array<QColor, 8> viridis = {
        QColor(0x44, 0x01, 0x54), QColor(0x46, 0x33, 0x7e), QColor(0x36, 0x5c, 0x8d), QColor(0x27, 0x7f, 0x8e),
        QColor(0x1f, 0xa1, 0x87), QColor(0x4a, 0xc1, 0x6d), QColor(0x9f, 0xda, 0x3a), QColor(0xfd, 0xe7, 0x25)};
    QMap<double, QColor> stops;
    for (std::size_t i = 0; i < viridis.size(); ++i) stops[double(i) / double(viridis.size() - 1)] = viridis[i];
    QCPColorGradient g;
    g.setColorStops(stops);
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setLevelCount(256);
    g.setNanHandling(QCPColorGradient::nhTransparent);
    return g;
}

QCPColorGradient diverging_gradient(double centre) {
    // ColorBrewer's RdBu (7 classes), blue for low: three shades each side of the white middle, which sits at `centre`
    // so a range [0, 4] with the neutral level 1 keeps 1 white.
    static const std::array<QColor, 3> low = {QColor(0x21, 0x66, 0xac), QColor(0x67, 0xa9, 0xcf),
                                              QColor(0xd1, 0xe5, 0xf0)};
    static const std::array<QColor, 3> high = {QColor(0xfd, 0xdb, 0xc7), QColor(0xef, 0x8a, 0x62),
                                               QColor(0xb2, 0x18, 0x2b)};
    const double c = std::clamp(centre, 0.0, 1.0);
    QMap<double, QColor> stops;
    for (std::size_t i = 0; i < low.size(); ++i) stops[c * double(i) / double(low.size())] = low[i];
    stops[c] = QColor(0xf7, 0xf7, 0xf7);
    for (std::size_t i = 0; i < high.size(); ++i) stops[c + (1 - c) * double(i + 1) / double(high.size())] = high[i];
    QCPColorGradient g;
    g.setColorStops(stops);
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setLevelCount(256);
    g.setNanHandling(QCPColorGradient::nhTransparent);
    return g;
}

QCPColorGradient categorical_gradient(int n) {
    // One stop per category and exactly n levels: level i samples position i/(n-1), which is stop i, so no two
    // categories blend. A single category still needs two levels.
    const int levels = std::max(n, 2);
    QMap<double, QColor> stops;
    for (int i = 0; i < levels; ++i) stops[double(i) / double(levels - 1)] = expert_colour(std::min(i, n - 1));
    QCPColorGradient g;
    g.setColorStops(stops);
    g.setLevelCount(levels);
    g.setNanHandling(QCPColorGradient::nhTransparent);
    return g;
}

QColor expert_colour(int expert) {
    // "tab20": ten hues, each dark and light; ordered so neighbouring experts differ in hue, not only lightness.
    static const std::array<QColor, 20> tab20 = {
        QColor(0xae, 0xc7, 0xe8), QColor(0xff, 0xbb, 0x78), QColor(0x98, 0xdf, 0x8a), QColor(0xff, 0x98, 0x96),
        QColor(0xc5, 0xb0, 0xd5), QColor(0xc4, 0x9c, 0x94), QColor(0xf7, 0xb6, 0xd2), QColor(0xc7, 0xc7, 0xc7),
        QColor(0xdb, 0xdb, 0x8d), QColor(0x9e, 0xda, 0xe5), QColor(0x6b, 0x9e, 0xd0), QColor(0xf5, 0x9e, 0x4e),
        QColor(0x6c, 0xc0, 0x6c), QColor(0xe8, 0x6a, 0x6b), QColor(0xa9, 0x8b, 0xc8), QColor(0xaa, 0x80, 0x78),
        QColor(0xe9, 0x8f, 0xc0), QColor(0xa5, 0xa5, 0xa5), QColor(0xc4, 0xc4, 0x5a), QColor(0x6d, 0xc9, 0xd8)};
    return tab20[std::size_t(std::max(expert, 0)) % tab20.size()];
}

QColor class_colour(int cls) {
    // From Okabe-Ito (distinct for colour-blind viewers), without its blue and orange: those are model A's and B's
    // everywhere else, and a class must not read as a model. Black and white first: they stand out on any region.
    static const std::array<QColor, 8> classes = {
        QColor(0x00, 0x00, 0x00), QColor(0xff, 0xff, 0xff), QColor(0x00, 0x9e, 0x73), QColor(0xcc, 0x79, 0xa7),
        QColor(0xf0, 0xe4, 0x42), QColor(0x8c, 0x56, 0x4b), QColor(0x7f, 0x7f, 0x7f), QColor(0x17, 0xbe, 0xcf)};
    return classes[std::size_t(std::max(cls, 0)) % classes.size()];
}

}  // namespace moe::ui
