// Hostile or corrupt input that once crashed or misled a reader: each case must end in a short, clear moe::Error.
#include "core/checkpoint.h"
#include "core/config.h"
#include "core/error.h"
#include "core/io/json_text.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace moe {
namespace {

std::string nested(int depth) { return "{\"hidden_size\": " + std::string(depth, '[') + std::string(depth, ']') + "}"; }

std::string config_error(const std::string& json_text) {
    try {
        resolve_config("deepseek", json_text, {});
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(HostileJson, DeepNestingIsRefusedBeforeParsingWithAShortMessage) {
    // 50,000 levels once overflowed the stack in the error message's dump().
    const std::string message = config_error(nested(50000));
    EXPECT_NE(message.find("nested more than"), std::string::npos) << message;
    EXPECT_LT(message.size(), 300u);
    // Within the limit, the wrong type is still named, without dumping the value.
    const std::string shallow = config_error(nested(kMaxJsonDepth - 2));
    EXPECT_NE(shallow.find("hidden_size"), std::string::npos) << shallow;
    EXPECT_LT(shallow.size(), 300u);
}

TEST(HostileJson, EveryJsonExceptionNamesTheSource) {
    try {
        parse_json("{\"adam_eps\": 1e408}", "lesson.json");
        FAIL() << "a number beyond double's range was accepted";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("lesson.json"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
    }
    EXPECT_NE(config_error("{\"adam_eps\": 1e408}").find("out of range"), std::string::npos);
    // Strings may hold brackets: they do not count as nesting.
    EXPECT_NO_THROW(parse_json("{\"a\": \"" + std::string(200, '[') + "\\\"\"}", "x"));
}

TEST(HostileConfig, LadderProductsThatOverflowAreRefused) {
    // segmentation 3 x ladder_experts 1431655770 wrapped to 13 experts in a Release build.
    const std::string message = config_error(
        "{\"segmentation\": 3, \"ladder_experts\": 1431655770, \"ladder_top_k\": 2, \"ffn_base_width\": 24}");
    EXPECT_NE(message.find("ladder_experts"), std::string::npos) << message;
}

TEST(HostileConfig, SizesAboveTheLimitsAreRefusedNamingTheKey) {
    EXPECT_NE(config_error("{\"hidden_size\": 65536}").find("hidden_size = 65536"), std::string::npos);
    EXPECT_NE(config_error("{\"segmentation\": 0, \"n_routed_experts\": 2000000}").find("n_routed_experts"),
              std::string::npos);
    // Each size within its bound, the product above the parameter limit.
    const std::string total = config_error("{\"hidden_size\": 8192, \"num_hidden_layers\": 64}");
    EXPECT_NE(total.find("parameters"), std::string::npos) << total;
}

TEST(HostileCheckpoint, AHeaderClaimingAFarLargerModelIsRefusedBeforeAllocating) {
    // A real (tiny) checkpoint whose metadata claims a model well within the size limits but far larger than its
    // tensors: refused from the header alone.
    const std::filesystem::path crash = std::filesystem::path(MOELAB_SOURCE_DIR) / "tests/fuzz/crashes/fuzz_checkpoint";
    try {
        load_checkpoint(crash / "huge-claim.safetensors");
        FAIL() << "a checkpoint claiming a 65536-wide model loaded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("hidden_size"), std::string::npos) << e.what();
    }
    try {
        load_checkpoint(crash / "large-claim.safetensors");
        FAIL() << "a checkpoint claiming far more parameters than it holds loaded";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("describes a model of"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace moe
