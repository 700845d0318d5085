// Colour maps shared by the views: a sequential map for magnitudes (gate probabilities, load shares) and
// categorical palettes for experts and classes.
#pragma once

#include <QColor>

class QCPColorGradient;

namespace moe::ui {

// Viridis-like: perceptually even, readable by colour-blind viewers, and dark-to-bright so it prints in grey.
QCPColorGradient sequential_gradient();

// Diverging, for values against a neutral level (relative load, relative score): blue below, white at `centre` (the
// neutral level's position in [0, 1] along the colour range), red above. Blue against red stays distinct under the
// usual colour-vision deficiencies, and the white middle reads as "nothing to see" in print.
QCPColorGradient diverging_gradient(double centre = 0.5);

// n discrete colours, one per category 0..n-1 (for a colour map whose data range is [0, n-1]).
QCPColorGradient categorical_gradient(int n);

// Light colours for experts (background regions): 20 distinct ones, then repeating.
QColor expert_colour(int expert);

// Colours for classes (markers drawn over the expert colours), never model A's blue or B's orange.
QColor class_colour(int cls);

}  // namespace moe::ui
