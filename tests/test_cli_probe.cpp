// moelab-cli probe: runs the probes on trained checkpoints, writes probes.csv and probes.json with every point of
// every model and prints the tables; a missing checkpoint fails with a message naming it and writes nothing.
#include "tests/cli_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace moe {
namespace {

using testing::run_cli;
namespace fs = std::filesystem;

const std::string kSmall =
    " --steps 6 --quiet --set hidden_size=32 --set num_attention_heads=2 --set ffn_base_width=32 --set seq_len=32"
    " --set batch_size=4 --set corpus_bytes_per_domain=6000 --set eval_interval=6 --set eval_sequences=4 --set threads=2";

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("moelab-cli-probe-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    return dir;
}

std::vector<std::string> lines_of(const fs::path& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

TEST(CliProbe, WritesEveryPointOfEveryModel) {
    const fs::path dir = fresh_dir("two");
    ASSERT_EQ(run_cli("train --preset deepseek --out " + (dir / "d").string() + kSmall).code, 0);
    const auto g = run_cli("train --preset gshard --out " + (dir / "g").string() + kSmall);
    ASSERT_EQ(g.code, 0) << g.output;

    const auto r = run_cli("probe --checkpoint " + (dir / "d/model.safetensors").string() + " --checkpoint " +
                           (dir / "g/model.safetensors").string() + " --out " + (dir / "probes").string() +
                           " --r-max 3 --quiet");
    ASSERT_EQ(r.code, 0) << r.output;

    const std::vector<std::string> csv = lines_of(dir / "probes/probes.csv");
    ASSERT_FALSE(csv.empty());
    EXPECT_EQ(csv[0].rfind("model,probe,x,ratio,loss,loss_", 0), 0u) << csv[0];
    EXPECT_NE(csv[0].find(",available,reason"), std::string::npos);
    // deepseek: baseline, r = 0..3, shared off, k' = 1..7; gshard: baseline, r = 0..3, shared off, k' = 1..2.
    EXPECT_EQ(csv.size(), 1u + (1 + 4 + 1 + 7) + (1 + 4 + 1 + 2));
    size_t gshard_shared = 0;
    for (const auto& line : csv)
        if (line.rfind("gshard,shared_off,", 0) == 0) {
            ++gshard_shared;
            EXPECT_NE(line.find(",false,model has no shared expert (n_shared_experts = 0): nothing to switch off"),
                      std::string::npos)
                << line;
        }
    EXPECT_EQ(gshard_shared, 1u);

    std::ifstream jf(dir / "probes/probes.json");
    const nlohmann::json j = nlohmann::json::parse(jf);
    ASSERT_EQ(j["models"].size(), 2u);
    const auto& d = j["models"][0];
    EXPECT_EQ(d["name"], "deepseek");
    EXPECT_EQ(d["n_routed"], 63);
    EXPECT_EQ(d["top_k"], 7);
    EXPECT_EQ(d["n_shared"], 1);
    EXPECT_EQ(d["mask_top_r"].size(), 4u);
    EXPECT_EQ(d["active_k"].size(), 7u);
    EXPECT_TRUE(d["shared_off"]["available"].get<bool>());
    EXPECT_EQ(d["mask_top_r"][0]["loss"], d["baseline"]["loss"]) << "r = 0 is the ordinary model";
    EXPECT_NE(d["mask_top_r"][3]["loss"], d["baseline"]["loss"]);
    EXPECT_EQ(j["models"][1]["name"], "gshard");
    EXPECT_FALSE(j["models"][1]["shared_off"]["available"].get<bool>());

    for (const char* w : {"Mask top-r", "r=3", "r/N_r", "Shared experts off", "jump", "k'=7", "deepseek", "gshard"})
        EXPECT_NE(r.output.find(w), std::string::npos) << w << "\n" << r.output;
    fs::remove_all(dir);
}

TEST(CliProbe, AMissingCheckpointFailsClearlyAndWritesNothing) {
    const fs::path dir = fresh_dir("missing");
    const std::string missing = (dir / "nowhere/model.safetensors").string();
    const auto r = run_cli("probe --checkpoint " + missing + " --out " + (dir / "probes").string());
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.output.find(missing), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("unexpected"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "probes/probes.csv"));

    const auto no_out = run_cli("probe --checkpoint " + missing);
    EXPECT_NE(no_out.code, 0);
    EXPECT_NE(no_out.output.find("--out"), std::string::npos) << no_out.output;
    fs::remove_all(dir);
}

}  // namespace
}  // namespace moe
