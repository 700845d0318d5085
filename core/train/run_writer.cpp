#include "core/train/run_writer.h"

#include "core/io/atomic_file.h"

#include <charconv>
#include <cmath>

namespace moe {

std::string csv_number(double x) {
    if (std::isnan(x)) return "";
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, res.ptr);
}

RunWriter::RunWriter(std::filesystem::path dir, const Config& config, std::vector<std::string> domain_names)
    : dir_(std::move(dir)), domains_(std::move(domain_names)) {
    ensure_directory(dir_);
    write_file_atomic(dir_ / "config.json", config_to_json(config).dump(2) + "\n");
    // flush() appends: a folder reused for a new run starts its CSV files afresh.
    for (const char* name : {"metrics.csv", "routing.csv", "traffic.csv"}) std::filesystem::remove(dir_ / name);
    routing_ = "step,layer,expert,load,load_fraction,mean_prob";
    for (const auto& d : domains_) {
        std::string col = "load_" + d;
        for (char& c : col)
            if (c == ',' || c == '"' || c == ' ' || c == '\n') c = '_';
        routing_ += "," + col;
    }
    routing_ += "\n";
    devices_ = config.model.devices > 1 && config.model.n_routed_experts > 0;
    if (devices_) traffic_ = "step,layer,src,dst,tokens,bytes\n";
}

std::string RunWriter::metrics_header(const std::vector<LayerBalance>& layers, bool traffic) {
    std::string h = "step,loss,aux_loss,val_loss,accuracy,lr,grad_norm,tokens_per_s";
    for (const auto& b : layers) {
        const std::string p = ",layer" + std::to_string(b.layer) + "_";
        h += p + "imbalance" + p + "load_cv" + p + "dead_experts" + p + "entropy" + p + "aux_loss";
        if (traffic)
            h += p + "dispatch_bytes" + p + "combine_bytes" + p + "remote_devices_mean" + p + "remote_devices_max" +
                 p + "device_imbalance" + p + "dev_aux_loss" + p + "comm_aux_loss";
    }
    return h + "\n";
}

void RunWriter::add(const StepMetrics& m) {
    if (!has_header_) {
        metrics_ = metrics_header(m.balance, devices_);
        has_header_ = true;
    }
    std::string row = std::to_string(m.step) + "," + csv_number(m.loss) + "," + csv_number(m.aux_loss) + "," +
                      csv_number(m.val_loss) + "," + csv_number(m.accuracy) + "," + csv_number(m.lr) + "," +
                      csv_number(m.grad_norm) + "," + csv_number(m.tokens_per_s);
    for (const auto& b : m.balance) {
        row += "," + csv_number(b.imbalance) + "," + csv_number(b.load_cv) + "," + std::to_string(b.dead_experts) +
               "," + csv_number(b.entropy) + "," + csv_number(b.aux_loss);
        if (devices_)
            row += "," + std::to_string(b.dispatch_bytes) + "," + std::to_string(b.combine_bytes) + "," +
                   csv_number(b.remote_devices_mean) + "," + std::to_string(b.remote_devices_max) + "," +
                   csv_number(b.device_imbalance) + "," + csv_number(b.dev_aux_loss) + "," +
                   csv_number(b.comm_aux_loss);
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
            routing_ += "\n";
        }
    }
}

void RunWriter::flush() {
    // Only the rows since the last flush are held in memory; each file grows by an atomic append, so memory stays
    // flat over a long run and a reader never sees a half-written row. On failure the rows stay pending.
    auto push = [&](const char* name, std::string& pending) {
        if (pending.empty()) return;
        append_file_atomic(dir_ / name, pending);
        pending.clear();
    };
    if (has_header_) push("metrics.csv", metrics_);
    push("routing.csv", routing_);
    if (devices_) push("traffic.csv", traffic_);
}

}  // namespace moe
