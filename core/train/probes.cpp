// The probe runner: one evaluation per probe setting, compared with the unprobed baseline. See probes.h.
#include "core/train/probes.h"

#include "core/error.h"
#include "core/train/table_cells.h"
#include "core/io/atomic_file.h"
#include "core/train/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace moe {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Puts the model's probe back however the runner leaves (return, exception, stop), so that a model that was
// probed can be trained again.
class ProbeRestorer {
public:
    explicit ProbeRestorer(Model& model) : model_(model), saved_(model.routing_probe()) {}
    ~ProbeRestorer() {
        try {
            model_.set_routing_probe(saved_);
        } catch (...) {
            // The saved probe was valid on this model when it was set, so this cannot fail; never throw here.
        }
    }
    ProbeRestorer(const ProbeRestorer&) = delete;
    ProbeRestorer& operator=(const ProbeRestorer&) = delete;

private:
    Model& model_;
    RoutingProbe saved_;
};

void mark_unavailable(ProbePoint& p, int n_domains, std::string reason) {
    p.available = false;
    p.reason = std::move(reason);
    p.loss = p.delta = kNaN;
    p.domain_loss.assign(static_cast<size_t>(std::max(n_domains, 0)), kNaN);
}

void fill_from(ProbePoint& p, const Evaluation& e, double baseline) {
    p.loss = e.loss;
    p.domain_loss = e.domain_loss;
    p.delta = e.loss - baseline;
}

}  // namespace

ProbeResults run_probes(Model& model, const std::vector<Batch>& set, int n_domains, const ProbeOptions& options,
                        const ProbeProgress& progress, const std::atomic<bool>* stop) {
    if (options.r_max < 0)
        throw ConfigError("probe: r_max = " + std::to_string(options.r_max) + " must be 0 or more (mask top-0..r_max)");
    if (set.empty()) throw ConfigError("probe: the validation set is empty: there is nothing to evaluate");

    ProbeResults res;
    const MoESpec* spec = nullptr;
    for (const FfnLayer* f : model.ffn_layers())
        if (f->is_moe()) {
            ++res.moe_layers;
            if (!spec) spec = &f->moe_spec();
        }
    if (!spec)
        throw ConfigError("probe: the model has no MoE layer (a dense FFN in every layer): there is no routing to "
                          "probe; use an MoE preset such as deepseek or gshard");
    res.n_routed = spec->router.n_routed;
    res.top_k = spec->router.top_k;
    res.n_shared = spec->n_shared;
    res.device_limit = spec->router.device.limit;
    const int nr = res.n_routed, k = res.top_k;

    ProbeRestorer restore(model);
    const bool can_share = res.n_shared > 0;
    const int total = 1 + (options.mask ? options.r_max : 0) + (options.shared_off && can_share ? 1 : 0) +
                      (options.active_k ? k - 1 : 0);
    int done = 0;
    auto tick = [&] {
        ++done;
        if (progress) progress(done, total);
    };
    auto stopped = [&] { return stop && stop->load(); };

    // One probed evaluation into p, or p marked unavailable (stopped, or a device limit that starved a token).
    auto evaluate_point = [&](ProbePoint& p, const RoutingProbe& probe, const std::string& fine) {
        if (stopped()) {
            res.stopped = true;
            mark_unavailable(p, n_domains, "stopped before this point was run");
            return;
        }
        model.set_routing_probe(probe);
        const Evaluation e = evaluate_model(model, set, n_domains);
        const int64_t short_tokens = model.routing_probe_shortfall();
        model.set_routing_probe(RoutingProbe{});
        tick();
        if (short_tokens > 0) {
            mark_unavailable(p, n_domains,
                             "device_limit = " + std::to_string(res.device_limit) + ": after masking " +
                                 std::to_string(probe.mask_top_r) + " experts, " + std::to_string(short_tokens) +
                                 " token-layer routings had fewer than k = " + std::to_string(k) +
                                 " unmasked experts on their chosen devices");
            return;
        }
        p.reason = fine;
        fill_from(p, e, res.baseline_loss);
    };

    // The baseline: the ordinary model.
    model.set_routing_probe(RoutingProbe{});
    const Evaluation base = evaluate_model(model, set, n_domains);
    res.baseline_loss = base.loss;
    res.baseline_domain_loss = base.domain_loss;
    res.tokens = base.tokens;
    tick();

    if (options.mask) {
        for (int r = 0; r <= options.r_max; ++r) {
            ProbePoint p;
            p.x = r;
            p.ratio = double(r) / double(nr);
            const ProbeCheck c = check_mask_top_r(r, nr, k);
            if (r == 0) {
                p.reason = c.reason;
                fill_from(p, base, res.baseline_loss);  // mask_top_r = 0 is the ordinary routing
            } else if (!c.ok) {
                mark_unavailable(p, n_domains, c.reason);
                tick();
            } else {
                RoutingProbe probe;
                probe.mask_top_r = r;
                evaluate_point(p, probe, c.reason);
            }
            res.mask.push_back(std::move(p));
        }
    }

    if (options.shared_off) {
        res.has_shared_off = true;
        ProbePoint& p = res.shared_off;
        p.x = res.n_shared;
        p.ratio = 1.0;
        RoutingProbe probe;
        probe.shared_off = true;
        const ProbeCheck c = check_routing_probe(*spec, probe);
        if (!c.ok)
            mark_unavailable(p, n_domains, c.reason);
        else
            evaluate_point(p, probe, c.reason);
    }

    if (options.active_k) {
        for (int kp = 1; kp <= k; ++kp) {
            ProbePoint p;
            p.x = kp;
            p.ratio = double(kp) / double(k);
            const ProbeCheck c = check_active_k(kp, k);
            if (kp == k) {
                p.reason = c.reason;
                fill_from(p, base, res.baseline_loss);  // k' = k is the ordinary model, norm_topk_prob on or off
            } else {
                RoutingProbe probe;
                probe.active_k = kp;
                evaluate_point(p, probe, c.reason);
            }
            res.active_k.push_back(std::move(p));
        }
    }
    return res;
}

// ---- Tables ----

namespace {

// The union of the models' domain names, in order of first appearance.
std::vector<std::string> all_domains(const std::vector<ProbeModel>& models) {
    std::vector<std::string> names;
    for (const auto& m : models)
        for (const auto& d : m.domains)
            if (std::find(names.begin(), names.end(), d) == names.end()) names.push_back(d);
    return names;
}

// The baseline as a point (x = 0, ratio 0), so that every row of the CSV has the same shape.
ProbePoint baseline_point(const ProbeResults& r) {
    ProbePoint p;
    p.reason = "the ordinary model";
    p.loss = r.baseline_loss;
    p.domain_loss = r.baseline_domain_loss;
    return p;
}

nlohmann::json point_json(const ProbePoint& p, const std::vector<std::string>& domains) {
    nlohmann::json dl = nlohmann::json::object();
    for (size_t d = 0; d < domains.size(); ++d)
        dl[domains[d]] = json_number(d < p.domain_loss.size() ? p.domain_loss[d] : kNaN);
    return {{"x", p.x},         {"ratio", json_number(p.ratio)}, {"loss", json_number(p.loss)},
            {"delta", json_number(p.delta)}, {"domain_loss", dl}, {"available", p.available},
            {"reason", p.reason}};
}

// A fixed-width table: the first column left-aligned, the others right-aligned.
std::string table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width;
    for (const auto& row : rows)
        for (size_t c = 0; c < row.size(); ++c) {
            if (width.size() <= c) width.push_back(0);
            width[c] = std::max(width[c], row[c].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            const std::string pad(width[c] - row[c].size(), ' ');
            line += c == 0 ? row[c] + pad : "  " + pad + row[c];
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string loss_cell(const ProbePoint& p) { return p.available ? table_number(p.loss, "%.4f") : "n/a"; }

}  // namespace

std::string probe_csv(const std::vector<ProbeModel>& models) {
    const std::vector<std::string> domains = all_domains(models);
    std::string out = "model,probe,x,ratio,loss";
    for (const auto& d : domains) out += "," + csv_cell("loss_" + d);
    out += ",available,reason\n";
    for (const auto& m : models) {
        auto row = [&](const char* probe, const ProbePoint& p) {
            out += csv_cell(m.name) + "," + probe + "," + std::to_string(p.x) + "," + table_number(p.ratio) + "," +
                   table_number(p.loss);
            for (const auto& d : domains) {
                const auto it = std::find(m.domains.begin(), m.domains.end(), d);
                const size_t i = static_cast<size_t>(it - m.domains.begin());
                out += "," + (it != m.domains.end() && i < p.domain_loss.size() ? table_number(p.domain_loss[i]) : "");
            }
            out += std::string(",") + (p.available ? "true" : "false") + "," + csv_cell(p.reason) + "\n";
        };
        const ProbeResults& r = m.results;
        row("baseline", baseline_point(r));
        for (const auto& p : r.mask) row("mask_top_r", p);
        if (r.has_shared_off) row("shared_off", r.shared_off);
        for (const auto& p : r.active_k) row("active_k", p);
    }
    return out;
}

nlohmann::json probe_json(const std::vector<ProbeModel>& models) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : models) {
        const ProbeResults& r = m.results;
        nlohmann::json mask = nlohmann::json::array(), active = nlohmann::json::array();
        for (const auto& p : r.mask) mask.push_back(point_json(p, m.domains));
        for (const auto& p : r.active_k) active.push_back(point_json(p, m.domains));
        nlohmann::json base_dl = nlohmann::json::object();
        for (size_t d = 0; d < m.domains.size(); ++d)
            base_dl[m.domains[d]] = json_number(d < r.baseline_domain_loss.size() ? r.baseline_domain_loss[d] : kNaN);
        list.push_back({{"name", m.name},
                        {"checkpoint", m.checkpoint},
                        {"n_routed", r.n_routed},
                        {"top_k", r.top_k},
                        {"n_shared", r.n_shared},
                        {"moe_layers", r.moe_layers},
                        {"device_limit", r.device_limit},
                        {"tokens", r.tokens},
                        {"domains", m.domains},
                        {"baseline", {{"loss", json_number(r.baseline_loss)}, {"domain_loss", base_dl}}},
                        {"mask_top_r", mask},
                        {"shared_off", r.has_shared_off ? point_json(r.shared_off, m.domains) : nlohmann::json()},
                        {"active_k", active},
                        {"stopped", r.stopped}});
    }
    return {{"models", list}};
}

std::string probe_table_text(const std::vector<ProbeModel>& models) {
    std::string out;
    std::vector<std::string> notes;  // why points are unavailable, once per model and reason
    auto note = [&](const ProbeModel& m, const ProbePoint& p, const std::string& what) {
        if (!p.available) notes.push_back(m.name + " " + what + ": " + p.reason);
    };

    std::vector<std::vector<std::string>> sizes = {{"model", "N_r", "k", "K_s", "MoE layers", "tokens", "loss"}};
    for (const auto& m : models) {
        const ProbeResults& r = m.results;
        sizes.push_back({m.name, std::to_string(r.n_routed), std::to_string(r.top_k), std::to_string(r.n_shared),
                         std::to_string(r.moe_layers), std::to_string(r.tokens), table_number(r.baseline_loss, "%.4f")});
    }
    out += "Validation loss (nats per token) of the ordinary models:\n" + table(sizes);

    size_t r_points = 0, k_points = 0;
    bool any_shared = false;
    for (const auto& m : models) {
        r_points = std::max(r_points, m.results.mask.size());
        k_points = std::max(k_points, m.results.active_k.size());
        any_shared = any_shared || m.results.has_shared_off;
    }
    if (r_points > 0) {
        std::vector<std::vector<std::string>> rows(1, {"model"});
        for (size_t r = 0; r < r_points; ++r) rows[0].push_back("r=" + std::to_string(r));
        for (const auto& m : models) {
            std::vector<std::string> row = {m.name}, ratios = {"  r/N_r"};
            for (size_t i = 0; i < r_points; ++i) {
                if (i >= m.results.mask.size()) {
                    row.push_back("");
                    ratios.push_back("");
                    continue;
                }
                const ProbePoint& p = m.results.mask[i];
                row.push_back(loss_cell(p));
                ratios.push_back(table_number(p.ratio, "%.3f"));
                note(m, p, "mask r=" + std::to_string(p.x));
            }
            rows.push_back(row);
            rows.push_back(ratios);
        }
        out += "\nMask top-r (DeepSeekMoE Fig. 4): loss with each token's r best routed experts excluded and the "
               "top-k re-picked from the rest; below it the masked ratio r/N_r:\n" +
               table(rows);
    }
    if (any_shared) {
        std::vector<std::vector<std::string>> rows = {{"model", "K_s", "loss", "shared off", "jump"}};
        for (const auto& m : models) {
            const ProbeResults& r = m.results;
            if (!r.has_shared_off) continue;
            const ProbePoint& p = r.shared_off;
            rows.push_back({m.name, std::to_string(r.n_shared), table_number(r.baseline_loss, "%.4f"), loss_cell(p),
                            p.available ? table_number(p.delta, "%+.4f") : "n/a"});
            note(m, p, "shared off");
        }
        out += "\nShared experts off: loss with the shared experts' output set to zero, and the jump:\n" + table(rows);
    }
    if (k_points > 0) {
        std::vector<std::vector<std::string>> rows(1, {"model"});
        for (size_t k = 1; k <= k_points; ++k) rows[0].push_back("k'=" + std::to_string(k));
        for (const auto& m : models) {
            std::vector<std::string> row = {m.name};
            for (size_t i = 0; i < k_points; ++i) {
                if (i >= m.results.active_k.size()) {
                    row.push_back("");
                    continue;
                }
                const ProbePoint& p = m.results.active_k[i];
                row.push_back(loss_cell(p));
                note(m, p, "k'=" + std::to_string(p.x));
            }
            rows.push_back(row);
        }
        out += "\nActivated routed experts (DeepSeekMoE Fig. 5): loss with only the top k' of the k routed experts, "
               "their weights rescaled to the full sum (k' = k is the ordinary model):\n" +
               table(rows);
    }
    if (!notes.empty()) {
        out += "\nNot available:\n";
        for (const auto& n : notes) out += "  " + n + "\n";
    }
    return out;
}

void write_probe_files(const std::filesystem::path& dir, const std::vector<ProbeModel>& models) {
    ensure_directory(dir);
    write_file_atomic(dir / "probes.csv", probe_csv(models));
    write_file_atomic(dir / "probes.json", probe_json(models).dump(2) + "\n");
}

}  // namespace moe
