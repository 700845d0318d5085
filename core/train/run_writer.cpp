#include "core/train/run_writer.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/train/run.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace moe {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The evaluation of MoE layer `layer`, or null (no evaluation this step, or a layer it does not hold).
const LayerEvaluation* layer_of(const Evaluation* e, int layer) {
    if (!e) return nullptr;
    for (const LayerEvaluation& l : e->layers)
        if (l.layer == layer) return &l;
    return nullptr;
}

double at(const std::vector<double>& v, size_t i) { return i < v.size() ? v[i] : kNaN; }

}  // namespace

std::string csv_number(double x) {
    if (std::isnan(x)) return "";
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, res.ptr);
}

std::string csv_name(std::string name) {
    for (char& c : name)
        if (c == ',' || c == '"' || c == ' ' || c == '\n' || c == '\r') c = '_';
    return name;
}

RunWriter::RunWriter(std::filesystem::path dir, const Config& config, std::vector<std::string> domain_names)
    : dir_(std::move(dir)), domains_(std::move(domain_names)) {
    // flush() appends, so the CSV files must start afresh: an earlier run's files go first (a folder holding
    // anything else is refused, never mixed into).
    prepare_run_folder(dir_, ExistingFolder::replace);
    ensure_directory(dir_);
    write_file_atomic(dir_ / "config.json", config_to_json(config).dump(2) + "\n");
    routing_ = "step,layer,expert,load,load_fraction,mean_prob";
    for (const auto& d : domains_) routing_ += "," + csv_name("load_" + d);
    selection_bias_ = config.model.n_routed_experts > 0 && uses_selection_bias(config.model);
    if (selection_bias_) routing_ += ",selection_bias";
    routing_ += "\n";
    devices_ = config.model.devices > 1 && config.model.n_routed_experts > 0;
    if (devices_) traffic_ = "step,layer,src,dst,tokens,bytes\n";
    if (config.model.n_routed_experts > 0) val_routing_ = "step,layer,domain,expert,load\n";
}

std::string RunWriter::metrics_header(const std::vector<LayerBalance>& layers, const std::vector<std::string>& domains,
                                      bool traffic) {
    std::string h = "step,loss,aux_loss,val_loss,accuracy,lr,grad_norm,tokens_per_s,val_accuracy";
    for (const auto& d : domains) h += "," + csv_name("val_loss_" + d);
    for (const auto& b : layers) {
        const std::string p = ",layer" + std::to_string(b.layer) + "_";
        h += p + "imbalance" + p + "load_cv" + p + "dead_experts" + p + "entropy" + p + "aux_loss" + p + "z_loss" + p +
             "dropped_fraction";
        if (traffic)
            h += p + "dispatch_bytes" + p + "combine_bytes" + p + "remote_devices_mean" + p + "remote_devices_max" +
                 p + "device_imbalance" + p + "dev_aux_loss" + p + "comm_aux_loss";
        h += p + "max_violation" + p + "balance_statistic" + p + "val_max_violation" + p + "val_balance_statistic" + p +
             "domain_specialisation" + p + "byte_specialisation" + p + "saturation";
    }
    return h + "\n";
}

void RunWriter::add(const StepMetrics& m) {
    if (!has_header_) {
        metrics_ = metrics_header(m.balance, domains_, devices_);
        has_header_ = true;
    }
    const Evaluation* ev = m.eval.get();
    std::string row = std::to_string(m.step) + "," + csv_number(m.loss) + "," + csv_number(m.aux_loss) + "," +
                      csv_number(m.val_loss) + "," + csv_number(m.accuracy) + "," + csv_number(m.lr) + "," +
                      csv_number(m.grad_norm) + "," + csv_number(m.tokens_per_s) + "," +
                      csv_number(ev ? ev->accuracy : kNaN);
    for (size_t d = 0; d < domains_.size(); ++d) row += "," + csv_number(ev ? at(ev->domain_loss, d) : kNaN);
    for (const auto& b : m.balance) {
        row += "," + csv_number(b.imbalance) + "," + csv_number(b.load_cv) + "," + std::to_string(b.dead_experts) +
               "," + csv_number(b.entropy) + "," + csv_number(b.aux_loss) + "," + csv_number(b.z_loss) + "," +
               csv_number(b.dropped_fraction);
        if (devices_)
            row += "," + std::to_string(b.dispatch_bytes) + "," + std::to_string(b.combine_bytes) + "," +
                   csv_number(b.remote_devices_mean) + "," + std::to_string(b.remote_devices_max) + "," +
                   csv_number(b.device_imbalance) + "," + csv_number(b.dev_aux_loss) + "," +
                   csv_number(b.comm_aux_loss);
        const LayerEvaluation* l = layer_of(ev, b.layer);
        row += "," + csv_number(b.max_violation) + "," + csv_number(b.balance_statistic);
        for (double v : {l ? l->max_violation : kNaN, l ? l->balance_statistic : kNaN,
                         l ? l->domain_specialisation : kNaN, l ? l->byte_specialisation : kNaN,
                         l ? l->saturation : kNaN})
            row += "," + csv_number(v);
    }
    metrics_ += row + "\n";
    if (devices_)
        for (const auto& s : m.routing) {
            const std::string head = std::to_string(m.step) + "," + std::to_string(s.layer) + ",";
            for (size_t i = 0; i < s.traffic.size(); ++i)
                for (size_t j = 0; j < s.traffic[i].size(); ++j)
                    traffic_ += head + std::to_string(i) + "," + std::to_string(j) + "," +
                                std::to_string(s.traffic[i][j]) + "," +
                                std::to_string(s.traffic[i][j] * s.bytes_per_copy) + "\n";
        }
    for (const auto& s : m.routing) {
        int64_t total = 0;
        for (auto x : s.load) total += x;
        for (size_t e = 0; e < s.load.size(); ++e) {
            routing_ += std::to_string(m.step) + "," + std::to_string(s.layer) + "," + std::to_string(e) + "," +
                        std::to_string(s.load[e]) + "," +
                        csv_number(total > 0 ? static_cast<double>(s.load[e]) / static_cast<double>(total) : 0.0) +
                        "," + csv_number(s.mean_prob[e]);
            for (size_t d = 0; d < domains_.size(); ++d)
                routing_ += "," + std::to_string(d < s.domain_load.size() ? s.domain_load[d][e] : 0);
            if (selection_bias_)
                routing_ += "," + csv_number(e < s.selection_bias.size() ? s.selection_bias[e] : kNaN);
            routing_ += "\n";
        }
    }
    if (ev && !ev->layers.empty()) {
        for (const LayerEvaluation& l : ev->layers)
            for (size_t d = 0; d < l.domain_load.size() && d < domains_.size(); ++d)
                for (size_t x = 0; x < l.domain_load[d].size(); ++x)
                    val_routing_ += std::to_string(m.step) + "," + std::to_string(l.layer) + "," +
                                    csv_name(domains_[d]) + "," + std::to_string(x) + "," +
                                    std::to_string(l.domain_load[d][x]) + "\n";
        latest_eval_ = m.eval;
        eval_step_ = m.step;
        coactivation_pending_ = true;
    }
}

void RunWriter::flush() {
    // Only the rows since the last flush are held in memory; each file grows by an append of whole lines (O(new
    // rows), nothing rewritten), so memory and flush cost stay flat over a long run. A reader drops a torn last line.
    // On failure the rows stay pending.
    auto push = [&](const char* name, std::string& pending) {
        if (pending.empty()) return;
        append_lines(dir_ / name, pending);
        pending.clear();
    };
    if (has_header_) push("metrics.csv", metrics_);
    push("routing.csv", routing_);
    if (devices_) push("traffic.csv", traffic_);
    // Nothing but the header before the first evaluation: the file then appears with its first rows.
    if (latest_eval_) push("val_routing.csv", val_routing_);
    if (coactivation_pending_) {
        std::string text = "step,layer,expert_i,expert_j,value\n";
        for (const LayerEvaluation& l : latest_eval_->layers) {
            const auto n = l.load.size();
            if (l.coactivation.size() != n * n) continue;
            const std::string head = std::to_string(eval_step_) + "," + std::to_string(l.layer) + ",";
            for (size_t i = 0; i < n; ++i)
                for (size_t j = 0; j < n; ++j)
                    text += head + std::to_string(i) + "," + std::to_string(j) + "," +
                            csv_number(l.coactivation[i * n + j]) + "\n";
        }
        write_file_atomic(dir_ / "coactivation.csv", text);
        coactivation_pending_ = false;
    }
}

}  // namespace moe
