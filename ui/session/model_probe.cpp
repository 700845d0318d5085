#include "ui/session/model_probe.h"

#include "datasets/toy2d.h"

#include <algorithm>
#include <cmath>

namespace moe::ui {

std::vector<ProbeLayer> probe_layers(const Model& model, int rows) {
    std::vector<ProbeLayer> out;
    for (const MoEProbe& p : model.moe_probes()) {
        const MoECache<float>& c = *p.cache;
        const int n_routed = static_cast<int>(c.router.scores.cols());
        const int k = p.top_k;
        const int n = std::min<int>(rows, static_cast<int>(c.router.scores.rows()));
        ProbeLayer layer;
        layer.layer = p.layer;
        layer.scores.resize(n);
        layer.topk_idx.resize(n);
        layer.topk_weight.resize(n);
        layer.shared_share.assign(n, 0.0f);
        const bool has_shared = c.shared_out.rows() >= n && c.shared_out.size() > 0;
        for (int t = 0; t < n; ++t) {
            layer.scores[t].assign(c.router.scores.row(t).data(), c.router.scores.row(t).data() + n_routed);
            layer.topk_idx[t].assign(c.router.topk_idx.begin() + static_cast<std::ptrdiff_t>(t) * k,
                                     c.router.topk_idx.begin() + static_cast<std::ptrdiff_t>(t + 1) * k);
            layer.topk_weight[t].assign(c.router.topk_weight.row(t).data(), c.router.topk_weight.row(t).data() + k);
            if (has_shared) {
                // How much of the MoE output comes from the always-on experts, by vector norm.
                const double s = c.shared_out.row(t).norm(), r = c.routed_out.row(t).norm();
                layer.shared_share[t] = s + r > 0 ? static_cast<float>(s / (s + r)) : 0.0f;
            }
        }
        out.push_back(std::move(layer));
    }
    return out;
}

std::vector<ProbeLayer> run_probe(Model& model, const std::string& text) {
    const int T = std::min<int>(static_cast<int>(text.size()), model.config().model.max_position_embeddings);
    if (T <= 0) return {};
    Batch b;
    b.batch = 1;
    b.seq = T;
    b.inputs.resize(T);
    b.targets.resize(T);
    b.domains.assign(T, 0);
    for (int t = 0; t < T; ++t) b.inputs[t] = static_cast<unsigned char>(text[t]);
    // The targets only feed the (unused) loss; the next byte keeps them meaningful.
    for (int t = 0; t < T; ++t) b.targets[t] = b.inputs[std::min(t + 1, T - 1)];
    model.forward(b);
    return probe_layers(model, T);
}

namespace {

Batch point_batch(const std::vector<float>& xy) {
    Batch b;
    b.batch = static_cast<int>(xy.size() / 2);
    b.seq = 1;
    b.points = xy;
    b.targets.assign(b.batch, 0);
    b.domains.assign(b.batch, 0);
    return b;
}

int argmax_row(const Mat& m, Eigen::Index row) {
    Eigen::Index arg = 0;
    m.row(row).maxCoeff(&arg);
    return static_cast<int>(arg);
}

}  // namespace

PlaneSnapshot run_plane(Model& model, int n_classes, const ToyDataset* data, int grid) {
    PlaneSnapshot plane;
    plane.grid = grid;
    plane.n_classes = n_classes;
    const double step_x = (plane.x1 - plane.x0) / grid, step_y = (plane.y1 - plane.y0) / grid;
    std::vector<float> xy(static_cast<size_t>(grid) * grid * 2);
    // Cell centres, row-major from y0 up.
    for (int iy = 0; iy < grid; ++iy)
        for (int ix = 0; ix < grid; ++ix) {
            const size_t cell = static_cast<size_t>(iy) * grid + ix;
            xy[2 * cell] = static_cast<float>(plane.x0 + (ix + 0.5) * step_x);
            xy[2 * cell + 1] = static_cast<float>(plane.y0 + (iy + 0.5) * step_y);
        }
    const Batch b = point_batch(xy);
    model.forward(b);
    const Mat& logits = model.logits();
    plane.predicted_class.resize(b.batch);
    for (int i = 0; i < b.batch; ++i) plane.predicted_class[i] = argmax_row(logits, i);
    for (const MoEProbe& p : model.moe_probes()) {
        const auto& idx = p.cache->router.topk_idx;  // descending score order: the first is the top-1
        std::vector<int> top1(b.batch);
        for (int i = 0; i < b.batch; ++i) top1[i] = idx[static_cast<size_t>(i) * p.top_k];
        plane.top1_expert.push_back(std::move(top1));
    }
    if (data) {
        plane.points = data->all_points();
        plane.labels.assign(data->all_labels().begin(), data->all_labels().end());
    }
    return plane;
}

PointInspection inspect_point(Model& model, int model_index, double x, double y) {
    PointInspection out;
    out.model = model_index;
    out.x = x;
    out.y = y;
    const Batch b = point_batch({static_cast<float>(x), static_cast<float>(y)});
    model.forward(b);
    out.layers = probe_layers(model, 1);
    const Mat& logits = model.logits();
    const float mx = logits.row(0).maxCoeff();
    double sum = 0;
    out.class_probs.resize(logits.cols());
    for (Eigen::Index c = 0; c < logits.cols(); ++c) sum += out.class_probs[c] = std::exp(logits(0, c) - mx);
    for (float& p : out.class_probs) p = static_cast<float>(p / sum);
    return out;
}

}  // namespace moe::ui
