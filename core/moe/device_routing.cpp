// Placement, device-limited selection and the device-level balance losses. See device_routing.h for the math.
#include "core/moe/device_routing.h"

#include "core/error.h"
#include "core/moe/route_stages.h"

#include <algorithm>
#include <limits>

namespace moe {

Placement parse_placement(const std::string& name) {
    if (name == "contiguous") return Placement::Contiguous;
    if (name == "round_robin") return Placement::RoundRobin;
    throw ConfigError("placement = \"" + name + "\" is not a placement: use contiguous (blocks of N_r / D experts "
                      "per device) or round_robin (expert e on device e % D)");
}

DeviceRouting parse_device_routing(const std::string& name) {
    if (name == "device") return DeviceRouting::Device;
    if (name == "group") return DeviceRouting::Group;
    throw ConfigError("device_routing = \"" + name + "\" is not a device routing: use device (a device scores its "
                      "best expert, DeepSeek-V2) or group (the sum of its top-2 experts, DeepSeek-V3)");
}

const char* placement_name(Placement p) { return p == Placement::Contiguous ? "contiguous" : "round_robin"; }
const char* device_routing_name(DeviceRouting r) { return r == DeviceRouting::Device ? "device" : "group"; }

namespace {

std::vector<int64_t> device_sizes(const DeviceSpec& spec, int n_routed) {
    std::vector<int64_t> sizes(std::max(spec.devices, 1), 0);
    for (int32_t d : place_experts(spec, n_routed)) ++sizes[d];
    return sizes;
}

}  // namespace

std::vector<int32_t> place_experts(const DeviceSpec& spec, int n_routed) {
    std::vector<int32_t> dev(std::max(n_routed, 0), 0);
    const int d = std::max(spec.devices, 1);
    const int block = std::max(n_routed / d, 1);
    for (int e = 0; e < n_routed; ++e)
        dev[e] = spec.placement == Placement::Contiguous ? std::min(e / block, d - 1) : e % d;
    return dev;
}

int64_t min_experts_on_devices(const DeviceSpec& spec, int n_routed, int m) {
    std::vector<int64_t> sizes = device_sizes(spec, n_routed);
    std::sort(sizes.begin(), sizes.end());
    int64_t sum = 0;
    for (int i = 0; i < m && i < int(sizes.size()); ++i) sum += sizes[i];
    return sum;
}

void check_device_spec(const DeviceSpec& spec, int n_routed, int top_k) {
    const std::string D = std::to_string(spec.devices), M = std::to_string(spec.limit);
    const std::string nr = std::to_string(n_routed);
    if (spec.devices < 1)
        throw ConfigError("devices = " + D + " must be at least 1 (1 = no expert parallelism)");
    if (spec.devices > n_routed)
        throw ConfigError("devices = " + D + " is more than n_routed_experts = " + nr +
                          ": every simulated device needs at least one routed expert");
    if (spec.limit < 0)
        throw ConfigError("device_limit = " + M + " must be between 1 and devices = " + D + ", or 0 for no limit");
    if (spec.limit > spec.devices)
        throw ConfigError("device_limit = " + M + " is larger than devices = " + D +
                          ": a token cannot use more devices than there are (use 1.." + D + ", or 0 for no limit)");
    if (spec.placement == Placement::Contiguous && n_routed % spec.devices != 0) {
        std::string divisors;
        for (int x = 1; x <= n_routed; ++x)
            if (n_routed % x == 0) divisors += (divisors.empty() ? "" : ", ") + std::to_string(x);
        throw ConfigError("n_routed_experts = " + nr + " is not divisible by devices = " + D +
                          ", which contiguous placement needs (blocks of N_r / D experts per device): use "
                          "--set placement=round_robin, or devices = one of " + divisors);
    }
    const int m = spec.effective_limit();
    const int64_t avail = min_experts_on_devices(spec, n_routed, m);
    if (top_k > avail)
        throw ConfigError("num_experts_per_tok (top-k) = " + std::to_string(top_k) + " needs " +
                          std::to_string(top_k) + " routed experts on the device_limit = " + std::to_string(m) +
                          " devices a token may use, but " + std::to_string(m) + " of the " + D +
                          " devices can hold as few as " + std::to_string(avail) +
                          ": raise device_limit or lower num_experts_per_tok");
    if (spec.dev_alpha < 0) throw ConfigError("device_aux_alpha must not be negative (0 = off)");
    if (spec.comm_alpha < 0) throw ConfigError("comm_aux_alpha must not be negative (0 = off)");
}

template <class T>
void device_scores(const DeviceSpec& spec, const int32_t* expert_device, const T* s, int n_routed, T* score,
                   T* second) {
    route::device_scores(expert_device, s, n_routed, spec.devices, spec.routing != DeviceRouting::Device,
                         -std::numeric_limits<T>::infinity(), score, second);
}

template <class T>
void choose_devices(const DeviceSpec& spec, const int32_t* expert_device, const T* s, int n_routed, T* score,
                    T* second, int32_t* chosen, uint8_t* allowed) {
    device_scores(spec, expert_device, s, n_routed, score, second);
    route::top_devices(score, spec.devices, spec.effective_limit(), second, chosen, allowed);
}

template <class T>
void device_balance_forward(const DeviceSpec& spec, const std::vector<int32_t>& expert_device, const MatT<T>& scores,
                            const std::vector<int32_t>& topk_idx, int top_k, const MatT<T>& aux_f, int64_t groups,
                            int64_t group_size, DeviceBalance<T>& out) {
    const int D = spec.devices, M = spec.effective_limit();
    const int nr = int(scores.cols());
    out.dev_loss = out.comm_loss = 0.0;
    out.dev_f.setZero(groups, D);
    out.comm_f.setZero(groups, D);
    if (!spec.has_balance_loss() || groups < 1 || group_size < 1) return;

    std::vector<int64_t> size(D, 0);
    for (int e = 0; e < nr; ++e) ++size[expert_device[e]];

    std::vector<int64_t> sent(D);
    std::vector<int64_t> stamp(D, -1);  // the last token that was counted as sent to each device
    VecT<double> p_dev(D);
    double dev_total = 0.0, comm_total = 0.0;
    for (int64_t g = 0; g < groups; ++g) {
        const int64_t t0 = g * group_size;
        // P'_i = P''_i = sum_{j in E_i} P_j,  P_j = (1/T) sum_t s_{j,t}
        const VecT<double> p =
            scores.middleRows(t0, group_size).template cast<double>().colwise().sum().transpose() / double(group_size);
        p_dev.setZero();
        for (int e = 0; e < nr; ++e) p_dev(expert_device[e]) += p(e);

        // f'_i = (1/|E_i|) sum_{j in E_i} f_j
        VecT<double> f1 = VecT<double>::Zero(D);
        for (int e = 0; e < nr; ++e) f1(expert_device[e]) += double(aux_f(g, e));
        for (int i = 0; i < D; ++i) f1(i) /= double(size[i]);

        // f''_i = D / (M T) * #(tokens of the group with at least one chosen expert on device i)
        std::fill(sent.begin(), sent.end(), 0);
        for (int64_t t = t0; t < t0 + group_size; ++t)
            for (int j = 0; j < top_k; ++j) {
                const int i = expert_device[topk_idx[t * top_k + j]];
                if (stamp[i] != t) stamp[i] = t, ++sent[i];
            }
        VecT<double> f2(D);
        for (int i = 0; i < D; ++i) f2(i) = double(D) / (double(M) * double(group_size)) * double(sent[i]);

        out.dev_f.row(g) = f1.transpose().template cast<T>();
        out.comm_f.row(g) = f2.transpose().template cast<T>();
        dev_total += f1.dot(p_dev);
        comm_total += f2.dot(p_dev);
    }
    // Averaged over the groups (sequences with seq_aux), as the expert-level loss.
    out.dev_loss = spec.dev_alpha * dev_total / double(groups);
    out.comm_loss = spec.comm_alpha * comm_total / double(groups);
}

template <class T>
void device_balance_backward(const DeviceSpec& spec, const std::vector<int32_t>& expert_device,
                             const DeviceBalance<T>& bal, int64_t groups, int64_t group_size, MatT<T>& coef) {
    const int nr = int(expert_device.size());
    coef.setZero(groups, nr);
    if (!spec.has_balance_loss() || groups < 1 || group_size < 1) return;
    // d L / d s_{j,t} = (alpha_dev f'_{dev(j)} + alpha_comm f''_{dev(j)}) / (S T): P'_i and P''_i are sums of the
    // P_j of the device's experts, each P_j a mean over the group's T tokens, and the groups are averaged.
    const double scale = 1.0 / (double(groups) * double(group_size));
    for (int64_t g = 0; g < groups; ++g)
        for (int e = 0; e < nr; ++e) {
            const int i = expert_device[e];
            coef(g, e) = T((spec.dev_alpha * double(bal.dev_f(g, i)) + spec.comm_alpha * double(bal.comm_f(g, i))) *
                           scale);
        }
}

#define MOE_INSTANTIATE(T)                                                                                         \
    template void device_scores<T>(const DeviceSpec&, const int32_t*, const T*, int, T*, T*);                      \
    template void choose_devices<T>(const DeviceSpec&, const int32_t*, const T*, int, T*, T*, int32_t*, uint8_t*); \
    template void device_balance_forward<T>(const DeviceSpec&, const std::vector<int32_t>&, const MatT<T>&,        \
                                            const std::vector<int32_t>&, int, const MatT<T>&, int64_t, int64_t,    \
                                            DeviceBalance<T>&);                                                    \
    template void device_balance_backward<T>(const DeviceSpec&, const std::vector<int32_t>&,                       \
                                             const DeviceBalance<T>&, int64_t, int64_t, MatT<T>&);
MOE_INSTANTIATE(float)
MOE_INSTANTIATE(double)
#undef MOE_INSTANTIATE

}  // namespace moe
