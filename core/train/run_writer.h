// A run folder, as `moelab-cli train --out DIR` writes it and the GUI reads it:
//   config.json       the full resolved config
//   metrics.csv       a row per step, named columns (per MoE layer l: layer{l}_imbalance, ...)
//   routing.csv       long format: step, layer, expert, load, load_fraction, mean_prob, load_<domain>...
//   model.safetensors the checkpoint (written by the caller with save_checkpoint)
// Rows are kept in memory and every flush() rewrites the CSV files atomically, so a reader (or a crash) never
// sees a half-written file.
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

    static std::string metrics_header(const std::vector<LayerBalance>& layers);

private:
    std::filesystem::path dir_;
    std::vector<std::string> domains_;
    std::string metrics_, routing_;
    bool has_header_ = false;
};

// Formats a number for CSV: shortest text that reads back to the same double; NaN as an empty cell.
std::string csv_number(double x);

}  // namespace moe
