// moelab-cli end to end: a short training writes a complete run folder; inspect dumps the MoE layers; params
// accounts the ladder; every kind of bad input exits non-zero with one clear message and no crash.
#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"

#include "tests/cli_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace moe {
namespace {

namespace fs = std::filesystem;

using Result = moe::testing::CliResult;

Result cli(const std::string& args) { return moe::testing::run_cli(args); }

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("moelab-cli-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
                std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    static constexpr const char* kSmall =
        " --set hidden_size=32 --set num_attention_heads=2 --set ffn_base_width=32 --set seq_len=32"
        " --set batch_size=4 --set corpus_bytes_per_domain=6000 --set eval_interval=5 --set routing_interval=5 ";
    fs::path dir_;
};

std::vector<std::string> csv_header(const std::string& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
    return cols;
}

size_t line_count(const std::string& file) {
    std::ifstream in(file);
    size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

TEST_F(Cli, TrainWritesACompleteRunFolder) {
    const Result r = cli("train --preset deepseek --steps 10 --seed 3 --out " + path("run") + kSmall);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("step    10/10"), std::string::npos) << r.output;
    const auto config = nlohmann::json::parse(read_file(path("run/config.json")));
    EXPECT_EQ(config["preset"], "deepseek");
    EXPECT_EQ(config["n_routed_experts"], 63);
    EXPECT_EQ(config["hidden_size"], 32);
    EXPECT_EQ(config["seed"], 3);
    const auto cols = csv_header(path("run/metrics.csv"));
    for (const char* c : {"step", "loss", "aux_loss", "val_loss", "lr", "grad_norm", "tokens_per_s",
                          "layer0_imbalance", "layer1_load_cv", "layer1_dead_experts", "layer0_entropy"})
        EXPECT_NE(std::find(cols.begin(), cols.end(), c), cols.end()) << c;
    EXPECT_EQ(line_count(path("run/metrics.csv")), 11u);
    const auto rcols = csv_header(path("run/routing.csv"));
    for (const char* c : {"step", "layer", "expert", "load", "mean_prob", "load_prose", "load_dna"})
        EXPECT_NE(std::find(rcols.begin(), rcols.end(), c), rcols.end()) << c;
    // Steps 1, 5 and 10, two MoE layers, 63 experts each.
    EXPECT_EQ(line_count(path("run/routing.csv")), 1u + 3 * 2 * 63);
    EXPECT_NO_THROW(load_safetensors(path("run/model.safetensors")));
}

TEST_F(Cli, TrainOnAUserTextFile) {
    std::string text;
    for (int i = 0; i < 300; ++i) text += "the quick brown fox jumps over the lazy dog " + std::to_string(i) + "\n";
    write_file_atomic(path("my.txt"), text);
    const Result r = cli("train --preset gshard --steps 3 --data " + path("my.txt") + " --out " + path("run") + kSmall);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(csv_header(path("run/routing.csv")).back().find("my"), std::string::npos);
}

TEST_F(Cli, InspectDumpsEveryMoELayer) {
    ASSERT_EQ(cli("train --preset seed-default --steps 2 --quiet --out " + path("run") + kSmall).code, 0);
    const std::string text = "int main() { return 42; }";
    const Result r = cli("inspect --checkpoint " + path("run/model.safetensors") + " --text '" + text + "' --out " +
                         path("dump.safetensors"));
    ASSERT_EQ(r.code, 0) << r.output;
    const SafetensorsFile f = load_safetensors(path("dump.safetensors"));
    const int64_t T = static_cast<int64_t>(text.size());
    for (int l = 0; l < 2; ++l) {
        const std::string p = "layers." + std::to_string(l) + ".moe.";
        ASSERT_NE(f.find(p + "input"), nullptr);
        EXPECT_EQ(f.find(p + "input")->shape, (std::vector<int64_t>{T, 32}));
        EXPECT_EQ(f.find(p + "scores")->shape, (std::vector<int64_t>{T, 64}));
        EXPECT_EQ(f.find(p + "topk_idx")->shape, (std::vector<int64_t>{T, 6}));
        EXPECT_EQ(f.find(p + "topk_weight")->shape, (std::vector<int64_t>{T, 6}));
        EXPECT_EQ(f.find(p + "output")->shape, (std::vector<int64_t>{T, 32}));
        EXPECT_EQ(f.find(p + "aux_loss")->shape, (std::vector<int64_t>{}));
        // Scores are a softmax; the chosen experts are the top-6 of them, weights renormalised.
        const auto s = tensor_to_f32(*f.find(p + "scores"), "scores");
        const auto idx = tensor_to_i64(*f.find(p + "topk_idx"), "idx");
        const auto w = tensor_to_f32(*f.find(p + "topk_weight"), "w");
        for (int64_t t = 0; t < T; ++t) {
            double sum = 0, wsum = 0;
            for (int e = 0; e < 64; ++e) sum += s[t * 64 + e];
            EXPECT_NEAR(sum, 1.0, 1e-5);
            std::vector<float> row(s.begin() + t * 64, s.begin() + (t + 1) * 64);
            std::sort(row.begin(), row.end(), std::greater<>());
            for (int j = 0; j < 6; ++j) {
                EXPECT_EQ(s[t * 64 + idx[t * 6 + j]], row[j]);
                wsum += w[t * 6 + j];
            }
            EXPECT_NEAR(wsum, 1.0, 1e-5);
        }
        EXPECT_GT(tensor_to_f32(*f.find(p + "aux_loss"), "aux")[0], 0.0f);
    }
}

TEST_F(Cli, ParamsShowsEqualLadderBudgets) {
    const Result r = cli("params --all --json");
    ASSERT_EQ(r.code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    std::map<std::string, nlohmann::json> by;
    for (const auto& x : j) by[x["preset"]] = x;
    for (const char* p : {"shared", "fine2", "deepseek"}) {
        EXPECT_EQ(by[p]["experts_total"], by["gshard"]["experts_total"]) << p;
        EXPECT_EQ(by[p]["experts_activated"], by["gshard"]["experts_activated"]) << p;
    }
    const Result table = cli("params --preset deepseek");
    ASSERT_EQ(table.code, 0);
    for (const char* w : {"attention", "experts", "other", "activated"}) EXPECT_NE(table.output.find(w), std::string::npos);
}

TEST_F(Cli, HelpListsEveryConfigKey) {
    const Result r = cli("train --help");
    EXPECT_EQ(r.code, 0);
    for (const char* k : {"hidden_size", "n_routed_experts", "n_shared_experts", "num_experts_per_tok",
                          "moe_intermediate_size", "norm_topk_prob", "aux_loss_alpha", "seq_aux",
                          "first_k_dense_replace", "num_attention_heads", "learning_rate", "dataset"})
        EXPECT_NE(r.output.find(k), std::string::npos) << k;
}

// One line of error text, non-zero exit, no crash (a signal would give 128+).
void expect_clean_failure(const Result& r, const std::string& fragment) {
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_LT(r.code, 128) << r.output;
    EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_F(Cli, BadInputsFailWithOneClearMessage) {
    const std::string out = " --steps 2 --quiet --out " + path("bad");
    expect_clean_failure(cli("train --preset gshard --set n_routed_experts=4 --set num_experts_per_tok=6" + out),
                         "larger than n_routed_experts");
    expect_clean_failure(cli("train --preset deepseek --set n_shared_experts=9" + out), "too large");
    expect_clean_failure(cli("train --set hidden_size=-4" + out), "hidden_size");
    expect_clean_failure(cli("train --set hidden_size=30 --set num_attention_heads=4" + out), "divisible");
    expect_clean_failure(cli("train --preset bogus" + out), "unknown preset");
    expect_clean_failure(cli("train --set bogus_key=1" + out), "unknown config key");
    write_file_atomic(path("broken.json"), "{\"hidden_size\": 32,,}");
    expect_clean_failure(cli("train --config " + path("broken.json") + out), "not valid JSON");
    expect_clean_failure(cli("train --config " + path("nothere.json") + out), "nothere.json");
    expect_clean_failure(cli("train --data " + path("nothere.txt") + out), "nothere.txt");
    write_file_atomic(path("empty.txt"), "");
    expect_clean_failure(cli("train --data " + path("empty.txt") + out), "empty");
    write_file_atomic(path("junk.safetensors"), "this is not a checkpoint at all");
    expect_clean_failure(cli("inspect --checkpoint " + path("junk.safetensors") + " --text hi --out " + path("d")),
                         "junk.safetensors");
    ASSERT_EQ(cli("train --preset gshard --steps 1 --quiet --out " + path("ok") + kSmall).code, 0);
    const std::string good = read_file(path("ok/model.safetensors"));
    write_file_atomic(path("cut.safetensors"), good.substr(0, good.size() - 100));
    expect_clean_failure(cli("inspect --checkpoint " + path("cut.safetensors") + " --text hi --out " + path("d")),
                         "cut.safetensors");
    // Hostile files: 50,000 nested brackets once crashed the error message (exit 139); a number beyond double's
    // range was an "unexpected error" (exit 1); invalid UTF-8 in --text failed only at the save.
    write_file_atomic(path("deep.json"),
                      "{\"hidden_size\": " + std::string(50000, '[') + std::string(50000, ']') + "}");
    const Result deep = cli("train --config " + path("deep.json") + out);
    EXPECT_EQ(deep.code, 2) << deep.output.substr(0, 300);
    EXPECT_LT(deep.output.size(), 400u);
    expect_clean_failure(deep, "nested more than");
    write_file_atomic(path("huge.json"), "{\"adam_eps\": 1e408}");
    const Result huge = cli("train --config " + path("huge.json") + out);
    EXPECT_EQ(huge.code, 2) << huge.output;
    expect_clean_failure(huge, "huge.json");
    expect_clean_failure(cli("inspect --checkpoint " + path("ok/model.safetensors") + " --text \"$(printf 'caf\\351')\" --out " +
                             path("d")),
                         "--text is not valid UTF-8");
}

// A run folder is never a mix of two runs: a rerun into a used --out is refused unless --overwrite, which removes
// the earlier run's files first (here a failing rerun, which used to leave the old model.safetensors beside it), and
// a folder holding a file MoE Lab did not write is refused even with --overwrite.
TEST_F(Cli, ARerunIntoAUsedFolderIsRefusedUnlessOverwriteAndNeverMixed) {
    const std::string run = " --steps 2 --quiet --out " + path("run") + kSmall;
    ASSERT_EQ(cli("train --preset gshard --set devices=2" + run).code, 0);
    const std::string old_model = read_file(path("run/model.safetensors"));
    ASSERT_TRUE(fs::exists(path("run/traffic.csv")));

    const Result refused = cli("train --preset gshard" + run);
    expect_clean_failure(refused, "--overwrite");
    EXPECT_EQ(read_file(path("run/model.safetensors")), old_model);

    const Result nan = cli("train --preset gshard --overwrite --set learning_rate=1e30 --set warmup_steps=0 "
                           "--set grad_clip=0" + run);
    EXPECT_EQ(nan.code, 3) << nan.output;
    EXPECT_FALSE(fs::exists(path("run/model.safetensors"))) << "the earlier run's model is beside the failed rerun";
    EXPECT_FALSE(fs::exists(path("run/traffic.csv"))) << "the earlier run's traffic.csv is beside the rerun";

    ASSERT_EQ(cli("train --preset gshard --overwrite" + run).code, 0);
    EXPECT_TRUE(fs::exists(path("run/model.safetensors")));
    write_file_atomic(path("run/notes.txt"), "mine");
    expect_clean_failure(cli("train --preset gshard --overwrite" + run), "notes.txt");
    EXPECT_EQ(read_file(path("run/notes.txt")), "mine");
    EXPECT_TRUE(fs::exists(path("run/model.safetensors")));
}

TEST_F(Cli, NaNLossStopsAndKeepsWhatWasWritten) {
    const Result r = cli("train --preset gshard --steps 30 --quiet --set learning_rate=1e30 --set warmup_steps=0 "
                         "--set grad_clip=0 --out " + path("nan") + kSmall);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("at step"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("lower learning_rate"), std::string::npos) << r.output;
    // The rows before the failing step are there and complete.
    EXPECT_GE(line_count(path("nan/metrics.csv")), 2u);
    EXPECT_NO_THROW(nlohmann::json::parse(read_file(path("nan/config.json"))));
}

}  // namespace
}  // namespace moe
