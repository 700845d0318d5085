// A run folder, as `moelab-cli train --out DIR` writes it and the GUI reads it:
//   config.json       the full resolved config
//   metrics.csv       a row per step, named columns (per MoE layer l: layer{l}_imbalance, ...; with devices > 1
//                     also layer{l}_dispatch_bytes, _combine_bytes, _remote_devices_mean, _remote_devices_max,
//                     _device_imbalance, _dev_aux_loss, _comm_aux_loss)
//   routing.csv       long format: step, layer, expert, load, load_fraction, mean_prob, load_<domain>...
//   traffic.csv       only when devices > 1, at the routing samples: step, layer, src, dst, tokens, bytes (every
//                     src -> dst pair of the D x D dispatch matrix; combine sends the transpose back)
//   model.safetensors the checkpoint (written by the caller with save_checkpoint)
// Rows are kept in memory until flush(), which appends them to the CSV files atomically (a temporary with the old
// content and the new rows, then a rename), so a reader (or a crash) never sees a half-written file and memory
// stays flat however long the run.
#pragma once

#include "core/config.h"
#include "core/train/metrics.h"

#include <filesystem>
#include <string>
#include <vector>

namespace moe {

class RunWriter {
public:
    // Creates the folder and writes config.json. Throws FileError.
    RunWriter(std::filesystem::path dir, const Config& config, std::vector<std::string> domain_names);

    void add(const StepMetrics& m);
    void flush();
    const std::filesystem::path& dir() const { return dir_; }

    // traffic: add the per-layer traffic columns (devices > 1).
    static std::string metrics_header(const std::vector<LayerBalance>& layers, bool traffic = false);

private:
    std::filesystem::path dir_;
    std::vector<std::string> domains_;
    std::string metrics_, routing_, traffic_;
    bool has_header_ = false;
    bool devices_ = false;  // more than one simulated device: traffic columns and traffic.csv
};

// Formats a number for CSV: shortest text that reads back to the same double; NaN as an empty cell.
std::string csv_number(double x);

}  // namespace moe
