// Forward-only looks inside a model for the GUI: the probe text through an LM, the 2-D plane coloured by expert,
// one clicked point. Each runs Model::forward on a small batch of its own; that overwrites the model's caches, which
// is safe between training steps because train_step always runs forward again before backward.
#pragma once

#include "core/model/model.h"
#include "ui/session/snapshot.h"

#include <string>
#include <vector>

namespace moe {
class ToyDataset;
}

namespace moe::ui {

// The text as bytes, truncated to the model's max_position_embeddings; empty text gives no layers.
std::vector<ProbeLayer> run_probe(Model& model, const std::string& text);

// A grid x grid lattice over the plane's box: top-1 routed expert per MoE layer and the predicted class per cell,
// plus the dataset's points and labels (when `data` is given).
PlaneSnapshot run_plane(Model& model, int n_classes, const ToyDataset* data, int grid = 48);

// One point through a 2-D classifier.
PointInspection inspect_point(Model& model, int model_index, double x, double y);

// The per-token routing of the last forward pass, for rows [0, rows) of every MoE layer.
std::vector<ProbeLayer> probe_layers(const Model& model, int rows);

}  // namespace moe::ui
