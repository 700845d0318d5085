// The MoE layer: checks the shapes, runs the router, hands the experts to one of the two paths, and fills what the
// inspector and the metrics read (expert_load, routed_out, shared_out). See moe_layer.h for the math.
#include "core/moe/moe_layer.h"

#include "core/error.h"

#include <string>

namespace moe {

// The two paths (moe_reference.cpp, moe_fast.cpp). Each forward fills cache.routed_out and cache.shared_out from the
// routing already in cache.router; each backward overwrites dx with the experts' part of the input gradient, writes
// d loss / d topk_weight [N,k] and accumulates the expert weight gradients. The router's part is added here.
namespace detail {
template <class T>
void moe_reference_forward(const MoESpec&, const MoEWeights<T>&, const MatT<T>& x, MoECache<T>&);
template <class T>
void moe_reference_backward(const MoESpec&, const MoEWeights<T>&, const MatT<T>& x, const MoECache<T>&,
                            const MatT<T>& dy, MatT<T>& dx, MatT<T>& dtopk_weight, MoEGrads<T>&);
// The fast path moves `clock` between Phase::Experts and Phase::Combine (it enters and leaves in Experts).
template <class T>
void moe_fast_forward(const MoESpec&, const MoEWeights<T>&, const MatT<T>& x, MoECache<T>&, PhaseClock& clock);
template <class T>
void moe_fast_backward(const MoESpec&, const MoEWeights<T>&, const MatT<T>& x, const MoECache<T>&, const MatT<T>& dy,
                       MatT<T>& dx, MatT<T>& dtopk_weight, MoEGrads<T>&, PhaseClock& clock);
}  // namespace detail

namespace {

std::string shape(int64_t r, int64_t c) { return "[" + std::to_string(r) + "," + std::to_string(c) + "]"; }

template <class T>
void check_matrix(const MatT<T>* m, int64_t rows, int64_t cols, const char* name) {
    if (!m) throw InternalError(std::string("MoE layer: ") + name + " is missing");
    if (m->rows() != rows || m->cols() != cols)
        throw InternalError(std::string("MoE layer: ") + name + " is " + shape(m->rows(), m->cols()) +
                            " but must be " + shape(rows, cols));
}

// Every weight (or gradient, same shapes) the spec asks for, with its shape.
template <class P>
void check_params(const MoESpec& spec, const P& p) {
    const int64_t d = spec.hidden, inter = spec.inter, nr = spec.router.n_routed, si = int64_t(spec.n_shared) * inter;
    check_matrix(p.gate, nr, d, "gate (router weight)");
    check_matrix(p.w_gate, nr * inter, d, "experts' gate_proj");
    check_matrix(p.w_up, nr * inter, d, "experts' up_proj");
    check_matrix(p.w_down, nr * d, inter, "experts' down_proj");
    if (spec.n_shared > 0) {
        check_matrix(p.s_gate, si, d, "shared experts' gate_proj");
        check_matrix(p.s_up, si, d, "shared experts' up_proj");
        check_matrix(p.s_down, d, si, "shared experts' down_proj");
    }
}

void check_spec(const MoESpec& spec, int64_t x_cols) {
    if (spec.hidden < 1 || spec.inter < 1 || spec.n_shared < 0)
        throw ConfigError("MoE layer: hidden size and expert width must be positive, shared experts not negative");
    if (x_cols != spec.hidden)
        throw InternalError("MoE layer: input has " + std::to_string(x_cols) + " features but hidden size is " +
                            std::to_string(spec.hidden));
}

}  // namespace

ProbeCheck check_routing_probe(const MoESpec& spec, const RoutingProbe& probe) {
    const int nr = spec.router.n_routed, k = spec.router.top_k;
    ProbeCheck mask = check_mask_top_r(probe.mask_top_r, nr, k);
    if (!mask.ok) return mask;
    ProbeCheck active = check_active_k(probe.active_k, k);
    if (!active.ok) return active;
    if (probe.shared_off && spec.n_shared == 0)
        return {false, "model has no shared expert (n_shared_experts = 0): nothing to switch off"};
    std::string why;
    if (probe.mask_top_r > 0) why = mask.reason;
    if (probe.active_k > 0 && probe.active_k < k) why += (why.empty() ? "" : "; ") + active.reason;
    if (probe.shared_off)
        why += (why.empty() ? "" : "; ") + std::string("the ") + std::to_string(spec.n_shared) +
               " shared expert(s) switched off";
    return {true, why.empty() ? "no probe: the ordinary model" : why};
}

template <class T>
void moe_forward(const MoESpec& spec, const MoEWeights<T>& w, const MatT<T>& x, MoEPath path, MoECache<T>& cache,
                 MatT<T>& y, PhaseTimes* times) {
    check_spec(spec, x.cols());
    check_params(spec, w);
    if (spec.router.probe.shared_off && spec.n_shared == 0)
        throw ConfigError("MoE layer: " + check_routing_probe(spec, spec.router.probe).reason);
    PhaseClock clock(times, Phase::Router);
    if (spec.router.selection_bias && (!w.gate_bias || w.gate_bias->size() != spec.router.n_routed))
        throw InternalError("MoE layer: topk_method = noaux_tc needs the router's selection bias [N_r]");
    router_forward(spec.router, x, *w.gate, cache.router, w.gate_bias ? w.gate_bias->data() : nullptr);

    const int nr = spec.router.n_routed;
    cache.expert_load.assign(nr, 0);
    for (int32_t e : cache.router.topk_idx) ++cache.expert_load[e];

    clock.next(Phase::Experts);
    if (path == MoEPath::Reference)
        detail::moe_reference_forward(spec, w, x, cache);
    else
        detail::moe_fast_forward(spec, w, x, cache, clock);

    clock.next(Phase::Combine);
    y = cache.routed_out;
    if (spec.n_shared > 0 && !spec.router.probe.shared_off) y += cache.shared_out;
}

template <class T>
void moe_backward(const MoESpec& spec, const MoEWeights<T>& w, const MatT<T>& x, MoEPath path,
                  const MoECache<T>& cache, const MatT<T>& dy, MatT<T>& dx, MoEGrads<T>& grads, PhaseTimes* times) {
    check_spec(spec, x.cols());
    check_params(spec, w);
    check_params(spec, grads);
    if (spec.router.probe.active(spec.router.top_k))
        throw ConfigError("MoE layer: a routing probe is set (" + check_routing_probe(spec, spec.router.probe).reason +
                          "): probes measure a trained model, forward only; reset the probe before training");
    if (dy.rows() != x.rows() || dy.cols() != x.cols())
        throw InternalError("MoE layer: output gradient is " + shape(dy.rows(), dy.cols()) + " but must be " +
                            shape(x.rows(), x.cols()));
    if (int64_t(cache.router.topk_idx.size()) != x.rows() * spec.router.top_k)
        throw InternalError("MoE layer: backward called without a matching forward pass");

    MatT<T> dtopk_weight;
    PhaseClock clock(times, Phase::Experts);
    if (path == MoEPath::Reference)
        detail::moe_reference_backward(spec, w, x, cache, dy, dx, dtopk_weight, grads);
    else
        detail::moe_fast_backward(spec, w, x, cache, dy, dx, dtopk_weight, grads, clock);

    // Through the combine weights to the router; the balance loss's own gradient is added there.
    clock.next(Phase::Router);
    router_backward(spec.router, x, *w.gate, cache.router, dtopk_weight, dx, *grads.gate);
}

#define MOE_INSTANTIATE(T)                                                                                         \
    template void moe_forward<T>(const MoESpec&, const MoEWeights<T>&, const MatT<T>&, MoEPath, MoECache<T>&,      \
                                 MatT<T>&, PhaseTimes*);                                                           \
    template void moe_backward<T>(const MoESpec&, const MoEWeights<T>&, const MatT<T>&, MoEPath, const MoECache<T>&, \
                                  const MatT<T>&, MatT<T>&, MoEGrads<T>&, PhaseTimes*);
MOE_INSTANTIATE(float)
MOE_INSTANTIATE(double)
#undef MOE_INSTANTIATE

}  // namespace moe
