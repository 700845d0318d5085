// The all-to-all traffic of simulated expert parallelism, counted from a forward pass's routing.
//
// The batch's N tokens (rows of the flattened batch) start sharded evenly over the D devices: token t lives on
// its home device floor(t D / N). Routed experts live where the placement puts them (device_routing.h); shared
// experts are replicated on every device and cost nothing.
//   dispatch:  token t sends one copy of its hidden state from home to each DISTINCT device among its top-k
//              experts' devices other than home (two experts on the same remote device cost one copy)
//   combine:   the same copies come back (the transpose of the dispatch matrix)
//   bytes   =  copies * hidden_size * 4 (float32 activations)
//   remote devices of a token: the number of distinct devices != home that it visits (mean and max over tokens)
//   device load: the token-expert pairs processed on each device (the sum of its experts' loads), and its
//                imbalance max / mean
// With D = 1 there is no traffic.
#pragma once

#include <cstdint>
#include <vector>

namespace moe {

// Bytes of one token-copy: hidden_size float32 values.
constexpr int64_t bytes_per_token_copy(int64_t hidden) { return hidden * int64_t(sizeof(float)); }

// Home device of row t of n rows: floor(t D / n).
inline int home_device(int64_t t, int64_t n, int devices) {
    return n > 0 ? int((t * devices) / n) : 0;
}

struct Traffic {
    int devices = 1;
    std::vector<int64_t> copies;  // [D*D] row-major: copies[src*D + dst] token-copies sent on dispatch
    int64_t dispatch_copies = 0;  // sum of copies (the combine sends as many back)
    int64_t dispatch_bytes = 0;
    int64_t combine_bytes = 0;
    double remote_devices_mean = 0.0;
    int remote_devices_max = 0;
    std::vector<int64_t> device_load;  // [D] token-expert pairs on each device
    double device_imbalance = 0.0;     // max / mean device load (1 = even; 0 when there are no tokens)
};

// topk_idx [n_tokens * top_k], expert_device [N_r] (device of each routed expert, all < devices).
Traffic count_traffic(const std::vector<int32_t>& topk_idx, int64_t n_tokens, int top_k,
                      const std::vector<int32_t>& expert_device, int devices, int64_t hidden);

}  // namespace moe
