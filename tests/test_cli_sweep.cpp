// moelab-cli sweep: the grid is presets x --vary values x seeds, every run is the same as a single `train` of that
// config and seed, the summary's mean and standard deviation are those of the runs, bad grids fail before training.
#include "tests/cli_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace moe {
namespace {

using testing::run_cli;
namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("moelab-cli-sweep-" + name);
    fs::remove_all(dir);
    return dir;
}

nlohmann::json read_json(const fs::path& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

const std::string kSmall = " --steps 30 --set batch_size=4 --set seq_len=32 --set eval_interval=10 --set threads=1";

TEST(CliSweep, GridOfPresetsValuesAndSeedsWithItsSummary) {
    const fs::path dir = fresh_dir("grid");
    const auto r = run_cli("sweep --preset deepseek --preset gshard --vary aux_loss_alpha=0,0.01 --seeds 1,2 --quiet" +
                           kSmall + " --out " + dir.string());
    ASSERT_EQ(r.code, 0) << r.output;
    const nlohmann::json j = read_json(dir / "summary.json");
    ASSERT_EQ(j["runs"].size(), 8u);  // 2 presets x 2 values x 2 seeds
    ASSERT_EQ(j["configs"].size(), 4u);
    for (const auto& run : j["runs"]) {
        EXPECT_EQ(run["status"], "ok");
        EXPECT_TRUE(fs::exists(fs::path(run["dir"].get<std::string>()) / "model.safetensors"));
        EXPECT_TRUE(run["final_val_loss"].is_number());
    }
    // Each configuration's mean and sample standard deviation are those of its two runs.
    for (const auto& config : j["configs"]) {
        std::vector<double> val;
        for (const auto& run : j["runs"])
            if (run["label"] == config["label"]) val.push_back(run["final_val_loss"].get<double>());
        ASSERT_EQ(val.size(), 2u) << config["label"];
        EXPECT_EQ(config["runs"], 2);
        EXPECT_NEAR(config["val_loss_mean"].get<double>(), (val[0] + val[1]) / 2, 1e-12);
        EXPECT_NEAR(config["val_loss_sd"].get<double>(), std::abs(val[0] - val[1]) / std::sqrt(2.0), 1e-12);
        EXPECT_NE(val[0], val[1]) << "two seeds gave the same result: the seed did not reach the run";
    }
    // The alpha axis reached the model: no balance loss at alpha 0, some at 0.01.
    for (const auto& config : j["configs"]) {
        const bool off = config["label"].get<std::string>().find("aux_loss_alpha=0.01") == std::string::npos;
        if (off)
            EXPECT_EQ(config["aux_loss_mean"].get<double>(), 0.0) << config["label"];
        else
            EXPECT_GT(config["aux_loss_mean"].get<double>(), 0.0) << config["label"];
    }
    // runs.csv and summary.csv hold the same rows (a header plus one line each).
    auto lines = [](const fs::path& p) {
        std::ifstream in(p);
        int n = 0;
        for (std::string line; std::getline(in, line);) ++n;
        return n;
    };
    EXPECT_EQ(lines(dir / "runs.csv"), 9);
    EXPECT_EQ(lines(dir / "summary.csv"), 5);
    EXPECT_NE(r.output.find("gshard aux_loss_alpha=0.01"), std::string::npos) << r.output;
}

TEST(CliSweep, ARunOfTheSweepIsTheSingleTrainRun) {
    const fs::path dir = fresh_dir("same"), single = fresh_dir("single");
    ASSERT_EQ(run_cli("sweep --preset fine2 --seeds 2 --quiet" + kSmall + " --out " + dir.string()).code, 0);
    const auto t = run_cli("train --preset fine2 --seed 2" + kSmall + " --out " + single.string());
    ASSERT_EQ(t.code, 0) << t.output;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(t.output, m, std::regex("final validation loss ([0-9.]+) nats"))) << t.output;
    const double expected = std::stod(m[1]);
    const nlohmann::json j = read_json(dir / "summary.json");
    ASSERT_EQ(j["runs"].size(), 1u);
    EXPECT_NEAR(j["runs"][0]["final_val_loss"].get<double>(), expected, 1e-4);
}

TEST(CliSweep, ABadGridStopsBeforeAnyTraining) {
    const fs::path dir = fresh_dir("bad");
    const auto typo = run_cli("sweep --vary aux_loss_alfa=0,0.01" + kSmall + " --out " + dir.string());
    EXPECT_EQ(typo.code, 2);
    EXPECT_NE(typo.output.find("did you mean \"aux_loss_alpha\""), std::string::npos) << typo.output;
    EXPECT_FALSE(fs::exists(dir)) << "nothing may be written for a grid that cannot run";
    const auto malformed = run_cli("sweep --vary aux_loss_alpha" + kSmall + " --out " + dir.string());
    EXPECT_EQ(malformed.code, 2);
    EXPECT_NE(malformed.output.find("key=value1,value2"), std::string::npos) << malformed.output;
    // An impossible value of one grid point (top-k above the routed experts) names that point.
    const auto impossible = run_cli("sweep --preset gshard --vary num_experts_per_tok=2,99" + kSmall + " --out " +
                                    dir.string());
    EXPECT_EQ(impossible.code, 2);
    EXPECT_NE(impossible.output.find("num_experts_per_tok=99"), std::string::npos) << impossible.output;
}

}  // namespace
}  // namespace moe
