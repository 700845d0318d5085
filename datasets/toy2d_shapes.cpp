// The shapes of the 2-D toy sets: where a point of a given class lies, before noise.
#include "core/error.h"
#include "core/rng.h"
#include "datasets/seeding.h"
#include "datasets/toy2d.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace moe {
namespace {

constexpr double kPi = std::numbers::pi;

struct Point {
    double x, y;
};

// Spirals: arm k starts near the centre and winds out 1.25 turns, the arms evenly spaced in angle.
constexpr double kSpiralTurns = 1.25;
constexpr double kSpiralInner = 0.08, kSpiralOuter = 0.95;
// Clusters: centres evenly spaced on a circle.
constexpr double kClusterRadius = 0.6;
// Moons: the classic two half circles of radius 1, moved and scaled into [-0.9, 0.9] x [-0.45, 0.45].
constexpr double kMoonScale = 0.6;

double spiral_gap(int classes) { return (kSpiralOuter - kSpiralInner) / (kSpiralTurns * classes); }
double cluster_half_spacing(int classes) {
    return std::min(0.5, kClusterRadius * std::sin(kPi / classes));  // half the distance between neighbours
}

Point spiral_point(Rng& rng, int label, int classes) {
    const double t = std::sqrt(rng.uniform());  // sqrt: even density along the arm, which is longer further out
    const double r = kSpiralInner + (kSpiralOuter - kSpiralInner) * t;
    const double angle = 2.0 * kPi * (kSpiralTurns * t + static_cast<double>(label) / classes);
    return {r * std::cos(angle), r * std::sin(angle)};
}

Point cluster_point(Rng& rng, int label, int classes) {
    const double angle = 2.0 * kPi * label / classes + 0.25 * kPi;
    // Uniform in a disc around the centre reaching 35% of the way to the midpoint between neighbouring clusters.
    const double spread = 0.35 * cluster_half_spacing(classes);
    const double r = spread * std::sqrt(rng.uniform()), phi = 2.0 * kPi * rng.uniform();
    return {kClusterRadius * std::cos(angle) + r * std::cos(phi), kClusterRadius * std::sin(angle) + r * std::sin(phi)};
}

// Class 0 where x and y have the same sign, class 1 where they differ.
Point xor_point(Rng& rng, int label) {
    const double x = rng.uniform(0.02, 1.0), y = rng.uniform(0.02, 1.0);
    const bool flip_x = rng.below(2) == 1;
    const bool flip_y = label == 1 ? !flip_x : flip_x;
    return {flip_x ? -x : x, flip_y ? -y : y};
}

// A 4 x 4 board of cells 0.5 wide; the class is the colour, (column + row) mod 2.
Point checkerboard_point(Rng& rng, int label) {
    const int cell = static_cast<int>(rng.below(8));  // one of the 8 cells of this colour
    const int row = cell / 2;
    const int column = 2 * (cell % 2) + ((row + label) % 2);
    return {-1.0 + 0.5 * (column + rng.uniform()), -1.0 + 0.5 * (row + rng.uniform())};
}

Point moon_point(Rng& rng, int label) {
    const double theta = kPi * rng.uniform();
    const double x = label == 0 ? std::cos(theta) : 1.0 - std::cos(theta);
    const double y = label == 0 ? std::sin(theta) : 0.5 - std::sin(theta);
    return {kMoonScale * (x - 0.5), kMoonScale * (y - 0.25)};
}

}  // namespace

const std::vector<std::string>& toy_dataset_names() {
    static const std::vector<std::string> names = {"spirals", "clusters", "xor", "checkerboard", "moons"};
    return names;
}

ToyPoints generate_toy_points(const std::string& name, int points, int classes, double noise, uint64_t seed) {
    const auto& names = toy_dataset_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
        throw ConfigError("unknown 2-D dataset \"" + name + "\": use spirals, clusters, xor, checkerboard or moons");
    }
    const bool uses_classes = name == "spirals" || name == "clusters";
    ToyPoints out;
    out.classes = uses_classes ? classes : 2;
    double scale = 0.0;  // the noise unit of this set
    if (name == "spirals") scale = spiral_gap(out.classes);
    if (name == "clusters") scale = cluster_half_spacing(out.classes);
    if (name == "xor") scale = 0.5;
    if (name == "checkerboard") scale = 0.25;
    if (name == "moons") scale = kMoonScale;

    using data_detail::Stream;
    Rng shape(data_detail::stream_seed(seed, Stream::toy_shape));
    Rng jitter(data_detail::stream_seed(seed, Stream::toy_noise));
    const int n = std::max(points, 0);
    out.xy.reserve(static_cast<size_t>(n) * 2);
    out.labels.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        const int label = i % out.classes;
        Point p{};
        if (name == "spirals") p = spiral_point(shape, label, out.classes);
        if (name == "clusters") p = cluster_point(shape, label, out.classes);
        if (name == "xor") p = xor_point(shape, label);
        if (name == "checkerboard") p = checkerboard_point(shape, label);
        if (name == "moons") p = moon_point(shape, label);
        // Both normals are drawn whatever the noise, so the noise stream stays aligned with the points.
        const double nx = jitter.normal(), ny = jitter.normal();
        const auto clamp = [](double v) {
            return static_cast<float>(std::clamp(v, -1.0 * kToyBound, 1.0 * kToyBound));
        };
        out.xy.push_back(clamp(p.x + noise * scale * nx));
        out.xy.push_back(clamp(p.y + noise * scale * ny));
        out.labels.push_back(label);
    }
    return out;
}

}  // namespace moe
