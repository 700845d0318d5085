// moelab-cli on hostile values: one short configuration-error line (exit 2), never a wrapped model accepted (exit 0),
// an "unexpected error" (exit 1) or a crash (128+).
#include "tests/cli_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace moe {
namespace {

using moe::testing::run_cli;

void expect_config_error(const std::string& args, const std::string& fragment) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output.substr(0, 400);
    EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output.substr(0, 400);
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output.substr(0, 400);
    EXPECT_LT(r.output.size(), 300u) << r.output.substr(0, 400);
}

TEST(CliHostile, LadderOverflowIsAConfigErrorNamingTheKeys) {
    // segmentation x ladder_experts wrapped: a 13-expert model, exit 0.
    expect_config_error("params --preset deepseek --set segmentation=3 --set ladder_experts=1431655770 "
                        "--set ladder_top_k=2 --set ffn_base_width=24",
                        "segmentation = 3 times ladder_experts = 1431655770");
}

TEST(CliHostile, SizesAboveTheLimitsAreConfigErrors) {
    expect_config_error("params --set hidden_size=65536 --set num_hidden_layers=64", "hidden_size = 65536");
    expect_config_error("params --preset switch --set ffn_base_width=1200000000", "ffn_base_width = 1200000000");
}

TEST(CliHostile, AValueThatIsNotUtf8IsAConfigError) {
    // The message's dump() of the value threw JSON type_error 316: "unexpected error", exit 1.
    expect_config_error("params --set hidden_size=\"$(printf 'caf\\351')\"", "config key \"hidden_size\"");
}

TEST(CliHostile, ACheckpointClaimingAHugeModelIsRefusedFromItsHeader) {
    // A 23 KB file claiming hidden_size 65536 x 64 layers: inspect reached 16.8 GB before being killed.
    const std::string file = std::string(MOELAB_SOURCE_DIR) + "/tests/fuzz/crashes/fuzz_checkpoint/huge-claim.safetensors";
    expect_config_error("inspect --checkpoint " + file + " --text hi --out /dev/null", "hidden_size");
}

}  // namespace
}  // namespace moe
