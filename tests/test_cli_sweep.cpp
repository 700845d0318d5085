// moelab-cli sweep: the grid is presets x --vary values x seeds, every run is the same as a single `train` of that
// config and seed, the summary's mean and standard deviation are those of the runs, the paired differences against
// the --baseline are those of the runs seed by seed (per domain too), bad grids and baselines fail before training.
#include "tests/cli_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
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

// summary.csv as rows of name -> cell.
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& path) {
    std::ifstream in(path);
    auto split = [](const std::string& line) {
        std::vector<std::string> cells;
        std::stringstream s(line);
        for (std::string c; std::getline(s, c, ',');) cells.push_back(c);
        if (!line.empty() && line.back() == ',') cells.push_back("");
        return cells;
    };
    std::string line;
    std::getline(in, line);
    const auto names = split(line);
    std::vector<std::map<std::string, std::string>> rows;
    while (std::getline(in, line)) {
        const auto cells = split(line);
        std::map<std::string, std::string> row;
        for (size_t i = 0; i < names.size(); ++i) row[names[i]] = i < cells.size() ? cells[i] : "<missing>";
        rows.push_back(row);
    }
    return rows;
}

TEST(CliSweep, PairedDifferencesAgainstTheBaselineAreThoseOfTheSeeds) {
    const fs::path dir = fresh_dir("paired");
    const std::string grid = "sweep --preset deepseek --preset gshard --seeds 1,2,3 --quiet" + kSmall +
                             " --set corpus_bytes_per_domain=6000 --out ";
    const auto r = run_cli(grid + dir.string() + " --baseline gshard");
    ASSERT_EQ(r.code, 0) << r.output;
    const nlohmann::json j = read_json(dir / "summary.json");
    EXPECT_EQ(j["baseline"], "gshard");
    ASSERT_EQ(j["configs"].size(), 2u);
    // The runs' own values, seed by seed: deepseek - gshard.
    std::map<uint64_t, double> a, b;
    std::map<uint64_t, nlohmann::json> a_domain, b_domain;
    for (const auto& run : j["runs"]) {
        const bool base = run["label"] == "gshard";
        (base ? a : b)[run["seed"].get<uint64_t>()] = run["final_val_loss"].get<double>();
        (base ? a_domain : b_domain)[run["seed"].get<uint64_t>()] = run["domain_val_loss"];
    }
    ASSERT_EQ(a.size(), 3u);
    ASSERT_EQ(b.size(), 3u);
    double sum = 0;
    int lower = 0;
    for (const auto& [seed, va] : a) {
        sum += b[seed] - va;
        lower += b[seed] < va;
    }
    const double mean = sum / 3;
    double ss = 0;
    for (const auto& [seed, va] : a) ss += (b[seed] - va - mean) * (b[seed] - va - mean);
    const double se = std::sqrt(ss / 2) / std::sqrt(3.0);
    const nlohmann::json& ds = j["configs"][0];
    const nlohmann::json& gs = j["configs"][1];
    ASSERT_EQ(ds["label"], "deepseek");
    EXPECT_TRUE(gs["baseline"].get<bool>());
    EXPECT_TRUE(gs["diff_mean"].is_null());
    EXPECT_NEAR(ds["diff_mean"].get<double>(), mean, 1e-12);
    EXPECT_NEAR(ds["diff_se"].get<double>(), se, 1e-12);
    EXPECT_NEAR(ds["diff_ci_low"].get<double>(), mean - 4.302653 * se, 1e-6);  // t_{0.975, 2} from a table
    EXPECT_NEAR(ds["diff_ci_high"].get<double>(), mean + 4.302653 * se, 1e-6);
    EXPECT_EQ(ds["wins"].get<int>(), lower);
    EXPECT_EQ(ds["losses"].get<int>(), 3 - lower);
    EXPECT_EQ(ds["n_pairs"].get<int>(), 3);
    EXPECT_NE(ss, 0.0) << "three identical differences: the seeds did not reach the runs";

    // Per data domain: the bundled corpus's domains, each paired the same way.
    ASSERT_TRUE(ds["domain_diff"].is_object());
    ASSERT_GE(ds["domain_diff"].size(), 2u);
    for (const auto& [domain, d] : ds["domain_diff"].items()) {
        double dsum = 0;
        for (const auto& [seed, va] : a_domain)
            dsum += b_domain[seed][domain].get<double>() - va[domain].get<double>();
        EXPECT_NEAR(d["diff_mean"].get<double>(), dsum / 3, 1e-12) << domain;
        EXPECT_EQ(d["n_pairs"], 3) << domain;
    }

    // summary.csv holds the same numbers (printed to 6 digits).
    const auto rows = read_csv(dir / "summary.csv");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_NEAR(std::stod(rows[0].at("diff_mean")), mean, 1e-6 + 1e-5 * std::abs(mean));
    EXPECT_EQ(rows[0].at("wins"), std::to_string(lower));
    EXPECT_EQ(rows[0].at("n_pairs"), "3");
    EXPECT_EQ(rows[1].at("diff_mean"), "");
    EXPECT_NEAR(std::stod(rows[1].at("ci_low")), gs["ci_low"].get<double>(), 1e-5);
    for (const auto& [domain, d] : ds["domain_diff"].items())
        EXPECT_NEAR(std::stod(rows[0].at("diff_" + domain)), d["diff_mean"].get<double>(), 1e-5) << domain;
    // And stdout says it in words.
    EXPECT_NE(r.output.find("against the baseline \"gshard\""), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("deepseek \u2212 gshard = "), std::string::npos) << r.output;
    const std::string side = lower >= 2 ? "deepseek lower in " + std::to_string(lower)  // the side lower more often
                                         : "gshard lower in " + std::to_string(3 - lower);
    EXPECT_NE(r.output.find("n = 3 seeds, " + side + " of 3"), std::string::npos) << r.output;

    // The baseline by index is the same comparison; by default the first configuration is the baseline.
    const fs::path by_index = fresh_dir("paired-index");
    ASSERT_EQ(run_cli(grid + by_index.string() + " --baseline 1").code, 0);
    const nlohmann::json k = read_json(by_index / "summary.json");
    EXPECT_EQ(k["baseline"], "gshard");
    EXPECT_NEAR(k["configs"][0]["diff_mean"].get<double>(), mean, 1e-12);
    const fs::path by_default = fresh_dir("paired-default");
    ASSERT_EQ(run_cli(grid + by_default.string()).code, 0);
    const nlohmann::json m = read_json(by_default / "summary.json");
    EXPECT_EQ(m["baseline"], "deepseek");
    EXPECT_NEAR(m["configs"][1]["diff_mean"].get<double>(), -mean, 1e-12);
}

// A sweep does not resume, so a folder holds one sweep: a second sweep into it is refused unless --overwrite,
// which replaces the earlier sweep whole (no run folder of the earlier grid is left); a file MoE Lab did not write
// is never deleted.
TEST(CliSweep, ASweepIntoAUsedFolderIsRefusedUnlessOverwrite) {
    const fs::path dir = fresh_dir("used");
    const std::string tiny = " --steps 2 --quiet --set batch_size=2 --set seq_len=16 --set threads=1 --out ";
    ASSERT_EQ(run_cli("sweep --preset gshard --seeds 1,2" + tiny + dir.string()).code, 0);
    ASSERT_TRUE(fs::exists(dir / "gshard_seed2"));

    const auto refused = run_cli("sweep --preset gshard --seeds 1" + tiny + dir.string());
    EXPECT_NE(refused.code, 0) << refused.output;
    EXPECT_LT(refused.code, 128) << refused.output;
    EXPECT_NE(refused.output.find("--overwrite"), std::string::npos) << refused.output;
    EXPECT_TRUE(fs::exists(dir / "gshard_seed2" / "model.safetensors"));

    const auto replaced = run_cli("sweep --preset gshard --seeds 1 --overwrite" + tiny + dir.string());
    ASSERT_EQ(replaced.code, 0) << replaced.output;
    EXPECT_FALSE(fs::exists(dir / "gshard_seed2")) << "a run of the earlier sweep was left in the new one";
    EXPECT_EQ(read_json(dir / "summary.json")["runs"].size(), 1u);

    std::ofstream(dir / "notes.txt") << "mine";
    const auto foreign = run_cli("sweep --preset gshard --seeds 1 --overwrite" + tiny + dir.string());
    EXPECT_NE(foreign.code, 0) << foreign.output;
    EXPECT_NE(foreign.output.find("notes.txt"), std::string::npos) << foreign.output;
    EXPECT_TRUE(fs::exists(dir / "notes.txt"));
    EXPECT_TRUE(fs::exists(dir / "gshard_seed1" / "model.safetensors"));
    fs::remove_all(dir);
}

TEST(CliSweep, AnUnknownBaselineStopsBeforeAnyTraining) {
    const fs::path dir = fresh_dir("bad-baseline");
    for (const std::string bad : {"dense", "2"}) {
        const auto r = run_cli("sweep --preset deepseek --preset gshard --seeds 1 --baseline " + bad + kSmall +
                               " --out " + dir.string());
        EXPECT_EQ(r.code, 2) << r.output;
        EXPECT_NE(r.output.find("baseline '" + bad + "'"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("0 \"deepseek\", 1 \"gshard\""), std::string::npos) << r.output;  // the choices
        EXPECT_FALSE(fs::exists(dir)) << "nothing may be written for a sweep that cannot run";
    }
}

}  // namespace
}  // namespace moe
