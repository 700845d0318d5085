// Traffic accounting of simulated expert parallelism: a small case worked out by hand (the D x D dispatch matrix,
// bytes, remote devices per token, device loads), the home-device sharding, one device (no traffic), and the
// device limit bounding the remote devices a token visits.
#include "core/error.h"
#include "core/moe/device_routing.h"
#include "core/moe/router.h"
#include "core/moe/traffic.h"
#include "core/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

namespace moe {
namespace {

TEST(Traffic, HandWorkedCase) {
    // 4 tokens, D = 2, 4 experts contiguous (0, 1 on device 0; 2, 3 on device 1), top-2, hidden 8.
    // Homes: floor(t * 2 / 4) = 0, 0, 1, 1.
    //   t0 home 0: experts 0, 1 -> device 0 only              local, no copy
    //   t1 home 0: experts 1, 2 -> devices 0, 1               one copy 0 -> 1
    //   t2 home 1: experts 0, 1 -> device 0 (both)            ONE copy 1 -> 0 (two experts, one device)
    //   t3 home 1: experts 3, 0 -> devices 1, 0               one copy 1 -> 0
    // Dispatch matrix [[0, 1], [2, 0]]: 3 copies of 8 floats = 96 bytes, and 96 back on combine.
    // Remote devices per token 0, 1, 1, 1: mean 0.75, max 1.
    // Device loads (token-expert pairs): device 0: 2 + 1 + 2 + 1 = 6, device 1: 1 + 1 = 2; mean 4, max/mean 1.5.
    const std::vector<int32_t> topk = {0, 1, 1, 2, 0, 1, 3, 0};
    const std::vector<int32_t> dev = {0, 0, 1, 1};
    const Traffic tr = count_traffic(topk, 4, 2, dev, 2, 8);
    EXPECT_EQ(tr.devices, 2);
    EXPECT_EQ(tr.copies, (std::vector<int64_t>{0, 1, 2, 0}));
    EXPECT_EQ(tr.dispatch_copies, 3);
    EXPECT_EQ(tr.dispatch_bytes, 96);
    EXPECT_EQ(tr.combine_bytes, 96);
    EXPECT_DOUBLE_EQ(tr.remote_devices_mean, 0.75);
    EXPECT_EQ(tr.remote_devices_max, 1);
    EXPECT_EQ(tr.device_load, (std::vector<int64_t>{6, 2}));
    EXPECT_DOUBLE_EQ(tr.device_imbalance, 1.5);
}

TEST(Traffic, HandWorkedRoundRobinOnFourDevices) {
    // 6 tokens on D = 4, homes floor(t * 4 / 6) = 0, 0, 1, 2, 2, 3. 8 experts round robin: expert e on e % 4.
    // Top-3, hidden 2 (8 bytes a copy).
    //   t0 home 0: experts 1, 5, 2 -> devices 1, 1, 2   copies 0->1, 0->2          remote 2
    //   t1 home 0: experts 0, 4, 3 -> devices 0, 0, 3   copy 0->3                  remote 1
    //   t2 home 1: experts 0, 1, 2 -> devices 0, 1, 2   copies 1->0, 1->2          remote 2
    //   t3 home 2: experts 6, 2, 7 -> devices 2, 2, 3   copy 2->3                  remote 1
    //   t4 home 2: experts 3, 7, 0 -> devices 3, 3, 0   copies 2->3, 2->0          remote 2
    //   t5 home 3: experts 3, 1, 5 -> devices 3, 1, 1   copy 3->1                  remote 1
    // 9 copies = 72 bytes; remote mean 9/6 = 1.5, max 2.
    // Loads: device 0: t1 x2, t2, t4 = 4; device 1: t0 x2, t2, t5 x2 = 5; device 2: t0, t2, t3 x2 = 4;
    //        device 3: t1, t3, t4 x2, t5 = 5. Mean 18/4 = 4.5, max/mean 5/4.5.
    const std::vector<int32_t> topk = {1, 5, 2, 0, 4, 3, 0, 1, 2, 6, 2, 7, 3, 7, 0, 3, 1, 5};
    DeviceSpec d;
    d.devices = 4;
    d.placement = Placement::RoundRobin;
    const Traffic tr = count_traffic(topk, 6, 3, place_experts(d, 8), 4, 2);
    const std::vector<int64_t> want = {
        0, 1, 1, 1,  // from 0
        1, 0, 1, 0,  // from 1
        1, 0, 0, 2,  // from 2
        0, 1, 0, 0,  // from 3
    };
    EXPECT_EQ(tr.copies, want);
    EXPECT_EQ(tr.dispatch_copies, 9);
    EXPECT_EQ(tr.dispatch_bytes, 72);
    EXPECT_EQ(tr.combine_bytes, 72);
    EXPECT_DOUBLE_EQ(tr.remote_devices_mean, 1.5);
    EXPECT_EQ(tr.remote_devices_max, 2);
    EXPECT_EQ(tr.device_load, (std::vector<int64_t>{4, 5, 4, 5}));
    EXPECT_DOUBLE_EQ(tr.device_imbalance, 5.0 / 4.5);
}

TEST(Traffic, HomeDevicesShardTheBatchEvenly) {
    EXPECT_EQ(home_device(0, 6, 4), 0);
    EXPECT_EQ(home_device(1, 6, 4), 0);
    EXPECT_EQ(home_device(2, 6, 4), 1);
    EXPECT_EQ(home_device(3, 6, 4), 2);
    EXPECT_EQ(home_device(5, 6, 4), 3);
    std::vector<int> per(8, 0);
    for (int t = 0; t < 64; ++t) ++per[home_device(t, 64, 8)];
    EXPECT_EQ(per, std::vector<int>(8, 8));
}

TEST(Traffic, OneDeviceSendsNothing) {
    const std::vector<int32_t> topk = {0, 3, 2, 1, 1, 0};
    const Traffic tr = count_traffic(topk, 3, 2, std::vector<int32_t>(4, 0), 1, 64);
    EXPECT_EQ(tr.copies, (std::vector<int64_t>{0}));
    EXPECT_EQ(tr.dispatch_bytes, 0);
    EXPECT_EQ(tr.combine_bytes, 0);
    EXPECT_EQ(tr.remote_devices_max, 0);
    EXPECT_EQ(tr.device_load, (std::vector<int64_t>{6}));
    EXPECT_DOUBLE_EQ(tr.device_imbalance, 1.0);
}

TEST(Traffic, RejectsRoutingThatDoesNotFit) {
    EXPECT_THROW(count_traffic({0, 1, 2}, 2, 2, {0, 0, 1, 1}, 2, 8), ConfigError);  // 3 choices for 2 x top-2
    EXPECT_THROW(count_traffic({0, 7}, 1, 2, {0, 0, 1, 1}, 2, 8), ConfigError);     // expert 7 does not exist
    EXPECT_THROW(count_traffic({0, 1}, 1, 2, {0, 0}, 0, 8), ConfigError);           // no devices
}

// From the router: with a device limit M a token visits at most M devices, so at most M remote ones, and the
// total traffic is below the unlimited router's on the same inputs.
TEST(Traffic, DeviceLimitBoundsTheRemoteDevices) {
    RouterSpec spec;
    spec.n_routed = 32;
    spec.top_k = 4;
    Rng rng(7);
    MatD x(256, 16), gate(32, 16);
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = rng.normal(0.0, 1.0);
    for (int64_t i = 0; i < gate.size(); ++i) gate.data()[i] = rng.normal(0.0, 1.0);
    for (Placement pl : {Placement::Contiguous, Placement::RoundRobin}) {
        spec.device.devices = 8;
        spec.device.placement = pl;
        spec.device.limit = 0;
        RouterCache<double> free_c, lim_c;
        router_forward(spec, x, gate, free_c);
        const Traffic free_t = count_traffic(free_c.topk_idx, 256, 4, free_c.expert_device, 8, 16);
        for (int m : {1, 2, 3}) {
            spec.device.limit = m;
            router_forward(spec, x, gate, lim_c);
            const Traffic t = count_traffic(lim_c.topk_idx, 256, 4, lim_c.expert_device, 8, 16);
            EXPECT_LE(t.remote_devices_max, m);
            EXPECT_LT(t.dispatch_bytes, free_t.dispatch_bytes) << "M = " << m;
            EXPECT_EQ(std::accumulate(t.device_load.begin(), t.device_load.end(), int64_t(0)), 256 * 4);
        }
        EXPECT_GE(free_t.remote_devices_max, 3);
    }
}

}  // namespace
}  // namespace moe
