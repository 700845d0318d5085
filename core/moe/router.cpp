// The DeepSeekMoE gate, forward and backward side by side. See router.h for the math; the per-token stages it shares
// with the GPU kernels are in route_stages.h.
//
// Work is split over tokens in chunks of a fixed size (kTokenGrain) and every token writes only its own rows, so
// results are bit-identical for any thread count. The two GEMMs (logits, and the gradients back to x and the gate
// weight) go through core/gemm.h, which follows the same rule.
#include "core/moe/router.h"

#include "core/error.h"
#include "core/moe/route_stages.h"
#include "core/gemm.h"
#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>

namespace moe {
namespace {

using route::insert_top;

constexpr int64_t kTokenGrain = 64;
// The largest top-k a capacity-limited backward handles with its per-token scratch on the stack.
constexpr int kMaxTopK = 256;

void check_spec(const RouterSpec& spec, int64_t n_tokens, int64_t x_cols, int64_t gate_rows, int64_t gate_cols) {
    if (spec.n_routed < 1) throw ConfigError("router: the number of routed experts must be at least 1");
    if (spec.top_k < 1 || spec.top_k > spec.n_routed)
        throw ConfigError("router: top-k is " + std::to_string(spec.top_k) + " but must be between 1 and the " +
                          std::to_string(spec.n_routed) + " routed experts");
    if (gate_rows != spec.n_routed || gate_cols != x_cols)
        throw InternalError("router: the gate weight is [" + std::to_string(gate_rows) + "," +
                            std::to_string(gate_cols) + "] but must be [n_routed=" + std::to_string(spec.n_routed) +
                            ", hidden=" + std::to_string(x_cols) + "]");
    check_device_spec(spec.device, spec.n_routed, spec.top_k);
    if (const ProbeCheck c = check_mask_top_r(spec.probe.mask_top_r, spec.n_routed, spec.top_k); !c.ok)
        throw ConfigError("router: " + c.reason);
    if (const ProbeCheck c = check_active_k(spec.probe.active_k, spec.top_k); !c.ok)
        throw ConfigError("router: " + c.reason);
    if (!(spec.z_loss_coef >= 0.0) || !std::isfinite(spec.z_loss_coef))
        throw ConfigError("router: router_z_loss_coef = " + std::to_string(spec.z_loss_coef) +
                          " must be a number >= 0 (0 = no z-loss)");
    if (spec.sigmoid && spec.z_loss_coef > 0.0)
        throw ConfigError("router: the z-loss needs softmax scoring (router_z_loss_coef = 0 for a sigmoid router)");
    if (!(spec.capacity_factor >= 0.0) || !std::isfinite(spec.capacity_factor))
        throw ConfigError("router: capacity_factor = " + std::to_string(spec.capacity_factor) +
                          " must be a number >= 0 (0 = dropless)");
    if (spec.capacity_factor > 0.0 && spec.top_k > kMaxTopK)
        throw ConfigError("router: expert capacity supports top-k up to " + std::to_string(kMaxTopK));
    if (!(spec.scaling_factor > 0.0) || !std::isfinite(spec.scaling_factor))
        throw ConfigError("router: routed_scaling_factor = " + std::to_string(spec.scaling_factor) +
                          " must be a number > 0");
    const bool any_aux = spec.aux_alpha > 0.0 || spec.device.has_balance_loss();
    if (any_aux && spec.seq_aux && int64_t(spec.batch) * spec.seq != n_tokens)
        throw ConfigError("router: the sequence-level balance loss needs batch*seq = " +
                          std::to_string(int64_t(spec.batch) * spec.seq) + " to equal the " +
                          std::to_string(n_tokens) + " tokens it is given");
}

// How the tokens are grouped for the balance loss: one group of all N tokens (token-level), or one per sequence
// (seq_aux). When no balance loss is asked for and the sequence shape does not fit, f is reported over all tokens.
struct AuxGroups {
    int64_t count;  // S
    int64_t size;   // tokens per group
};

AuxGroups aux_groups(const RouterSpec& spec, int64_t n_tokens) {
    if (spec.seq_aux && spec.batch >= 1 && int64_t(spec.batch) * spec.seq == n_tokens) return {spec.batch, spec.seq};
    return {1, n_tokens};
}

// The probe's top-k' step on one token's ordered weights g [k]: the first k' keep their share of the full sum,
// the rest become 0. k' = k leaves g untouched (the caller does not call it then), so the ordinary model is
// reproduced exactly whether norm_topk_prob is on or off.
template <class T>
void keep_top_k_prime(T* g, int k, int k_prime) {
    T full = 0, kept = 0;
    for (int j = 0; j < k; ++j) full += g[j];
    for (int j = 0; j < k_prime; ++j) kept += g[j];
    // The weights are sorted in descending order, so kept == 0 means every weight is 0: nothing to rescale.
    const T scale = kept > T(0) ? full / kept : T(0);
    for (int j = 0; j < k_prime; ++j) g[j] *= scale;
    for (int j = k_prime; j < k; ++j) g[j] = T(0);
}

}  // namespace

ProbeCheck check_mask_top_r(int r, int n_routed, int top_k) {
    const std::string R = std::to_string(r), nr = std::to_string(n_routed), k = std::to_string(top_k);
    if (r < 0) return {false, "mask_top_r = " + R + " must be 0 (no masking) or more"};
    if (r == 0) return {true, "no expert masked: the ordinary model"};
    const int left = n_routed - r;
    if (left < top_k)
        return {false, "cannot mask r = " + R + " of " + nr + " experts: only " + std::to_string(std::max(left, 0)) +
                           " left for top-" + k};
    return {true, "masking " + R + " of " + nr + " experts leaves " + std::to_string(left) + " >= k = " + k +
                      ": fine"};
}

ProbeCheck check_active_k(int active_k, int top_k) {
    const std::string a = std::to_string(active_k), k = std::to_string(top_k);
    if (active_k < 0 || active_k > top_k)
        return {false, "active_k = " + a + " must be between 1 and the top-k = " + k + " (or 0 for all k)"};
    if (active_k == 0 || active_k == top_k) return {true, "all k = " + k + " routed experts active: the ordinary model"};
    return {true, "keeping the top " + a + " of k = " + k + " routed experts, their weights rescaled to the full sum"};
}

template <class T>
void router_forward(const RouterSpec& spec, const MatT<T>& x, const MatT<T>& gate, RouterCache<T>& cache,
                    const T* selection_bias) {
    const int64_t n = x.rows();
    const int nr = spec.n_routed;
    const int k = spec.top_k;
    check_spec(spec, n, x.cols(), gate.rows(), gate.cols());
    if (spec.selection_bias && !selection_bias)
        throw InternalError("router_forward: topk_method = noaux_tc but no selection bias was given");
    const bool sigmoid = spec.sigmoid, biased = spec.selection_bias;
    cache.affinity.resize(sigmoid ? n : 0, sigmoid ? nr : 0);
    cache.affinity_sum.resize(sigmoid ? static_cast<size_t>(n) : 0);
    if (biased)
        cache.bias.assign(selection_bias, selection_bias + nr);
    else
        cache.bias.clear();
    const T scale = T(spec.scaling_factor);

    // logits = x e^T, turned into softmax scores in place below.
    cache.scores.resize(n, nr);
    matmul_nt<T>(x, gate, cache.scores);
    cache.topk_idx.resize(static_cast<size_t>(n * k));
    cache.topk_weight.resize(n, k);

    // Simulated devices: where each expert lives; with a device limit, each token's M chosen devices.
    const DeviceSpec& dev = spec.device;
    const bool limited = dev.limited();
    const int n_dev = dev.devices, m_dev = dev.effective_limit();
    cache.expert_device = place_experts(dev, nr);
    cache.chosen_devices.resize(limited ? static_cast<size_t>(n * m_dev) : 0);

    const bool renorm = spec.norm_topk_prob && k > 1;  // the reference renormalises only for k > 1
    const bool z_loss = spec.z_loss_coef > 0.0;
    cache.lse.resize(z_loss ? static_cast<size_t>(n) : 0);
    // Probes (router.h); both are skipped entirely when off, so the ordinary routing runs the same instructions.
    const int mask_r = spec.probe.mask_top_r;
    const int k_prime = (spec.probe.active_k > 0 && spec.probe.active_k < k) ? spec.probe.active_k : 0;
    std::atomic<int64_t> shortfall{0};
    parallel_for(n, kTokenGrain, [&](int64_t begin, int64_t end) {
        // Per chunk: device scores, their sorted copy, and which devices the token may use.
        std::vector<T> dev_score(limited ? n_dev : 0), dev_second(limited ? n_dev : 0);
        std::vector<uint8_t> allowed(limited ? n_dev : 0);
        // Probe scratch: the masked experts, their scores while picking them, and the scores the devices see.
        std::vector<uint8_t> masked(mask_r > 0 ? nr : 0);
        std::vector<int32_t> mask_idx(mask_r);
        std::vector<T> mask_val(mask_r), dev_view(mask_r > 0 && limited ? nr : 0);
        std::vector<T> sel(biased ? nr : 0), sel_top(biased ? k : 0);  // selection scores, their top-k values
        int64_t chunk_shortfall = 0;
        for (int64_t t = begin; t < end; ++t) {
            auto s = cache.scores.row(t).array();
            if (sigmoid) {
                // Affinities a = sigmoid(logits); the scores row becomes their normalised form p = a / sum a.
                auto a = cache.affinity.row(t).array();
                a = (T(1) + (-s).exp()).inverse();
                const T sum = a.sum();
                cache.affinity_sum[size_t(t)] = sum;
                s = a / sum;
            } else {
                // Softmax with the row maximum subtracted (the same function, without overflow).
                const T top = s.maxCoeff();
                s = (s - top).exp();
                const T sum = s.sum();
                s /= sum;
                if (z_loss) cache.lse[size_t(t)] = top + std::log(sum);  // logsumexp of the logits, for the z-loss
            }
            // What the weights take (the affinities), and what the choice ranks (those plus the bias).
            const T* aff = sigmoid ? cache.affinity.row(t).data() : cache.scores.row(t).data();
            const T* rank = aff;
            if (biased) {
                route::biased_selection(aff, selection_bias, nr, sel.data());
                rank = sel.data();
            }

            // Probe: the token's r best experts, by the same insertion rule as the top-k (ties to the lower index).
            if (mask_r > 0) {
                int filled_r = 0;
                for (int i = 0; i < nr; ++i)
                    insert_top(rank[i], i, mask_val.data(), mask_idx.data(), filled_r, mask_r);
                std::fill(masked.begin(), masked.end(), uint8_t(0));
                for (int j = 0; j < mask_r; ++j) masked[mask_idx[j]] = 1;
            }

            // Device limit: the M devices with the best device score (max, or top-2 sum, of the ranked scores over
            // their experts); only their experts may be chosen below. The scores are left as they are. Under a
            // mask probe the devices are scored over the unmasked experts only (masked ones count as -inf).
            if (limited) {
                const T* view = rank;
                if (mask_r > 0) {
                    for (int i = 0; i < nr; ++i)
                        dev_view[i] = masked[i] ? -std::numeric_limits<T>::infinity() : rank[i];
                    view = dev_view.data();
                }
                choose_devices(dev, cache.expert_device.data(), view, nr, dev_score.data(), dev_second.data(),
                               cache.chosen_devices.data() + t * m_dev, allowed.data());
            }

            // Top-k by insertion into a sorted list of length k. An expert moves ahead of another only with a
            // strictly larger score, so among equal scores the lower index (seen first) stays first. Without a
            // limit (or with M = D, every device allowed) this is the same loop on the same values: the routing
            // is bit-identical to the unlimited one.
            // With a selection bias the ranked values go to a scratch list and the weights take the affinities.
            int32_t* idx = cache.topk_idx.data() + t * k;
            T* g = cache.topk_weight.row(t).data();
            T* top_vals = biased ? sel_top.data() : g;
            int filled = 0;
            for (int i = 0; i < nr; ++i) {
                if (limited && !allowed[cache.expert_device[i]]) continue;
                if (mask_r > 0 && masked[i]) continue;
                insert_top(rank[i], i, top_vals, idx, filled, k);
            }
            if (biased)
                for (int j = 0; j < filled; ++j) g[j] = aff[idx[j]];
            // Only a mask probe under a device limit can leave fewer than k candidates: the token keeps the ones
            // it has, its empty slots point at its best expert with weight 0, and it is counted.
            if (filled < k) {
                ++chunk_shortfall;
                for (int j = filled; j < k; ++j) {
                    idx[j] = filled > 0 ? idx[0] : 0;
                    g[j] = T(0);
                }
            }

            route::combine_weights(g, k, renorm, scale);
            if (k_prime > 0) keep_top_k_prime(g, k, k_prime);
        }
        if (chunk_shortfall > 0) shortfall += chunk_shortfall;
    });
    cache.probe_shortfall = shortfall.load();

    // Capacity: each expert's slots in slot order (a stable counting pass), then the ones beyond C are dropped.
    cache.kept.clear();
    cache.dropped = 0;
    if (spec.capacity_factor > 0.0 && n > 0) {
        const int64_t slot_count = n * k;
        const int64_t capacity = route::capacity_of(spec.capacity_factor, slot_count, nr);
        std::vector<int32_t> offsets(static_cast<size_t>(nr) + 1, 0), order(static_cast<size_t>(slot_count));
        for (int64_t s = 0; s < slot_count; ++s) ++offsets[size_t(cache.topk_idx[size_t(s)]) + 1];
        for (int e = 0; e < nr; ++e) offsets[size_t(e) + 1] += offsets[size_t(e)];
        std::vector<int32_t> fill(offsets.begin(), offsets.end() - 1);
        for (int64_t s = 0; s < slot_count; ++s) order[size_t(fill[size_t(cache.topk_idx[size_t(s)])]++)] = int32_t(s);
        cache.kept.assign(static_cast<size_t>(slot_count), 1);
        T* w = cache.topk_weight.data();
        parallel_for(nr, 1, [&](int64_t e0, int64_t e1) {
            for (int64_t e = e0; e < e1; ++e)
                route::capacity_keep(order.data() + offsets[size_t(e)], offsets[size_t(e) + 1] - offsets[size_t(e)], w,
                                     capacity, spec.drop_by_probs, cache.kept.data());
        });
        for (int64_t s = 0; s < slot_count; ++s)
            if (!cache.kept[size_t(s)]) {
                w[s] = T(0);
                ++cache.dropped;
            }
    }

    // f_i * N_r per group: the share of the group's token-slots routed to expert i, times N_r. A count, so no
    // gradient flows through it.
    const AuxGroups grp = aux_groups(spec, n);
    cache.aux_f.setZero(grp.count, nr);
    for (int64_t t = 0; t < n; ++t)
        for (int j = 0; j < k; ++j) cache.aux_f(t / grp.size, cache.topk_idx[t * k + j]) += T(1);
    if (grp.size > 0) cache.aux_f *= T(double(nr) / double(grp.size * k));

    // aux = alpha * mean over groups of sum_i (f_i N_r) P_i, with P_i the group's mean score.
    cache.aux_loss = cache.expert_aux_loss = 0.0;
    if (spec.aux_alpha > 0.0 && n > 0) {
        double total = 0.0;
        for (int64_t s = 0; s < grp.count; ++s) {
            const VecT<double> p =
                cache.scores.middleRows(s * grp.size, grp.size).template cast<double>().colwise().sum().transpose() /
                double(grp.size);
            total += cache.aux_f.row(s).template cast<double>().dot(p.transpose());
        }
        cache.expert_aux_loss = spec.aux_alpha * total / double(grp.count);
    }

    // L_DevBal and L_CommBal over the same groups (device_routing.h), added to the layer's balance loss.
    device_balance_forward(dev, cache.expert_device, cache.scores, cache.topk_idx, k, cache.aux_f, grp.count,
                           grp.size, cache.device_balance);
    cache.dev_aux_loss = cache.device_balance.dev_loss;
    cache.comm_aux_loss = cache.device_balance.comm_loss;
    // Router z-loss: c_z * mean_t lse_t^2, summed in token order in double.
    cache.z_loss = 0.0;
    if (z_loss && n > 0) {
        double total = 0.0;
        for (int64_t t = 0; t < n; ++t) total += double(cache.lse[size_t(t)]) * double(cache.lse[size_t(t)]);
        cache.z_loss = spec.z_loss_coef * total / double(n);
    }
    cache.aux_loss = cache.expert_aux_loss + cache.dev_aux_loss + cache.comm_aux_loss + cache.z_loss;
}

template <class T>
void router_backward(const RouterSpec& spec, const MatT<T>& x, const MatT<T>& gate, const RouterCache<T>& cache,
                     const MatT<T>& dtopk_weight, MatT<T>& dx, MatT<T>& dgate) {
    const int64_t n = x.rows();
    const int nr = spec.n_routed;
    const int k = spec.top_k;
    check_spec(spec, n, x.cols(), gate.rows(), gate.cols());
    if (spec.probe.active(k))
        throw ConfigError("router: a routing probe is set (mask_top_r = " + std::to_string(spec.probe.mask_top_r) +
                          ", active_k = " + std::to_string(spec.probe.active_k) +
                          "): probes measure a trained model, forward only; reset the probe before training");
    if (dtopk_weight.rows() != n || dtopk_weight.cols() != k || dx.rows() != n || dx.cols() != x.cols() ||
        dgate.rows() != gate.rows() || dgate.cols() != gate.cols())
        throw InternalError("router_backward: gradient shapes do not match the forward pass");

    const bool renorm = spec.norm_topk_prob && k > 1;
    const bool aux = spec.aux_alpha > 0.0;
    const AuxGroups grp = aux_groups(spec, n);
    // d aux / d s_{t,i} = alpha / S * (f_i N_r) / (tokens in the group): P_i is a mean over the group's tokens.
    const T aux_scale = aux ? T(spec.aux_alpha / double(grp.count * grp.size)) : T(0);
    // d (L_DevBal + L_CommBal) / d s_{t,i} = (alpha_dev f'_{dev(i)} + alpha_comm f''_{dev(i)}) / (S T) per group.
    const bool dev_aux = spec.device.has_balance_loss();
    thread_local MatT<T> dev_coef_scratch;
    MatT<T>& dev_coef = dev_coef_scratch;
    if (dev_aux) {
        if (cache.expert_device.size() != size_t(nr) || cache.device_balance.dev_f.rows() != grp.count)
            throw InternalError("router_backward: called without a matching forward pass");
        device_balance_backward(spec.device, cache.expert_device, cache.device_balance, grp.count, grp.size,
                                dev_coef);
    }

    const bool capacity = !cache.kept.empty();
    if (capacity && (cache.kept.size() != size_t(n * k) || k > kMaxTopK))
        throw InternalError("router_backward: the capacity mask does not match the forward pass");
    const bool sigmoid = spec.sigmoid;
    if (sigmoid && (cache.affinity.rows() != n || cache.affinity_sum.size() != size_t(n)))
        throw InternalError("router_backward: sigmoid scoring needs the forward pass's affinities");
    const T scale = T(spec.scaling_factor);
    const T z_scale = spec.z_loss_coef > 0.0 && n > 0 ? T(2.0 * spec.z_loss_coef / double(n)) : T(0);
    if (z_scale != T(0) && cache.lse.size() != size_t(n))
        throw InternalError("router_backward: the z-loss needs the forward pass's logsumexp");
    // dscores, then dlogits in place. Scratch kept from call to call (one per thread and scalar type): a fresh
    // buffer per step costs page faults that show in the step time.
    // (A reference, because the chunks below run on other threads, where the name would mean their own copy.)
    thread_local MatT<T> scratch;
    MatT<T>& dlogits = scratch;
    dlogits.resize(n, nr);
    parallel_for(n, kTokenGrain, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
            auto ds = dlogits.row(t);
            if (aux)
                ds = aux_scale * cache.aux_f.row(t / grp.size);
            else
                ds.setZero();
            if (dev_aux) ds += dev_coef.row(t / grp.size);

            const int32_t* idx = cache.topk_idx.data() + t * k;
            const T* g = cache.topk_weight.row(t).data();
            const T* dg = dtopk_weight.row(t).data();
            // A dropped slot's weight is the constant 0: no gradient reaches the scores through it.
            T dg_kept[kMaxTopK];
            if (capacity) {
                for (int j = 0; j < k; ++j) dg_kept[j] = cache.kept[size_t(t * k + j)] ? dg[j] : T(0);
                dg = dg_kept;
            }
            if (sigmoid) {
                // The balance losses saw p = a / A: take their gradient back to a, add the weights' (which take a),
                // then through the sigmoid: dl_i = da_i a_i (1 - a_i).
                if (aux || dev_aux)
                    route::normalised_backward(cache.scores.row(t).data(), cache.affinity_sum[size_t(t)], nr,
                                               ds.data());
                const auto a = cache.affinity.row(t);
                route::combine_backward(a.data(), idx, g, dg, k, renorm, scale, ds.data());
                ds = (ds.array() * a.array() * (T(1) - a.array())).matrix();
                continue;
            }
            route::combine_backward(cache.scores.row(t).data(), idx, g, dg, k, renorm, scale, ds.data());

            // Softmax backward: dl_i = s_i (ds_i - sum_j s_j ds_j).
            const auto s = cache.scores.row(t);
            const T sds = s.dot(ds);
            ds = (s.array() * (ds.array() - sds)).matrix();
            // The z-loss on the logits themselves: d (c_z lse_t^2 / N) / d l_i = 2 c_z lse_t / N * s_i.
            if (z_scale != T(0)) ds += (z_scale * cache.lse[size_t(t)]) * s;
        }
    });

    matmul_nn<T>(dlogits, gate, dx, /*accumulate=*/true);
    matmul_tn<T>(dlogits, x, dgate, /*accumulate=*/true);
}

#define MOE_INSTANTIATE(T)                                                                                        \
    template void router_forward<T>(const RouterSpec&, const MatT<T>&, const MatT<T>&, RouterCache<T>&, const T*); \
    template void router_backward<T>(const RouterSpec&, const MatT<T>&, const MatT<T>&, const RouterCache<T>&, \
                                     const MatT<T>&, MatT<T>&, MatT<T>&);
MOE_INSTANTIATE(float)
MOE_INSTANTIATE(double)
#undef MOE_INSTANTIATE

}  // namespace moe
