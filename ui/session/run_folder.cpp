#include "ui/session/run_folder.h"

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/json_text.h"
#include "core/moe/device_routing.h"
#include "core/train/run.h"
#include "core/train/run_writer.h"
#include "datasets/dataset.h"
#include "datasets/toy2d.h"
#include "ui/session/model_history.h"

#include <QDir>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string_view>

namespace moe::ui {
namespace {

namespace fs = std::filesystem;

fs::path to_path(const QString& s) { return fs::path(s.toStdU16String()); }

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
    throw FileError(file.string() + ": " + what);
}

std::vector<std::string_view> split(std::string_view line) {
    std::vector<std::string_view> cells;
    size_t start = 0;
    for (;;) {
        const size_t comma = line.find(',', start);
        cells.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos) return cells;
        start = comma + 1;
    }
}

// Calls on_line(line number, line) for every non-empty line of `text` (a trailing '\r' removed).
// A last line without its newline is a row torn by a crash mid-append (core/io/atomic_file.h append_lines): dropped.
void for_each_line(const std::string& text, const std::function<void(int, std::string_view)>& on_line) {
    size_t pos = 0;
    int line_no = 0;
    while (pos < text.size()) {
        const size_t end = text.find('\n', pos);
        if (end == std::string::npos) break;
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty()) on_line(line_no, line);
    }
}

// Streams a CSV file of numbers with a named header: on_row(line number, cells), an empty cell read as NaN.
void read_csv(const fs::path& file, const std::function<void(const std::vector<std::string>&)>& on_header,
              const std::function<void(int, const std::vector<double>&)>& on_row) {
    const std::string text = read_file(file);
    std::vector<std::string> header;
    std::vector<double> cells;
    for_each_line(text, [&](int line_no, std::string_view line) {
        const auto parts = split(line);
        if (header.empty()) {
            for (auto p : parts) header.emplace_back(p);
            on_header(header);
            return;
        }
        if (parts.size() != header.size())
            fail(file, "line " + std::to_string(line_no) + " has " + std::to_string(parts.size()) +
                           " cells, but the header names " + std::to_string(header.size()) + " columns");
        cells.resize(parts.size());
        for (size_t i = 0; i < parts.size(); ++i) {
            const std::string_view p = parts[i];
            if (p.empty()) {
                cells[i] = std::numeric_limits<double>::quiet_NaN();
                continue;
            }
            const auto res = std::from_chars(p.data(), p.data() + p.size(), cells[i]);
            if (res.ec != std::errc() || res.ptr != p.data() + p.size())
                fail(file, "line " + std::to_string(line_no) + ", column \"" + header[i] + "\": \"" + std::string(p) +
                               "\" is not a number");
        }
        on_row(line_no, cells);
    });
    if (header.empty()) fail(file, "the file is empty (no header line): the run wrote nothing yet");
}

// Column index by name; -1 when absent.
int column(const std::vector<std::string>& header, const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return static_cast<int>(i);
    return -1;
}

int require(const fs::path& file, const std::vector<std::string>& header, const std::string& name) {
    const int c = column(header, name);
    if (c < 0) fail(file, "the header (line 1) has no \"" + name + "\" column: is this a MoE Lab run folder?");
    return c;
}

double cell(const std::vector<double>& row, int c, double fallback = 0.0) { return c >= 0 ? row[c] : fallback; }

Config read_config(const fs::path& file) {
    const std::string text = read_file(file);
    // parse_json: a FileError naming the file for any JSON problem (malformed, too deep, a number out of range).
    const nlohmann::json j = parse_json(text, file.string());
    try {
        return config_from_json(j);
    } catch (const ConfigError& e) {
        fail(file, e.what());
    } catch (const nlohmann::json::exception& e) {
        // A value of the wrong type that the config reader did not check itself: still a message naming the file.
        fail(file, std::string("not a MoE Lab config: ") + e.what());
    }
}

struct LayerColumns {
    int layer = 0;
    int imbalance = -1, load_cv = -1, dead = -1, entropy = -1, aux_loss = -1;
    int z_loss = -1;  // router z-loss (-1 in folders from before it was recorded)
    int dropped = -1;  // share of slots dropped over capacity (-1 in folders from before it was recorded)
    // Simulated expert parallelism (devices > 1 only; -1 when the run has no such columns).
    int dispatch_bytes = -1, combine_bytes = -1, remote_mean = -1, remote_max = -1, device_imbalance = -1,
        dev_aux = -1, comm_aux = -1;
    // The training batch's MaxVio and N_r * sum_i f_i P_i (-1 in folders from before they were recorded).
    int max_violation = -1, balance_statistic = -1;
};

// A count cell as an integer (an empty cell, read as NaN, counts 0; casting NaN or a value beyond int64's range to
// an integer is undefined, so those are clamped: a count can be wrong in a corrupt file, never undefined).
int64_t whole(double v) {
    if (!std::isfinite(v)) return 0;
    return static_cast<int64_t>(std::clamp(v, -4.0e18, 4.0e18));
}
// The same, clamped to int's range (dead experts, remote devices).
int small_whole(double v) { return static_cast<int>(std::clamp<int64_t>(whole(v), 0, 2147483647)); }

// A whole-number cell of a table file in [0, max], checked before the cast (casting NaN, an infinity or a value
// beyond the target's range to an integer is undefined): a step of 11111111110 or 1e300 is a FileError naming the
// file, the line, the column and the problem.
int64_t whole_cell(const fs::path& file, int line, double v, const std::string& column, double max) {
    if (std::isfinite(v) && v >= 0 && v <= max && v == std::floor(v)) return static_cast<int64_t>(v);
    const std::string given = std::isnan(v) ? "an empty cell" : std::isinf(v) ? "an infinity" : csv_number(v);
    fail(file, "line " + std::to_string(line) + ", column \"" + column + "\": " + column +
                   " must be a whole number from 0 to " + std::to_string(static_cast<int64_t>(max)) + ", not " +
                   given);
}
constexpr double kMaxStep = 2147483647.0;  // steps are ints
constexpr double kMaxIndex = 999999.0;     // layers, experts and devices: far beyond any config's limit

LayerBalance balance_from_row(const LayerColumns& lc, const std::vector<double>& row, int devices) {
    LayerBalance b;
    b.layer = lc.layer;
    b.imbalance = cell(row, lc.imbalance);
    b.load_cv = cell(row, lc.load_cv);
    b.dead_experts = small_whole(cell(row, lc.dead));
    b.entropy = cell(row, lc.entropy);
    b.aux_loss = cell(row, lc.aux_loss);
    b.z_loss = cell(row, lc.z_loss);
    b.dropped_fraction = cell(row, lc.dropped);
    b.devices = devices;
    b.dispatch_bytes = whole(cell(row, lc.dispatch_bytes));
    b.combine_bytes = whole(cell(row, lc.combine_bytes));
    b.remote_devices_mean = cell(row, lc.remote_mean);
    b.remote_devices_max = small_whole(cell(row, lc.remote_max));
    b.device_imbalance = cell(row, lc.device_imbalance);
    b.dev_aux_loss = cell(row, lc.dev_aux);
    b.comm_aux_loss = cell(row, lc.comm_aux);
    // An older folder has no such columns: MaxVio is max/mean - 1 by definition, the statistic cannot be recovered
    // (NaN: the balance view then has no curve rather than a false one at 0).
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    b.max_violation = lc.max_violation >= 0 ? row[lc.max_violation] : b.imbalance > 0 ? b.imbalance - 1.0 : nan;
    b.balance_statistic = cell(row, lc.balance_statistic, nan);
    return b;
}

// The latest dispatch matrix of one layer in traffic.csv.
struct LayerTraffic {
    int step = -1;
    std::vector<std::vector<int64_t>> copies;  // [D][D]
};

// traffic.csv (written only when devices > 1): one row per cell of each routing sample's D x D dispatch matrix.
// Only the latest sample of each layer is kept (the snapshot shows the latest one), so memory stays flat however
// long the run. No file: no matrices (a run folder from before traffic was recorded).
std::map<int, LayerTraffic> read_traffic(const fs::path& file, int devices) {
    std::map<int, LayerTraffic> latest;
    std::error_code ec;
    if (!fs::exists(file, ec)) return latest;
    int c_step = -1, c_layer = -1, c_src = -1, c_dst = -1, c_tokens = -1;
    read_csv(
        file,
        [&](const std::vector<std::string>& h) {
            c_step = require(file, h, "step");
            c_layer = require(file, h, "layer");
            c_src = require(file, h, "src");
            c_dst = require(file, h, "dst");
            c_tokens = require(file, h, "tokens");
        },
        [&](int line, const std::vector<double>& row) {
            const int step = static_cast<int>(whole_cell(file, line, row[c_step], "step", kMaxStep));
            const int layer = static_cast<int>(whole_cell(file, line, row[c_layer], "layer", kMaxIndex));
            const int64_t src = whole_cell(file, line, row[c_src], "src", kMaxIndex);
            const int64_t dst = whole_cell(file, line, row[c_dst], "dst", kMaxIndex);
            const int64_t tokens = whole_cell(file, line, row[c_tokens], "tokens", 4.0e18);
            if (src >= devices || dst >= devices)
                fail(file, "line " + std::to_string(line) + ": device " + std::to_string(std::max(src, dst)) +
                               " does not exist: config.json has devices = " + std::to_string(devices));
            LayerTraffic& t = latest[layer];
            if (step < t.step) return;  // rows are in step order; an older sample is already replaced
            if (step > t.step) {
                t.step = step;
                t.copies.assign(static_cast<size_t>(devices), std::vector<int64_t>(static_cast<size_t>(devices), 0));
            }
            t.copies[static_cast<size_t>(src)][static_cast<size_t>(dst)] = tokens;
        });
    return latest;
}

// A whole number cell of a table file, checked (casting NaN or a huge value to an integer is undefined).
int index_cell(const fs::path& file, int line, double v, const char* what) {
    return static_cast<int>(whole_cell(file, line, v, what, kMaxIndex));
}

// The latest evaluation's tables: val_routing.csv (step, layer, domain name, expert, load: the domain x expert load
// on the fixed validation set at every evaluation; the latest step is kept) and coactivation.csv (the latest
// evaluation's N(i,j)/N(i)). Either file may be missing (older run folders): then there is no table.
void read_eval_tables(const fs::path& root, const Config& config, const std::vector<std::string>& domains,
                      EvalHistory& eval) {
    const int n = config.model.n_routed_experts, k = config.model.num_experts_per_tok;
    if (n <= 0) return;
    std::map<int, std::pair<int, std::vector<std::vector<double>>>> loads;  // layer -> (step, [domain][expert])
    std::error_code ec;
    const fs::path vr = root / "val_routing.csv";
    if (fs::exists(vr, ec)) {
        // Its domain column holds names, so it is read here rather than by read_csv (numbers only).
        for_each_line(read_file(vr), [&](int line_no, std::string_view line) {
            if (line_no == 1) return;  // the header: step,layer,domain,expert,load
            const auto cells = split(line);
            if (cells.size() != 5) fail(vr, "line " + std::to_string(line_no) + " has " +
                                                std::to_string(cells.size()) + " cells, expected 5");
            double v[5] = {};
            for (int c : {0, 1, 3, 4}) {
                const auto res = std::from_chars(cells[c].data(), cells[c].data() + cells[c].size(), v[c]);
                if (res.ec != std::errc() || res.ptr != cells[c].data() + cells[c].size())
                    fail(vr, "line " + std::to_string(line_no) + ": \"" + std::string(cells[c]) + "\" is not a number");
            }
            const int step = static_cast<int>(whole_cell(vr, line_no, v[0], "step", kMaxStep));
            const int layer = index_cell(vr, line_no, v[1], "layer");
            const int expert = index_cell(vr, line_no, v[3], "expert");
            if (expert >= n) fail(vr, "line " + std::to_string(line_no) + ": expert " + std::to_string(expert) +
                                          " does not exist: config.json has n_routed_experts = " + std::to_string(n));
            const auto d = std::find(domains.begin(), domains.end(), std::string(cells[2]));
            if (d == domains.end()) return;  // a domain routing.csv does not name: nothing to place it in
            auto& [at, table] = loads[layer];
            if (step < at) return;
            if (step > at || table.empty()) {
                at = step;
                table.assign(domains.size(), std::vector<double>(static_cast<size_t>(n), 0.0));
            }
            table[static_cast<size_t>(d - domains.begin())][static_cast<size_t>(expert)] = std::isfinite(v[4]) ? v[4] : 0;
        });
    }
    std::map<int, std::vector<double>> coact;  // layer -> [n * n]
    const fs::path co = root / "coactivation.csv";
    if (fs::exists(co, ec)) {
        int c_layer = -1, c_i = -1, c_j = -1, c_v = -1;
        read_csv(
            co,
            [&](const std::vector<std::string>& h) {
                c_layer = require(co, h, "layer");
                c_i = require(co, h, "expert_i");
                c_j = require(co, h, "expert_j");
                c_v = require(co, h, "value");
            },
            [&](int line, const std::vector<double>& row) {
                const int layer = index_cell(co, line, row[c_layer], "layer");
                const int i = index_cell(co, line, row[c_i], "expert_i"), j = index_cell(co, line, row[c_j], "expert_j");
                if (i >= n || j >= n)
                    fail(co, "line " + std::to_string(line) + ": expert index beyond n_routed_experts = " +
                                 std::to_string(n));
                auto& m = coact[layer];
                m.resize(static_cast<size_t>(n) * n, 0.0);
                m[static_cast<size_t>(i) * n + j] = std::isfinite(row[c_v]) ? row[c_v] : 0.0;
            });
    }
    std::vector<int> layers;
    for (const auto& [l, t] : loads) layers.push_back(l);
    for (const auto& [l, m] : coact)
        if (!loads.count(l)) layers.push_back(l);
    for (int l : layers)
        eval.set_tables(l, n, k, loads.count(l) ? loads[l].second : std::vector<std::vector<double>>{},
                        coact.count(l) ? coact[l] : std::vector<double>{});
}

}  // namespace

RunData load_run_folder(const QString& dir) {
    const fs::path root = to_path(dir);
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        throw FileError("run folder \"" + root.string() +
                        "\" does not exist or is not a folder: choose a folder written by `moelab-cli train --out`");
    RunData run;
    run.config = read_config(root / "config.json");
    const Config& config = run.config;
    ModelHistory history(config.model);
    const int devices = config.model.devices;

    // metrics.csv: the curves, and the layers' balance summaries of the routing steps (for routing.csv below; a
    // sample without one gets the summaries computed from its loads).
    const fs::path metrics = root / "metrics.csv";
    int c_step = -1, c_loss = -1, c_aux = -1, c_val = -1, c_acc = -1, c_lr = -1, c_grad = -1, c_val_acc = -1;
    std::vector<int> c_val_domain;  // val_loss_<domain>, in the domains' order
    std::vector<LayerColumns> layer_cols;
    // Per MoE layer, the measures on the fixed validation set (absent in folders from before they were recorded).
    struct LayerEvalColumns {
        int layer = 0, max_violation = -1, balance = -1, domain = -1, byte = -1, saturation = -1;
    };
    std::vector<LayerEvalColumns> eval_cols;
    std::map<int, std::vector<LayerBalance>> balances;
    read_csv(
        metrics,
        [&](const std::vector<std::string>& h) {
            c_step = require(metrics, h, "step");
            c_loss = require(metrics, h, "loss");
            c_aux = column(h, "aux_loss");
            c_val = column(h, "val_loss");
            c_acc = column(h, "accuracy");
            c_lr = column(h, "lr");
            c_grad = column(h, "grad_norm");
            c_val_acc = column(h, "val_accuracy");
            for (size_t i = 0; i < h.size(); ++i)
                if (h[i].rfind("val_loss_", 0) == 0) c_val_domain.push_back(static_cast<int>(i));
            for (size_t i = 0; i < h.size(); ++i) {
                const std::string& name = h[i];
                const std::string suffix = "_imbalance";
                if (name.rfind("layer", 0) != 0 || name.size() <= suffix.size() + 5 ||
                    name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
                    continue;
                const std::string index = name.substr(5, name.size() - 5 - suffix.size());
                // "layer0_device_imbalance" (device-limited runs) is not a layer's load imbalance: digits only.
                if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) continue;
                LayerColumns lc;
                // std::atoi of "layer99999999999_imbalance" would overflow (undefined): parsed with a range check.
                const auto parsed = std::from_chars(index.data(), index.data() + index.size(), lc.layer);
                if (parsed.ec != std::errc() || lc.layer > kMaxIndex)
                    fail(metrics, "line 1, column \"" + name + "\": the layer index must be a whole number from 0 to " +
                                      std::to_string(static_cast<int>(kMaxIndex)));
                const std::string p = "layer" + index + "_";
                lc.imbalance = static_cast<int>(i);
                lc.load_cv = column(h, p + "load_cv");
                lc.dead = column(h, p + "dead_experts");
                lc.entropy = column(h, p + "entropy");
                lc.aux_loss = column(h, p + "aux_loss");
                lc.z_loss = column(h, p + "z_loss");
                lc.dropped = column(h, p + "dropped_fraction");
                lc.dispatch_bytes = column(h, p + "dispatch_bytes");
                lc.combine_bytes = column(h, p + "combine_bytes");
                lc.remote_mean = column(h, p + "remote_devices_mean");
                lc.remote_max = column(h, p + "remote_devices_max");
                lc.device_imbalance = column(h, p + "device_imbalance");
                lc.dev_aux = column(h, p + "dev_aux_loss");
                lc.comm_aux = column(h, p + "comm_aux_loss");
                lc.max_violation = column(h, p + "max_violation");
                lc.balance_statistic = column(h, p + "balance_statistic");
                layer_cols.push_back(lc);
                LayerEvalColumns ec{lc.layer, column(h, p + "val_max_violation"), column(h, p + "val_balance_statistic"),
                                    column(h, p + "domain_specialisation"), column(h, p + "byte_specialisation"),
                                    column(h, p + "saturation")};
                if (ec.max_violation >= 0) eval_cols.push_back(ec);
            }
        },
        [&](int line, const std::vector<double>& row) {
            StepMetrics m;
            if (std::isnan(row[c_step])) fail(metrics, "line " + std::to_string(line) + " has no step number");
            m.step = static_cast<int>(whole_cell(metrics, line, row[c_step], "step", kMaxStep));
            m.loss = row[c_loss];
            m.aux_loss = cell(row, c_aux);
            m.val_loss = cell(row, c_val, std::numeric_limits<double>::quiet_NaN());
            m.accuracy = cell(row, c_acc);
            m.lr = cell(row, c_lr);
            m.grad_norm = cell(row, c_grad);
            // Every step's balance: with devices > 1 the history sums its bytes and remote devices into curves.
            for (const LayerColumns& lc : layer_cols) m.balance.push_back(balance_from_row(lc, row, devices));
            for (const LayerBalance& b : m.balance) m.z_loss += b.z_loss;
            history.add_step(m);
            if (std::isfinite(m.val_loss)) {
                constexpr double nan = std::numeric_limits<double>::quiet_NaN();
                std::vector<double> domain_loss;
                for (int c : c_val_domain) domain_loss.push_back(row[c]);
                history.eval().add_scores(m.step, m.val_loss, cell(row, c_val_acc, nan), domain_loss);
                for (const LayerEvalColumns& ec : eval_cols)
                    history.eval().add_layer_measures(m.step, ec.layer, cell(row, ec.max_violation, nan),
                                                      cell(row, ec.balance, nan), cell(row, ec.domain, nan),
                                                      cell(row, ec.byte, nan), cell(row, ec.saturation, nan));
            }
            // Only the steps that carry a routing sample need their balance kept (the trainer's rule).
            const TrainConfig& t = config.train;
            if (m.step % t.routing_interval == 0 || m.step == 1 || m.step == t.steps)
                balances[m.step] = std::move(m.balance);
        });

    // traffic.csv: the latest dispatch matrix of each layer, attached below to that layer's routing sample of the
    // same step. The work per device is not in the files: it is the sum of the loads of the experts placed there.
    const std::map<int, LayerTraffic> traffic =
        devices > 1 ? read_traffic(root / "traffic.csv", devices) : std::map<int, LayerTraffic>{};
    std::vector<int32_t> expert_device;
    if (devices > 1 && config.model.n_routed_experts > 0)
        expert_device = place_experts(device_spec_of(config.model), config.model.n_routed_experts);

    // routing.csv: rows grouped by (step, layer), one row per expert; each group is one routing sample.
    const fs::path routing = root / "routing.csv";
    int r_step = -1, r_layer = -1, r_expert = -1, r_load = -1, r_prob = -1;
    int r_bias = -1;  // noaux_tc runs only
    std::vector<int> domain_cols;
    RoutingStats current;
    int current_step = -1;
    bool have = false;
    auto flush = [&] {
        if (!have) return;
        if (!expert_device.empty()) {
            current.devices = devices;
            current.device_load.assign(static_cast<size_t>(devices), 0);
            for (size_t e = 0; e < current.load.size() && e < expert_device.size(); ++e)
                current.device_load[static_cast<size_t>(expert_device[e])] += current.load[e];
            if (auto it = traffic.find(current.layer); it != traffic.end() && it->second.step == current_step)
                current.traffic = it->second.copies;
        }
        LayerBalance b = balance_of(current);
        if (auto it = balances.find(current_step); it != balances.end())
            for (const LayerBalance& mb : it->second)
                if (mb.layer == current.layer) b = mb;
        history.add_routing(current_step, current, b);
        have = false;
    };
    read_csv(
        routing,
        [&](const std::vector<std::string>& h) {
            r_step = require(routing, h, "step");
            r_layer = require(routing, h, "layer");
            r_expert = require(routing, h, "expert");
            r_load = require(routing, h, "load");
            r_prob = require(routing, h, "mean_prob");
            for (size_t i = 0; i < h.size(); ++i)
                if (h[i] == "selection_bias") r_bias = static_cast<int>(i);
            for (size_t i = 0; i < h.size(); ++i)
                if (h[i].rfind("load_", 0) == 0 && h[i] != "load_fraction") {
                    domain_cols.push_back(static_cast<int>(i));
                    run.domains.push_back(h[i].substr(5));
                }
        },
        [&](int line, const std::vector<double>& row) {
            if (std::isnan(row[r_load]) || row[r_load] < 0)
                fail(routing, "line " + std::to_string(line) + ", column \"load\": load must be a number >= 0");
            const int step = static_cast<int>(whole_cell(routing, line, row[r_step], "step", kMaxStep));
            const int layer = static_cast<int>(whole_cell(routing, line, row[r_layer], "layer", kMaxIndex));
            const int64_t expert = whole_cell(routing, line, row[r_expert], "expert", kMaxIndex);
            if (!have || step != current_step || layer != current.layer) {
                flush();
                current = RoutingStats{};
                current.layer = layer;
                current.domain_load.assign(domain_cols.size(), {});
                current_step = step;
                have = true;
            }
            const size_t e = static_cast<size_t>(expert);
            if (current.load.size() <= e) {
                current.load.resize(e + 1, 0);
                current.mean_prob.resize(e + 1, 0.0);
                for (auto& d : current.domain_load) d.resize(e + 1, 0);
                if (r_bias >= 0) current.selection_bias.resize(e + 1, 0.0);
            }
            if (r_bias >= 0) current.selection_bias[e] = cell(row, r_bias);
            current.load[e] = whole(row[r_load]);
            current.mean_prob[e] = cell(row, r_prob);
            for (size_t d = 0; d < domain_cols.size(); ++d) {
                const double v = row[domain_cols[d]];
                current.domain_load[d][e] = whole(v);
            }
        });
    flush();
    read_eval_tables(root, config, run.domains, history.eval());

    ModelSnapshot& s = run.snapshot;
    s.label = QFileInfo(QDir::cleanPath(dir)).fileName();
    s.config = config;
    s.language = is_language_dataset(config.data.dataset);
    int n_outputs = config.model.vocab_size;
    if (!s.language) {
        try {
            n_outputs = generate_toy_points(config.data.dataset, config.data.points, config.data.classes, 0.0,
                                            config.train.seed)
                            .classes;
        } catch (const Error& e) {
            fail(root / "config.json", e.what());
        }
    }
    s.accounting = account(config, s.language, n_outputs);
    s.domain_names = run.domains;
    history.fill(s);
    return run;
}

void save_run_folder(const QString& dir, RunWriter& recorded, const Model& model, bool language, int n_outputs) {
    const fs::path out = to_path(dir);
    recorded.flush();
    ensure_directory(out);
    std::error_code ec;
    if (!fs::equivalent(out, recorded.dir(), ec)) {
        // Saving again into the same folder replaces the earlier save whole (never a mix, e.g. an old traffic.csv
        // beside a new run without devices); a folder holding anything but run files is refused, nothing deleted.
        prepare_run_folder(out, ExistingFolder::replace);
        // Every file the writer made (config.json, metrics.csv, routing.csv, and traffic.csv when it writes one).
        try {
            for (const auto& entry : fs::directory_iterator(recorded.dir()))
                if (entry.is_regular_file() && entry.path().filename() != "model.safetensors")
                    write_file_atomic(out / entry.path().filename(), read_file(entry.path()));
        } catch (const fs::filesystem_error& e) {
            throw FileError("cannot list the recorded run in " + recorded.dir().string() + ": " + e.what());
        }
    }
    save_checkpoint(out / "model.safetensors", model, language, n_outputs);
}

}  // namespace moe::ui
