// A run folder, as `moelab-cli train --out DIR` writes it and the GUI reads it:
//   config.json       the full resolved config
//   metrics.csv       a row per step, named columns: step, loss, aux_loss, val_loss, accuracy, lr, grad_norm,
//                     tokens_per_s, val_accuracy, val_loss_<domain> per domain; per MoE layer l: layer{l}_imbalance,
//                     _load_cv, _dead_experts, _entropy, _aux_loss (balance losses), _z_loss (router z-loss), with
//                     devices > 1 also _dispatch_bytes, _combine_bytes, _remote_devices_mean, _remote_devices_max,
//                     _device_imbalance, _dev_aux_loss, _comm_aux_loss, then _max_violation and _balance_statistic
//                     of the training batch, and of the evaluation on the fixed validation set _val_max_violation
//                     (MaxVio_global),
//                     _val_balance_statistic, _domain_specialisation, _byte_specialisation, _saturation. The val_
//                     columns and the evaluation columns are empty on steps without an evaluation (and a measure
//                     that does not apply, e.g. byte specialisation on 2-D sets or the first saturation, is empty).
//   routing.csv       long format: step, layer, expert, load, load_fraction, mean_prob, load_<domain>...
//   traffic.csv       only when devices > 1, at the routing samples: step, layer, src, dst, tokens, bytes (every
//                     src -> dst pair of the D x D dispatch matrix; combine sends the transpose back)
//   val_routing.csv   at every evaluation, long format: step, layer, domain, expert, load (token-slots of that
//                     domain's validation tokens on that expert, over the whole fixed validation set)
//   coactivation.csv  the latest evaluation only: step, layer, expert_i, expert_j, value = N(i, j) / N(i)
//                     (core/moe/routing_measures.h), rewritten whole at each flush
//   model.safetensors the checkpoint (written by the caller with save_checkpoint)
// Rows are kept in memory until flush(), which appends them to the CSV files as whole lines (append_lines: the new
// bytes only, then a flush to disk), so memory and the cost of a flush stay flat however long the run; a crash can
// leave at most a torn last line, which readers drop.
#pragma once

#include "core/config.h"
#include "core/train/evaluation.h"
#include "core/train/metrics.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace moe {

class RunWriter {
public:
    // Starts a run in `dir`: removes an earlier run's files there (prepare_run_folder with replace; a folder that
    // holds anything else is refused), creates the folder and writes config.json. Throws FileError.
    RunWriter(std::filesystem::path dir, const Config& config, std::vector<std::string> domain_names);

    void add(const StepMetrics& m);
    void flush();
    const std::filesystem::path& dir() const { return dir_; }

    // domains: the dataset's domain names (one val_loss_<domain> column each); traffic: add the per-layer traffic
    // columns (devices > 1).
    static std::string metrics_header(const std::vector<LayerBalance>& layers, const std::vector<std::string>& domains,
                                      bool traffic = false);

private:
    std::filesystem::path dir_;
    std::vector<std::string> domains_;
    std::string metrics_, routing_, traffic_, val_routing_;
    bool has_header_ = false;
    bool devices_ = false;  // more than one simulated device: traffic columns and traffic.csv
    bool selection_bias_ = false;  // noaux_tc: routing.csv gets each expert's selection bias b_i
    int eval_step_ = 0;                             // the step of latest_eval_
    std::shared_ptr<const Evaluation> latest_eval_;  // for coactivation.csv
    bool coactivation_pending_ = false;             // latest_eval_ is newer than the coactivation.csv written
};

// Formats a number for CSV: shortest text that reads back to the same double; NaN as an empty cell.
std::string csv_number(double x);
// A name usable in a CSV header or cell: commas, quotes, spaces and newlines become '_'.
std::string csv_name(std::string name);

}  // namespace moe
