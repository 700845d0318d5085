// Device-limited routing from the configuration: the keys, their validation (each error a ConfigError naming the
// values and what to do), their round trip through the config JSON, and a trainer whose MoE layers route under the
// device limit and report the traffic every step.
#include "core/config.h"
#include "core/error.h"
#include "core/moe/traffic.h"
#include "core/train/trainer.h"

#include "tests/config_error_expect.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>

namespace moe {
namespace {

using moe::testing::expect_config_error;

std::vector<std::string> tiny(std::vector<std::string> extra = {}) {
    std::vector<std::string> s = {"hidden_size=32", "num_attention_heads=2", "ffn_base_width=32", "seq_len=32",
                                  "batch_size=4", "steps=10", "eval_interval=10", "eval_sequences=2",
                                  "corpus_bytes_per_domain=6000", "routing_interval=5"};
    s.insert(s.end(), extra.begin(), extra.end());
    return s;
}

TEST(DeviceConfig, KeysDefaultToNoExpertParallelism) {
    const Config c = resolve_config("deepseek", "", {});
    EXPECT_EQ(c.model.devices, 1);
    EXPECT_EQ(c.model.device_limit, 0);
    EXPECT_EQ(c.model.placement, "contiguous");
    EXPECT_EQ(c.model.device_routing, "device");
    EXPECT_EQ(c.model.device_aux_alpha, 0.0);
    EXPECT_EQ(c.model.comm_aux_alpha, 0.0);
    for (const char* k : {"devices", "device_limit", "placement", "device_routing", "device_aux_alpha",
                          "comm_aux_alpha"}) {
        const auto& keys = config_keys();
        const auto it = std::find_if(keys.begin(), keys.end(), [&](const ConfigKey& key) { return key.name == k; });
        ASSERT_NE(it, keys.end()) << k;
        EXPECT_FALSE(it->help.empty()) << k;
    }
}

TEST(DeviceConfig, SettingsApplyAndRoundTripThroughJson) {
    const Config c = resolve_config("deepseek", "",
                                    {"devices=8", "device_limit=2", "placement=round_robin", "device_routing=group",
                                     "device_aux_alpha=0.05", "comm_aux_alpha=0.02"});
    EXPECT_EQ(c.model.devices, 8);
    EXPECT_EQ(c.model.device_limit, 2);
    EXPECT_EQ(c.model.placement, "round_robin");
    EXPECT_EQ(c.model.device_routing, "group");
    const nlohmann::json j = config_to_json(c);
    EXPECT_EQ(j["devices"], 8);
    EXPECT_EQ(j["placement"], "round_robin");
    const Config back = config_from_json(j);
    EXPECT_EQ(config_to_json(back), j);
    const DeviceSpec d = device_spec_of(back.model);
    EXPECT_EQ(d.devices, 8);
    EXPECT_EQ(d.limit, 2);
    EXPECT_EQ(d.placement, Placement::RoundRobin);
    EXPECT_EQ(d.routing, DeviceRouting::Group);
    EXPECT_DOUBLE_EQ(d.dev_alpha, 0.05);
    EXPECT_DOUBLE_EQ(d.comm_alpha, 0.02);
    // A config stored before these keys existed reads back with no expert parallelism.
    nlohmann::json old = config_to_json(resolve_config("gshard", "", {}));
    for (const char* k : {"devices", "device_limit", "placement", "device_routing", "device_aux_alpha",
                          "comm_aux_alpha"})
        old.erase(k);
    EXPECT_EQ(config_from_json(old).model.devices, 1);
    // seed-default: 64 routed experts, contiguous on 8 devices.
    EXPECT_NO_THROW(resolve_config("seed-default", "", {"devices=8", "device_limit=3"}));
}

TEST(DeviceConfig, ErrorsNameTheValuesAndTheWayOut) {
    // M > D
    expect_config_error([] { resolve_config("seed-default", "", {"devices=4", "device_limit=5"}); },
                        {"device_limit = 5", "devices = 4"});
    // M < 1, given as a negative number
    expect_config_error([] { resolve_config("seed-default", "", {"devices=4", "device_limit=-2"}); },
                        {"device_limit = -2", "between 1 and devices = 4", "0 for no limit"});
    // N_r not divisible by D with contiguous placement (the deepseek preset's 63 experts on 8 devices)
    expect_config_error([] { resolve_config("deepseek", "", {"devices=8"}); },
                        {"n_routed_experts = 63", "not divisible by devices = 8", "contiguous", "round_robin"});
    // ... which round robin accepts
    EXPECT_NO_THROW(resolve_config("deepseek", "", {"devices=8", "placement=round_robin", "device_limit=2"}));
    // unknown placement / device routing: the valid names are listed
    expect_config_error([] { resolve_config("seed-default", "", {"placement=striped"}); },
                        {"placement = \"striped\"", "contiguous", "round_robin"});
    expect_config_error([] { resolve_config("seed-default", "", {"device_routing=node"}); },
                        {"device_routing = \"node\"", "device", "group"});
    // D out of range
    expect_config_error([] { resolve_config("seed-default", "", {"devices=0"}); }, {"devices = 0", "at least 1"});
    expect_config_error([] { resolve_config("gshard", "", {"devices=32"}); },
                        {"devices = 32", "n_routed_experts = 16"});
    // too few experts on M devices for the top-k: 4 experts per device, top-6, M = 1
    expect_config_error([] { resolve_config("seed-default", "", {"devices=16", "device_limit=1"}); },
                        {"num_experts_per_tok", "device_limit = 1", "raise device_limit"});
    expect_config_error([] { resolve_config("seed-default", "", {"device_aux_alpha=-0.1"}); },
                        {"device_aux_alpha"});
    expect_config_error([] { resolve_config("seed-default", "", {"comm_aux_alpha=-1"}); }, {"comm_aux_alpha"});
    expect_config_error([] { resolve_config("seed-default", "", {"devices=two"}); }, {"devices", "integer"});
}

TEST(DeviceConfig, TrainerRoutesUnderTheLimitAndReportsTrafficEveryStep) {
    Trainer t(resolve_config("seed-default", "",
                             tiny({"devices=4", "device_limit=2", "device_aux_alpha=0.01", "comm_aux_alpha=0.01"})));
    for (int s = 0; s < 3; ++s) {
        const StepMetrics m = t.train_step();
        ASSERT_EQ(m.balance.size(), 2u);
        for (const LayerBalance& b : m.balance) {
            EXPECT_EQ(b.devices, 4);
            EXPECT_GT(b.dispatch_bytes, 0);
            EXPECT_EQ(b.combine_bytes, b.dispatch_bytes);
            EXPECT_LE(b.remote_devices_max, 2);
            EXPECT_GT(b.remote_devices_mean, 0.0);
            EXPECT_GE(b.device_imbalance, 1.0);
            EXPECT_GT(b.dev_aux_loss, 0.0);
            EXPECT_GT(b.comm_aux_loss, 0.0);
            EXPECT_GT(b.aux_loss, b.dev_aux_loss + b.comm_aux_loss);  // the expert-level loss is in it too
        }
        if (s == 0) {
            ASSERT_EQ(m.routing.size(), 2u);
            const RoutingStats& r = m.routing[0];
            ASSERT_EQ(r.traffic.size(), 4u);
            int64_t copies = 0;
            for (int i = 0; i < 4; ++i) {
                ASSERT_EQ(r.traffic[i].size(), 4u);
                EXPECT_EQ(r.traffic[i][i], 0);  // nothing is sent to its own device
                copies += std::accumulate(r.traffic[i].begin(), r.traffic[i].end(), int64_t(0));
            }
            EXPECT_EQ(copies * bytes_per_token_copy(32), r.dispatch_bytes);
            EXPECT_EQ(std::accumulate(r.device_load.begin(), r.device_load.end(), int64_t(0)), r.tokens * 6);
        }
    }
    // Each MoE layer routed every token to experts on at most its 2 chosen devices.
    const auto probes = t.model().moe_probes();
    ASSERT_FALSE(probes.empty());
    const RouterCache<float>& rc = probes[0].cache->router;
    const int64_t n = rc.scores.rows();
    ASSERT_EQ(int64_t(rc.chosen_devices.size()), n * 2);
    for (int64_t tok = 0; tok < n; ++tok)
        for (int j = 0; j < 6; ++j) {
            const int dev = rc.expert_device[rc.topk_idx[tok * 6 + j]];
            EXPECT_TRUE(dev == rc.chosen_devices[tok * 2] || dev == rc.chosen_devices[tok * 2 + 1]);
        }
}

TEST(DeviceConfig, OneDeviceReportsNoTraffic) {
    Trainer t(resolve_config("gshard", "", tiny()));
    const StepMetrics m = t.train_step();
    for (const LayerBalance& b : m.balance) {
        EXPECT_EQ(b.devices, 1);
        EXPECT_EQ(b.dispatch_bytes, 0);
        EXPECT_EQ(b.remote_devices_max, 0);
        EXPECT_DOUBLE_EQ(b.device_imbalance, 1.0);
        EXPECT_EQ(b.dev_aux_loss, 0.0);
    }
}

}  // namespace
}  // namespace moe
