// The MoE layer: the Fast path against the plain Reference path (forward, balance loss and every gradient), the
// routing both use against a plain reference gate written out here (the layer's two paths share one router, so
// comparing them alone could not see a router bug), the whole layer against central finite differences in double
// (all also with a device limit and the device-level balance losses on), and the Fast path bit-identical across
// thread counts.
#include "core/error.h"
#include "core/moe/moe_layer.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "tests/finite_difference.h"
#include "tests/routing_margin.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace moe {
namespace {

// ---- A layer's parameters, its gradients and one training step (forward + backward). ----

template <class T>
struct Params {
    MatT<T> gate, w_gate, w_up, w_down, s_gate, s_up, s_down;

    Params(const MoESpec& s) {
        const int64_t d = s.hidden, I = s.inter, nr = s.router.n_routed, si = int64_t(s.n_shared) * I;
        gate.setZero(nr, d);
        w_gate.setZero(nr * I, d);
        w_up.setZero(nr * I, d);
        w_down.setZero(nr * d, I);
        if (si > 0) {
            s_gate.setZero(si, d);
            s_up.setZero(si, d);
            s_down.setZero(d, si);
        }
    }
    std::vector<MatT<T>*> all() { return {&gate, &w_gate, &w_up, &w_down, &s_gate, &s_up, &s_down}; }
    std::vector<const MatT<T>*> all() const { return {&gate, &w_gate, &w_up, &w_down, &s_gate, &s_up, &s_down}; }
    MoEWeights<T> weights(bool shared) const {
        return {&gate, &w_gate, &w_up, &w_down, shared ? &s_gate : nullptr, shared ? &s_up : nullptr,
                shared ? &s_down : nullptr};
    }
    MoEGrads<T> grads(bool shared) {
        return {&gate, &w_gate, &w_up, &w_down, shared ? &s_gate : nullptr, shared ? &s_up : nullptr,
                shared ? &s_down : nullptr};
    }
};
const char* const kParamNames[] = {"gate", "w_gate", "w_up", "w_down", "s_gate", "s_up", "s_down"};

template <class T>
void fill_normal(MatT<T>& m, Rng& rng, double std) {
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = T(rng.normal(0.0, std));
}

template <class T>
struct StepResult {
    MatT<T> y, dx;
    double aux = 0;
    Params<T> grads;
    std::vector<int64_t> load;
    MoECache<T> cache;
    explicit StepResult(const MoESpec& s) : grads(s) {}
};

template <class T>
StepResult<T> step(const MoESpec& spec, const Params<T>& p, const MatT<T>& x, const MatT<T>& dy, MoEPath path) {
    StepResult<T> r(spec);
    const bool shared = spec.n_shared > 0;
    moe_forward(spec, p.weights(shared), x, path, r.cache, r.y);
    r.aux = r.cache.router.aux_loss;
    r.load = r.cache.expert_load;
    MoEGrads<T> g = r.grads.grads(shared);
    moe_backward(spec, p.weights(shared), x, path, r.cache, dy, r.dx, g);
    return r;
}

// A shape of the brief: N_r routed experts, K_s shared, top-k, and the gate's options; optionally simulated devices
// (D devices, device limit M, placement, group scores), which also turn the device-level balance losses on.
struct Shape {
    int n_routed, n_shared, top_k;
    bool norm, seq_aux;
    int devices = 1, limit = 0;
    bool round_robin = false, group = false;
};

std::string shape_name(const Shape& s) {
    std::string name = "R" + std::to_string(s.n_routed) + "_S" + std::to_string(s.n_shared) + "_k" +
                       std::to_string(s.top_k) + (s.norm ? "_norm" : "_raw") + (s.seq_aux ? "_seqaux" : "_tokaux");
    if (s.devices > 1)
        name += "_D" + std::to_string(s.devices) + "M" + std::to_string(s.limit) + (s.round_robin ? "_rr" : "") +
                (s.group ? "_group" : "");
    return name;
}

void PrintTo(const Shape& s, std::ostream* os) { *os << shape_name(s); }

MoESpec make_spec(const Shape& s, int d, int inter, int batch, int seq, double alpha) {
    MoESpec spec;
    spec.hidden = d;
    spec.inter = inter;
    spec.n_shared = s.n_shared;
    spec.router.n_routed = s.n_routed;
    spec.router.top_k = s.top_k;
    spec.router.norm_topk_prob = s.norm;
    spec.router.aux_alpha = alpha;
    spec.router.seq_aux = s.seq_aux;
    spec.router.batch = batch;
    spec.router.seq = seq;
    spec.router.device.devices = s.devices;
    spec.router.device.limit = s.limit;
    spec.router.device.placement = s.round_robin ? Placement::RoundRobin : Placement::Contiguous;
    spec.router.device.routing = s.group ? DeviceRouting::Group : DeviceRouting::Device;
    if (s.devices > 1) {
        spec.router.device.dev_alpha = 1.5 * alpha;
        spec.router.device.comm_alpha = 2.0 * alpha;
    }
    return spec;
}

// Random inputs (never zeros): weights, x and the upstream gradient dy.
template <class T>
struct Problem {
    MoESpec spec;
    Params<T> p;
    MatT<T> x, dy;
    Problem(const MoESpec& s, uint64_t seed, double w_std = 0.3) : spec(s), p(s) {
        Rng rng(seed);
        const int64_t n = int64_t(s.router.batch) * s.router.seq;
        for (MatT<T>* m : p.all()) fill_normal(*m, rng, w_std);
        fill_normal(p.gate, rng, 1.0);  // a sharper gate: routing that is far from uniform
        x.resize(n, s.hidden);
        dy.resize(n, s.hidden);
        fill_normal(x, rng, 1.0);
        fill_normal(dy, rng, 1.0);
    }
};

// max |a - b| / max |b|: a relative error on the scale of the tensor.
template <class T>
double rel_err(const MatT<T>& a, const MatT<T>& b) {
    EXPECT_EQ(a.rows(), b.rows());
    EXPECT_EQ(a.cols(), b.cols());
    if (a.rows() != b.rows() || a.cols() != b.cols() || b.size() == 0) return b.size() == 0 ? 0.0 : 1e300;
    const double scale = std::max(double(b.cwiseAbs().maxCoeff()), 1e-300);
    return double((a - b).cwiseAbs().maxCoeff()) / scale;
}

// ---- The plain reference gate: router.h and device_routing.h written out in double, sharing no code with the
// router (loops and sorts, one token at a time). ----

struct RefRouting {
    MatD scores;                    // [N, N_r] softmax over all routed experts
    std::vector<int32_t> topk_idx;  // [N*k] in descending score order, ties to the lower expert index
    MatD topk_weight;               // [N, k]
    std::vector<int64_t> load;      // [N_r] slots routed to each expert
    double aux = 0;                 // L_ExpBal + L_DevBal + L_CommBal
};

template <class T>
RefRouting reference_routing(const MoESpec& spec, const MatT<T>& x, const MatT<T>& gate) {
    const RouterSpec& r = spec.router;
    const int nr = r.n_routed, k = r.top_k, D = r.device.devices;
    const int M = r.device.limit > 0 ? r.device.limit : D;
    const int64_t n = x.rows();
    std::vector<int> dev_of(nr);
    for (int e = 0; e < nr; ++e) dev_of[e] = r.device.placement == Placement::Contiguous ? e / (nr / D) : e % D;

    RefRouting out;
    out.scores.resize(n, nr);
    out.topk_weight.resize(n, k);
    out.load.assign(nr, 0);
    std::vector<std::vector<uint8_t>> sent(n, std::vector<uint8_t>(D, 0));  // token t uses device i
    for (int64_t t = 0; t < n; ++t) {
        std::vector<double> s(nr);
        for (int e = 0; e < nr; ++e) {
            double logit = 0;
            for (int64_t p = 0; p < x.cols(); ++p) logit += double(x(t, p)) * double(gate(e, p));
            s[e] = logit;
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (double& v : s) sum += (v = std::exp(v - mx));
        for (double& v : s) v /= sum;
        for (int e = 0; e < nr; ++e) out.scores(t, e) = s[e];

        // Device limit: score each device (max, or the sum of its two best), keep the M best (ties: lower index).
        std::vector<uint8_t> allowed(D, 1);
        if (r.device.limit > 0) {
            std::vector<double> dev_score(D);
            for (int i = 0; i < D; ++i) {
                std::vector<double> mine;
                for (int e = 0; e < nr; ++e)
                    if (dev_of[e] == i) mine.push_back(s[e]);
                std::sort(mine.begin(), mine.end(), std::greater<double>());
                dev_score[i] = mine[0];
                if (r.device.routing == DeviceRouting::Group && mine.size() > 1) dev_score[i] += mine[1];
            }
            std::vector<int> devs(D);
            std::iota(devs.begin(), devs.end(), 0);
            std::stable_sort(devs.begin(), devs.end(), [&](int a, int b) { return dev_score[a] > dev_score[b]; });
            std::fill(allowed.begin(), allowed.end(), uint8_t(0));
            for (int j = 0; j < M; ++j) allowed[devs[j]] = 1;
        }
        std::vector<int> cand;
        for (int e = 0; e < nr; ++e)
            if (allowed[dev_of[e]]) cand.push_back(e);
        std::stable_sort(cand.begin(), cand.end(), [&](int a, int b) { return s[a] > s[b]; });
        double picked = 0;
        for (int j = 0; j < k; ++j) picked += s[cand[j]];
        for (int j = 0; j < k; ++j) {
            const int e = cand[j];
            out.topk_idx.push_back(e);
            out.topk_weight(t, j) = (r.norm_topk_prob && k > 1) ? s[e] / (picked + 1e-20) : s[e];
            ++out.load[e];
            sent[t][dev_of[e]] = 1;
        }
    }

    // The balance losses, per group of T tokens (one per sequence with seq_aux), averaged over the S groups.
    const int64_t S = r.seq_aux ? r.batch : 1, T_ = n / S;
    double exp_bal = 0, dev_bal = 0, comm_bal = 0;
    for (int64_t g = 0; g < S; ++g) {
        std::vector<double> f(nr, 0.0), P(nr, 0.0);
        std::vector<double> sent_to(D, 0.0);
        for (int64_t t = g * T_; t < (g + 1) * T_; ++t) {
            for (int j = 0; j < k; ++j) f[out.topk_idx[t * k + j]] += double(nr) / double(k * T_);
            for (int e = 0; e < nr; ++e) P[e] += out.scores(t, e) / double(T_);
            for (int i = 0; i < D; ++i) sent_to[i] += sent[t][i];
        }
        for (int e = 0; e < nr; ++e) exp_bal += f[e] * P[e];
        for (int i = 0; i < D; ++i) {
            double f_dev = 0, P_dev = 0;
            int size = 0;
            for (int e = 0; e < nr; ++e)
                if (dev_of[e] == i) f_dev += f[e], P_dev += P[e], ++size;
            dev_bal += f_dev / size * P_dev;
            comm_bal += double(D) / double(M * T_) * sent_to[i] * P_dev;
        }
    }
    out.aux = (r.aux_alpha * exp_bal + r.device.dev_alpha * dev_bal + r.device.comm_alpha * comm_bal) / double(S);
    return out;
}

template <class T>
void expect_fast_matches_reference(const Shape& shape, double tol, uint64_t seed) {
    const MoESpec spec = make_spec(shape, 16, 8, 2, 24, 0.05);
    Problem<T> pb(spec, seed);
    StepResult<T> ref = step(spec, pb.p, pb.x, pb.dy, MoEPath::Reference);
    StepResult<T> fast = step(spec, pb.p, pb.x, pb.dy, MoEPath::Fast);

    const int64_t n = pb.x.rows();
    // The routing (one router call in each path, the same code in both) against the plain reference gate.
    const RefRouting want = reference_routing(spec, pb.x, pb.p.gate);
    for (StepResult<T>* r : {&ref, &fast}) {
        EXPECT_EQ(r->cache.router.topk_idx, want.topk_idx) << "top-k";
        EXPECT_LT(rel_err(MatD(r->cache.router.scores.template cast<double>()), want.scores), tol) << "scores";
        EXPECT_LT(rel_err(MatD(r->cache.router.topk_weight.template cast<double>()), want.topk_weight), tol)
            << "top-k weights";
        EXPECT_EQ(r->load, want.load) << "load";
        EXPECT_NEAR(r->aux, want.aux, tol * want.aux) << "balance loss";
    }
    EXPECT_EQ(ref.cache.router.topk_idx, fast.cache.router.topk_idx);
    EXPECT_LT(rel_err(fast.y, ref.y), tol) << "y";
    EXPECT_NEAR(fast.aux, ref.aux, tol * std::abs(ref.aux)) << "aux";
    EXPECT_GT(ref.aux, 0.0);
    EXPECT_LT(rel_err(fast.dx, ref.dx), tol) << "dx";
    auto fg = fast.grads.all(), rg = ref.grads.all();
    for (size_t i = 0; i < fg.size(); ++i) {
        if (i >= 4 && shape.n_shared == 0) continue;
        EXPECT_GT(rg[i]->cwiseAbs().maxCoeff(), T(0)) << kParamNames[i];
        EXPECT_LT(rel_err(*fg[i], *rg[i]), tol) << kParamNames[i];
    }

    // What the inspector and metrics read.
    for (StepResult<T>* r : {&ref, &fast}) {
        ASSERT_EQ(int(r->load.size()), shape.n_routed);
        EXPECT_EQ(std::accumulate(r->load.begin(), r->load.end(), int64_t(0)), n * shape.top_k);
        MatT<T> sum = r->cache.routed_out;
        if (shape.n_shared > 0) {
            ASSERT_EQ(r->cache.shared_out.rows(), n);
            sum += r->cache.shared_out;
        } else {
            EXPECT_EQ(r->cache.shared_out.size(), 0);
        }
        EXPECT_TRUE(sum == r->y);
    }
    EXPECT_EQ(ref.load, fast.load);
    EXPECT_LT(rel_err(fast.cache.routed_out, ref.cache.routed_out), tol);
}

const Shape kShapes[] = {
    {16, 0, 2, true, false}, {16, 0, 2, false, true}, {15, 1, 1, true, false}, {15, 1, 1, true, true},
    {31, 1, 3, true, true},  {31, 1, 3, false, false}, {63, 1, 7, true, false}, {63, 1, 7, false, true},
    {64, 2, 6, true, true},  {64, 2, 6, false, false}, {16, 0, 1, false, false},  // switch-style
    {16, 0, 1, false, true},
    // Device-limited routing, with the device-level and communication balance losses on.
    {16, 0, 4, true, true, 4, 2},  {16, 1, 3, false, false, 4, 1, false, true}, {63, 1, 7, true, true, 8, 2, true},
    {64, 2, 6, true, false, 8, 3, false, true}, {15, 1, 4, true, true, 4, 4, true, true},
};

class FastVsReference : public ::testing::TestWithParam<Shape> {};

TEST_P(FastVsReference, Double) { expect_fast_matches_reference<double>(GetParam(), 1e-10, 11); }

// Float: the two paths sum the same products in different orders (Eigen's blocked GEMM vs. plain loops, different
// orders in the combine and the dx gather). A float sum of up to 16 products carries a relative rounding error of a
// few 1e-7 of its terms' size; through the expert's three products, the combine and the backward the worst error
// measured over these shapes is 4.4e-7 of the tensor's scale. 5e-6 leaves a margin of ten; a wrong term (a missing
// factor, a dropped slot) moves results by far more than that.
TEST_P(FastVsReference, Float) { expect_fast_matches_reference<float>(GetParam(), 5e-6, 12); }

INSTANTIATE_TEST_SUITE_P(MoELayer, FastVsReference, ::testing::ValuesIn(kShapes),
                         [](const auto& info) { return shape_name(info.param); });

// Expert capacity (GShard / Switch): the two paths drop the same slots and agree on everything else; a dropped slot
// changes the output (the test would see a capacity that is ignored), and its expert gets no gradient from it.
TEST(MoELayer, CapacityFastMatchesReference) {
    for (const bool probs : {true, false}) {
        SCOPED_TRACE(probs ? "drop by probs" : "drop by position");
        MoESpec spec = make_spec(Shape{16, 1, 2, true, true}, 16, 8, 2, 24, 0.05);
        spec.router.capacity_factor = 1.0;
        spec.router.drop_by_probs = probs;
        Problem<double> pb(spec, 23);
        const StepResult<double> ref = step(spec, pb.p, pb.x, pb.dy, MoEPath::Reference);
        const StepResult<double> fast = step(spec, pb.p, pb.x, pb.dy, MoEPath::Fast);
        EXPECT_GT(ref.cache.router.dropped, 0) << "nothing dropped: the test checks nothing";
        EXPECT_EQ(ref.cache.router.kept, fast.cache.router.kept);
        EXPECT_LT(rel_err(fast.y, ref.y), 1e-10) << "y";
        EXPECT_LT(rel_err(fast.dx, ref.dx), 1e-10) << "dx";
        auto fg = fast.grads.all(), rg = ref.grads.all();
        for (size_t i = 0; i < fg.size(); ++i) EXPECT_LT(rel_err(*fg[i], *rg[i]), 1e-10) << kParamNames[i];
        MoESpec dropless = spec;
        dropless.router.capacity_factor = 0.0;
        const StepResult<double> free = step(dropless, pb.p, pb.x, pb.dy, MoEPath::Fast);
        EXPECT_GT(rel_err(free.y, fast.y), 1e-3) << "the capacity changed nothing";
    }
}

// ---- Finite differences of the whole layer (dx and every weight gradient, balance loss included), in double. ----

class LayerFd : public ::testing::TestWithParam<Shape> {};

TEST_P(LayerFd, GradientsMatchFiniteDifferences) {
    const Shape shape = GetParam();
    const MoESpec spec = make_spec(shape, 6, 4, 2, 4, 0.2);  // alpha large so the balance loss is felt
    const bool shared = shape.n_shared > 0;

    // Deterministic search for inputs with every score at least 1e-4 away from its token's top-k boundary.
    std::unique_ptr<Problem<double>> pb;
    for (uint64_t seed = 1; seed < 500; ++seed) {
        pb = std::make_unique<Problem<double>>(spec, seed, 0.5);
        MoECache<double> c;
        MatD y;
        moe_forward(spec, pb->p.weights(shared), pb->x, MoEPath::Fast, c, y);
        if (testing::selection_margin(spec.router, c.router) > 1e-4) break;
        pb.reset();
    }
    ASSERT_TRUE(pb);

    // L = sum(dy .* y) + aux, so dL/dy = dy and the backward adds the balance loss's gradient itself.
    auto loss = [&]() {
        MoECache<double> c;
        MatD y;
        moe_forward(spec, pb->p.weights(shared), pb->x, MoEPath::Fast, c, y);
        return (pb->dy.array() * y.array()).sum() + c.router.aux_loss;
    };
    StepResult<double> r = step(spec, pb->p, pb->x, pb->dy, MoEPath::Fast);

    const testing::FdTolerance tol{.abs = 1e-7, .rel = 1e-6};
    EXPECT_TRUE(testing::gradient_matches(pb->x, r.dx, loss, 1e-6, tol)) << "dx";
    auto params = pb->p.all();
    auto grads = r.grads.all();
    for (size_t i = 0; i < params.size(); ++i) {
        if (i >= 4 && !shared) continue;
        EXPECT_TRUE(testing::gradient_matches(*params[i], *grads[i], loss, 1e-6, tol)) << kParamNames[i];
    }
}

INSTANTIATE_TEST_SUITE_P(MoELayer, LayerFd,
                         ::testing::Values(Shape{8, 1, 3, true, true}, Shape{6, 0, 2, false, false},
                                           Shape{4, 2, 1, true, false}, Shape{5, 1, 2, true, false},
                                           Shape{6, 0, 1, false, true}, Shape{8, 1, 3, true, true, 4, 2},
                                           Shape{6, 0, 2, false, false, 3, 1, true, true},
                                           Shape{8, 0, 3, true, false, 4, 3, false, true}),
                         [](const auto& info) { return shape_name(info.param); });

// ---- Determinism: the Fast path gives the same bits on 1 and on 2 threads. ----

template <class T>
void expect_identical(const StepResult<T>& a, const StepResult<T>& b) {
    EXPECT_TRUE(a.y == b.y);
    EXPECT_TRUE(a.dx == b.dx);
    EXPECT_EQ(a.aux, b.aux);
    EXPECT_EQ(a.load, b.load);
    EXPECT_EQ(a.cache.router.topk_idx, b.cache.router.topk_idx);
    EXPECT_TRUE(a.cache.router.topk_weight == b.cache.router.topk_weight);
    auto ga = a.grads.all(), gb = b.grads.all();
    for (size_t i = 0; i < ga.size(); ++i) EXPECT_TRUE(*ga[i] == *gb[i]) << kParamNames[i];
}

TEST(MoELayerThreads, FastPathIsBitIdenticalOnOneAndTwoThreads) {
    // 256 tokens over 64 experts: many expert chunks, several token and row chunks, all load-dependent.
    const MoESpec spec = make_spec(Shape{64, 2, 6, true, true}, 64, 32, 4, 64, 0.01);
    Problem<float> pb(spec, 5, 0.1);
    StepResult<float> one(spec), two(spec), again(spec);
    {
        const ParallelScope threads(1);
        one = step(spec, pb.p, pb.x, pb.dy, MoEPath::Fast);
    }
    {
        const ParallelScope threads(2);
        ASSERT_EQ(num_threads(), 2);
        two = step(spec, pb.p, pb.x, pb.dy, MoEPath::Fast);
        again = step(spec, pb.p, pb.x, pb.dy, MoEPath::Fast);
    }
    expect_identical(one, two);
    expect_identical(one, again);
}

// The Fast path reuses its buffers from step to step: a cache that served other shapes gives the same result.
TEST(MoELayer, FastPathReusesItsCacheAcrossShapes) {
    const MoESpec big = make_spec(Shape{16, 1, 3, true, false}, 16, 8, 2, 24, 0.05);
    const MoESpec small = make_spec(Shape{16, 1, 3, true, false}, 16, 8, 1, 10, 0.05);
    Problem<double> pb(big, 3), ps(small, 4);
    ps.p = pb.p;  // same weights, fewer tokens
    StepResult<double> fresh = step(big, pb.p, pb.x, pb.dy, MoEPath::Fast);

    MoECache<double> cache;
    MatD y, dx;
    Params<double> g(big);
    auto grads = g.grads(true);
    moe_forward(big, pb.p.weights(true), pb.x, MoEPath::Fast, cache, y);
    moe_forward(small, ps.p.weights(true), ps.x, MoEPath::Fast, cache, y);
    moe_backward(small, ps.p.weights(true), ps.x, MoEPath::Fast, cache, ps.dy, dx, grads);
    for (MatD* m : g.all()) m->setZero();
    moe_forward(big, pb.p.weights(true), pb.x, MoEPath::Fast, cache, y);
    moe_backward(big, pb.p.weights(true), pb.x, MoEPath::Fast, cache, pb.dy, dx, grads);
    EXPECT_TRUE(y == fresh.y);
    EXPECT_TRUE(dx == fresh.dx);
    auto gf = fresh.grads.all(), gr = g.all();
    for (size_t i = 0; i < gf.size(); ++i) EXPECT_TRUE(*gf[i] == *gr[i]) << kParamNames[i];
}

TEST(MoELayer, RejectsMismatchedShapes) {
    const MoESpec spec = make_spec(Shape{8, 1, 2, true, false}, 8, 4, 1, 6, 0.01);
    Problem<double> pb(spec, 1);
    MoECache<double> cache;
    MatD y;
    // Shared experts asked for but not given, a wrong input width: the model wired the layer wrongly, a bug.
    EXPECT_THROW(moe_forward(spec, pb.p.weights(false), pb.x, MoEPath::Fast, cache, y), InternalError);
    MatD x_bad = MatD::Ones(6, 7);
    EXPECT_THROW(moe_forward(spec, pb.p.weights(true), x_bad, MoEPath::Reference, cache, y), InternalError);
    // top-k larger than the routed experts: a setting, told as one.
    MoESpec bad = spec;
    bad.router.top_k = 9;
    EXPECT_THROW(moe_forward(bad, pb.p.weights(true), pb.x, MoEPath::Fast, cache, y), ConfigError);
}

// A broken invariant is a bug of the program, reported as one: an InternalError (never a ConfigError, which the
// CLI and the GUI show as "configuration error") whose message says so.
TEST(MoELayer, BrokenInvariantsAreInternalErrorsNotConfigErrors) {
    const MoESpec spec = make_spec(Shape{8, 1, 2, true, false}, 8, 4, 1, 6, 0.01);
    Problem<double> pb(spec, 1);
    auto expect_internal = [](auto&& f, const char* what) {
        try {
            f();
            ADD_FAILURE() << what << ": nothing thrown";
        } catch (const ConfigError& e) {
            ADD_FAILURE() << what << ": a ConfigError: " << e.what();
        } catch (const InternalError& e) {
            const std::string msg = e.what();
            EXPECT_EQ(msg.rfind("internal error: ", 0), 0u) << msg;
            EXPECT_NE(msg.find("this is a bug in MoE Lab, please report it"), std::string::npos) << msg;
        }
    };
    for (MoEPath path : {MoEPath::Fast, MoEPath::Reference}) {
        MoECache<double> cache;
        MatD y, dx;
        MatD x_bad = MatD::Ones(6, 7);
        expect_internal([&] { moe_forward(spec, pb.p.weights(true), x_bad, path, cache, y); }, "input width");
        Params<double> grads(spec);
        MoEGrads<double> g = grads.grads(true);
        // Backward with a cache no forward pass filled.
        expect_internal([&] { moe_backward(spec, pb.p.weights(true), pb.x, path, MoECache<double>{}, pb.dy, dx, g); },
                        "backward without forward");
        moe_forward(spec, pb.p.weights(true), pb.x, path, cache, y);
        const MatD dy_bad = MatD::Ones(5, 8);
        expect_internal([&] { moe_backward(spec, pb.p.weights(true), pb.x, path, cache, dy_bad, dx, g); },
                        "output gradient shape");
        MoEGrads<double> g_missing = grads.grads(false);  // the shared experts' gradients left out
        expect_internal([&] { moe_backward(spec, pb.p.weights(true), pb.x, path, cache, pb.dy, dx, g_missing); },
                        "missing gradient");
    }
}

}  // namespace
}  // namespace moe
