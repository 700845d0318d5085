// Traffic accounting of simulated expert parallelism. See traffic.h for what is counted.
#include "core/moe/traffic.h"

#include "core/error.h"

#include <algorithm>
#include <string>

namespace moe {

Traffic count_traffic(const std::vector<int32_t>& topk_idx, int64_t n_tokens, int top_k,
                      const std::vector<int32_t>& expert_device, int devices, int64_t hidden) {
    if (devices < 1) throw ConfigError("traffic: devices must be at least 1");
    if (top_k < 0 || int64_t(topk_idx.size()) != n_tokens * top_k)
        throw ConfigError("traffic: the routing holds " + std::to_string(topk_idx.size()) + " choices, not " +
                          std::to_string(n_tokens) + " tokens x top-" + std::to_string(top_k));
    const int D = devices;
    Traffic tr;
    tr.devices = D;
    tr.copies.assign(size_t(D) * D, 0);
    tr.device_load.assign(D, 0);

    std::vector<int64_t> stamp(D, -1);  // the last token that visited each device
    int64_t remote_total = 0;
    for (int64_t t = 0; t < n_tokens; ++t) {
        const int home = home_device(t, n_tokens, D);
        int remote = 0;
        for (int j = 0; j < top_k; ++j) {
            const int32_t e = topk_idx[t * top_k + j];
            if (e < 0 || e >= int32_t(expert_device.size()))
                throw ConfigError("traffic: expert " + std::to_string(e) + " has no device");
            const int dev = expert_device[e];
            if (dev < 0 || dev >= D) throw ConfigError("traffic: expert " + std::to_string(e) + " is on no device");
            ++tr.device_load[dev];  // every token-expert pair is computed where its expert lives
            if (stamp[dev] == t) continue;  // this device already has the token
            stamp[dev] = t;
            if (dev == home) continue;  // local: no copy
            ++tr.copies[size_t(home) * D + dev];
            ++remote;
        }
        remote_total += remote;
        tr.remote_devices_max = std::max(tr.remote_devices_max, remote);
    }
    for (int64_t c : tr.copies) tr.dispatch_copies += c;
    tr.dispatch_bytes = tr.dispatch_copies * bytes_per_token_copy(hidden);
    tr.combine_bytes = tr.dispatch_bytes;  // the same copies travel back
    if (n_tokens > 0) {
        tr.remote_devices_mean = double(remote_total) / double(n_tokens);
        const int64_t total = n_tokens * top_k;
        const int64_t mx = *std::max_element(tr.device_load.begin(), tr.device_load.end());
        if (total > 0) tr.device_imbalance = double(mx) / (double(total) / double(D));
    }
    return tr;
}

}  // namespace moe
