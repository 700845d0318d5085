// moelab-cli with simulated expert parallelism: --set devices=4 --set device_limit=2 writes the traffic columns in
// metrics.csv and traffic.csv; device-limited training sends fewer bytes than unlimited training on the same seed;
// impossible device settings fail with one clear message.
#include "core/io/atomic_file.h"

#include "tests/cli_runner.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace moe {
namespace {

namespace fs = std::filesystem;

using Result = moe::testing::CliResult;

Result cli(const std::string& args) { return moe::testing::run_cli(args); }

// A CSV file as a header and rows of cells.
struct Csv {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    int col(const std::string& name) const {
        const auto it = std::find(header.begin(), header.end(), name);
        return it == header.end() ? -1 : int(it - header.begin());
    }
    double num(size_t row, const std::string& name) const { return std::atof(rows.at(row).at(col(name)).c_str()); }
};

Csv read_csv(const std::string& file) {
    Csv csv;
    std::ifstream in(file);
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::stringstream ss(line);
        for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
        if (!line.empty() && line.back() == ',') cells.push_back("");
        if (first)
            csv.header = cells, first = false;
        else
            csv.rows.push_back(cells);
    }
    return csv;
}

class CliDevices : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("moelab-cli-devices-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                "-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    // seed-default: 64 routed experts, top-6, 2 MoE layers; hidden 32 (128 bytes a token-copy).
    static constexpr const char* kSmall =
        " --preset seed-default --set hidden_size=32 --set num_attention_heads=2 --set ffn_base_width=32"
        " --set seq_len=32 --set batch_size=4 --set corpus_bytes_per_domain=6000 --set eval_interval=5"
        " --set routing_interval=5 --quiet ";
    fs::path dir_;
};

double mean_dispatch_bytes(const Csv& m) {
    double sum = 0;
    for (size_t r = 0; r < m.rows.size(); ++r)
        for (int l = 0; l < 2; ++l) sum += m.num(r, "layer" + std::to_string(l) + "_dispatch_bytes");
    return sum / double(m.rows.size());
}

TEST_F(CliDevices, DeviceLimitedRunWritesTrafficAndSendsLessThanUnlimited) {
    const Result r =
        cli("train --steps 8 --seed 5 --set devices=4 --set device_limit=2 --out " + path("limited") + kSmall);
    ASSERT_EQ(r.code, 0) << r.output;
    const Csv m = read_csv(path("limited/metrics.csv"));
    ASSERT_EQ(m.rows.size(), 8u);
    for (int l = 0; l < 2; ++l)
        for (const char* c : {"dispatch_bytes", "combine_bytes", "remote_devices_mean", "remote_devices_max",
                              "device_imbalance", "dev_aux_loss", "comm_aux_loss"})
            ASSERT_NE(m.col("layer" + std::to_string(l) + "_" + c), -1) << c;
    for (size_t row = 0; row < m.rows.size(); ++row)
        for (int l = 0; l < 2; ++l) {
            const std::string p = "layer" + std::to_string(l) + "_";
            EXPECT_GT(m.num(row, p + "dispatch_bytes"), 0);
            EXPECT_EQ(m.num(row, p + "combine_bytes"), m.num(row, p + "dispatch_bytes"));
            EXPECT_LE(m.num(row, p + "remote_devices_max"), 2);
            EXPECT_GE(m.num(row, p + "device_imbalance"), 1.0);
        }

    // traffic.csv: every src -> dst pair of the 4 x 4 matrix, per MoE layer, at the routing samples (1, 5, 8).
    const Csv t = read_csv(path("limited/traffic.csv"));
    EXPECT_EQ(t.header, (std::vector<std::string>{"step", "layer", "src", "dst", "tokens", "bytes"}));
    ASSERT_EQ(t.rows.size(), 3u * 2 * 16);
    std::map<std::pair<int, int>, double> bytes;  // (step, layer) -> sum of bytes
    for (size_t row = 0; row < t.rows.size(); ++row) {
        EXPECT_EQ(t.num(row, "bytes"), t.num(row, "tokens") * 32 * 4);
        if (t.num(row, "src") == t.num(row, "dst")) {
            EXPECT_EQ(t.num(row, "tokens"), 0);
        }
        bytes[{int(t.num(row, "step")), int(t.num(row, "layer"))}] += t.num(row, "bytes");
    }
    ASSERT_EQ(bytes.size(), 6u);
    for (const auto& [key, sum] : bytes) {
        const size_t row = size_t(key.first - 1);  // metrics.csv row of that step
        EXPECT_EQ(sum, m.num(row, "layer" + std::to_string(key.second) + "_dispatch_bytes"))
            << "step " << key.first << " layer " << key.second;
    }

    // The same run without the limit sends more.
    ASSERT_EQ(cli("train --steps 8 --seed 5 --set devices=4 --out " + path("free") + kSmall).code, 0);
    const Csv f = read_csv(path("free/metrics.csv"));
    ASSERT_EQ(f.rows.size(), 8u);
    EXPECT_LT(mean_dispatch_bytes(m), mean_dispatch_bytes(f));
    double free_max = 0;
    for (size_t row = 0; row < f.rows.size(); ++row)
        free_max = std::max(free_max, f.num(row, "layer0_remote_devices_max"));
    EXPECT_GT(free_max, 2);
}

TEST_F(CliDevices, OneDeviceWritesNoTrafficFiles) {
    ASSERT_EQ(cli("train --steps 2 --out " + path("one") + kSmall).code, 0);
    EXPECT_FALSE(fs::exists(path("one/traffic.csv")));
    EXPECT_EQ(read_csv(path("one/metrics.csv")).col("layer0_dispatch_bytes"), -1);
}

void expect_clean_failure(const Result& r, const std::string& fragment) {
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_LT(r.code, 128) << r.output;
    EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_F(CliDevices, BadDeviceSettingsFailWithOneClearMessage) {
    const std::string out = " --steps 2 --quiet --out " + path("bad");
    expect_clean_failure(cli("train --preset seed-default --set devices=4 --set device_limit=5" + out),
                         "device_limit = 5 is larger than devices = 4");
    expect_clean_failure(cli("train --preset seed-default --set devices=4 --set device_limit=-1" + out),
                         "device_limit = -1");
    expect_clean_failure(cli("train --preset deepseek --set devices=8" + out), "placement=round_robin");
    expect_clean_failure(cli("train --preset seed-default --set devices=4 --set placement=diagonal" + out),
                         "round_robin");
}

}  // namespace
}  // namespace moe
