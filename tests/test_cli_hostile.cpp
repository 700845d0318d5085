// moelab-cli on hostile values: one short configuration-error line (exit 2), never a wrapped model accepted (exit 0),
// an "unexpected error" (exit 1) or a crash (128+).
#include "tests/cli_runner.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
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

// A config file with this text, in the temporary folder; removed by the caller.
std::filesystem::path config_file(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("moelab-cli-hostile-" + std::to_string(::getpid()) + "-" + name + ".json");
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

TEST(CliHostile, ADeeplyNestedConfigIsAShortConfigErrorNotACrash) {
    // 50,000 levels (100 KB): the error message's dump() of the value overflowed the stack (SIGSEGV, exit 139).
    const auto deep = config_file("deep", "{\"hidden_size\": " + std::string(50000, '[') + std::string(50000, ']') + "}");
    expect_config_error("train --config " + deep.string() + " --steps 1 --quiet", "nested more than");
    std::filesystem::remove(deep);
    // A number beyond double's range escaped as a bare JSON out_of_range: "unexpected error", exit 1.
    const auto huge = config_file("huge", "{\"adam_eps\": 1e408}");
    expect_config_error("params --config " + huge.string(), huge.string());
    std::filesystem::remove(huge);
}

TEST(CliHostile, InspectChecksTheTextBeforeLoadingTheCheckpoint) {
    // Invalid UTF-8 failed only at the dump's save, after a whole forward pass, with a message not naming --text.
    // Checked up front, the checkpoint (here one that does not exist) is never opened.
    expect_config_error("inspect --checkpoint /nonexistent/model.safetensors --text \"$(printf 'caf\\351')\" "
                        "--out /dev/null",
                        "--text is not valid UTF-8");
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
