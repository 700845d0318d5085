// Every live view, in the order the main window shows them (tabs / panels). "Export all" walks this list.
#pragma once

#include "ui/views/view.h"

#include <vector>

namespace moe::ui {

// Creates one instance of each view: loss, aux_loss, utilisation (bars), utilisation_over_time (heatmap),
// selection_bias (noaux_tc's bias over time),
// routing (probe heatmap), domains (domain x expert), plane (2-D tasks), accounting. Parent takes ownership.
std::vector<View*> create_all_views(QWidget* parent);

}  // namespace moe::ui
