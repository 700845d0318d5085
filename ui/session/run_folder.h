// Run folders in the GUI: open one that `moelab-cli train --out DIR` wrote (or the GUI saved) as a model snapshot
// with all its curves, and save a live run in the same format (config.json, metrics.csv, routing.csv,
// model.safetensors; see core/train/run_writer.h), so the CLI, pandas and the GUI read each other's runs.
#pragma once

#include "core/config.h"
#include "ui/session/snapshot.h"

#include <QString>

#include <string>
#include <vector>

namespace moe {
class Model;
class RunWriter;
}  // namespace moe

namespace moe::ui {

struct RunData {
    Config config;
    std::vector<std::string> domains;  // from routing.csv's load_<domain> columns
    ModelSnapshot snapshot;            // curves (downsampled), per layer latest loads, domain loads, utilisation
};

// Reads config.json, metrics.csv, routing.csv and, with devices > 1, traffic.csv (model.safetensors is not needed):
// the traffic curves come from metrics.csv's layer{l}_dispatch_bytes / _remote_devices_mean columns, each layer's
// latest dispatch matrix from traffic.csv, its device loads from routing.csv's expert loads and the placement. The
// snapshot's label is the folder's name; it has no probe or plane (those need a live model). Throws moe::FileError
// naming the folder or the file (and the line, for a malformed CSV row).
RunData load_run_folder(const QString& dir);

// Writes `dir` as a run folder: the files `recorded` holds (flushed first, then copied; it may record elsewhere) and
// the model's checkpoint. An earlier run saved in `dir` is removed first (core/train/run.h, ExistingFolder::replace);
// a `dir` that holds other files is refused. Throws moe::FileError.
void save_run_folder(const QString& dir, RunWriter& recorded, const Model& model, bool language, int n_outputs);

}  // namespace moe::ui
