// Hostile or corrupt input that once crashed or misled a reader: each case must end in a short, clear moe::Error.
#include "core/checkpoint.h"
#include "core/config.h"
#include "core/error.h"
#include "core/io/json_text.h"
#include "core/io/safetensors.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

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

std::string setting_error(const std::string& preset, const std::vector<std::string>& settings) {
    try {
        resolve_config(preset, "", settings);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(HostileJson, DescriptionsAreShortAndNeverThrow) {
    using nlohmann::json;
    EXPECT_EQ(describe_json_value(json::array({1, 2, 3})), "a list of 3 entries");
    EXPECT_EQ(describe_json_value(json::object()), "an object of 0 keys");
    EXPECT_EQ(describe_json_value(json(8.5)), "the number 8.5");
    EXPECT_LT(describe_json_value(json(std::string(100000, 'x'))).size(), 60u);
    // A --set value is raw text and may not be UTF-8: strict dump() threw type_error 316 from inside a message.
    EXPECT_NO_THROW(describe_json_value(json(std::string("caf\xe9"))));
    EXPECT_NE(setting_error("deepseek", {"hidden_size=caf\xe9"}).find("hidden_size"), std::string::npos);
}

TEST(HostileConfig, IntegersOutOfRangeAreRefusedNotWrapped) {
    // 2^64 - 1 read as long long was -1: "hidden_size = -1 must be positive", for a number the user never wrote.
    const std::string wrapped = config_error("{\"hidden_size\": 18446744073709551615}");
    EXPECT_NE(wrapped.find("18446744073709551615 is out of range"), std::string::npos) << wrapped;
    // A negative whole double for the unsigned seed was cast unchecked (undefined).
    EXPECT_NE(config_error("{\"seed\": -5.0}").find("seed"), std::string::npos);
    // ... while the largest seed is valid and kept exactly (it was refused as out of range).
    EXPECT_EQ(resolve_config("deepseek", "{\"seed\": 18446744073709551615}", {}).train.seed,
              std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(resolve_config("deepseek", "{\"hidden_size\": 32.0}", {}).model.hidden_size, 32);
}

TEST(HostileConfig, LadderAndPresetArithmeticCannotWrap) {
    // m K - K_s with K_s = INT_MIN overflowed; the message blamed n_routed_experts, which the user never set.
    const std::string shared = setting_error("deepseek", {"n_shared_experts=-2147483648"});
    EXPECT_NE(shared.find("n_shared_experts = -2147483648 must not be negative"), std::string::npos) << shared;
    // 3 F / 2 of the gshard-x1.5 preset wrapped to 1 for this F: a 1-wide expert, silently.
    const std::string width = setting_error("gshard-x1.5", {"ffn_base_width=1431655766"});
    EXPECT_NE(width.find("ffn_base_width = 1431655766"), std::string::npos) << width;
    EXPECT_NE(setting_error("switch", {"ffn_base_width=1200000000"}).find("ffn_base_width"), std::string::npos);
    EXPECT_NE(setting_error("deepseek", {"steps=2000000000"}).find("steps = 2000000000 is above"), std::string::npos);
}

// A checkpoint file holding no tensors and this stored config text.
std::filesystem::path checkpoint_with_config(const std::string& name, const std::string& config_text) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("moelab-hostile-" + std::to_string(::getpid()) + "-" + name + ".safetensors");
    SafetensorsFile file;
    file.metadata["config"] = config_text;
    save_safetensors(path, file);
    return path;
}

std::string checkpoint_error(const std::string& name, const std::string& config_text) {
    const auto path = checkpoint_with_config(name, config_text);
    std::string message;
    try {
        load_checkpoint(path);
    } catch (const Error& e) {
        message = e.what();
    }
    std::filesystem::remove(path);
    return message;
}

TEST(HostileCheckpoint, ADeepStoredConfigIsAShortErrorNamingTheFile) {
    // Nested 50,000 deep inside the metadata string: the stored config once overflowed the stack.
    const std::string deep = checkpoint_error("deep", nested(50000));
    EXPECT_NE(deep.find("moelab-hostile-"), std::string::npos) << deep.substr(0, 300);
    EXPECT_NE(deep.find("nested more than"), std::string::npos) << deep.substr(0, 300);
    EXPECT_LT(deep.size(), 300u);
    EXPECT_NE(checkpoint_error("huge", "{\"adam_eps\": 1e408}").find("out of range"), std::string::npos);
}

TEST(HostileCheckpoint, TaskAndClassCountAreCheckedWithTheFileName) {
    nlohmann::json config = config_to_json(resolve_config("deepseek", "", {}));
    // j.value("n_classes", 256) threw a bare JSON type_error for a string, and cast 1e20 to int unchecked.
    for (const nlohmann::json& bad : {nlohmann::json("three"), nlohmann::json(1e20), nlohmann::json(-3)}) {
        config["n_classes"] = bad;
        const std::string message = checkpoint_error("classes", config.dump());
        EXPECT_NE(message.find("\"n_classes\" in its stored config"), std::string::npos) << message;
    }
    config.erase("n_classes");
    config["task"] = nlohmann::json::array();
    EXPECT_NE(checkpoint_error("task", config.dump()).find("\"task\""), std::string::npos);
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
