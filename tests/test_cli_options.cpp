// moelab-cli's numeric options are checked when parsed: a negative or zero --steps, a negative seed or --r-max, a
// word or an overflowing number each exit non-zero naming the option, before anything is trained or written
// (a negative --steps used to pass for "not given" and train the config's default). --overwrite is accepted by
// train and sweep.
#include "tests/cli_runner.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace moe {
namespace {

namespace fs = std::filesystem;
using moe::testing::CliResult;
using moe::testing::run_cli;

const std::string kSmall =
    " --quiet --set hidden_size=32 --set num_attention_heads=2 --set ffn_base_width=32 --set seq_len=32"
    " --set batch_size=4 --set corpus_bytes_per_domain=6000 --set eval_interval=5 --set eval_sequences=2"
    " --set threads=1";

class CliOptions : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("moelab-cli-options-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                "-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string out(const std::string& name) const { return (dir_ / name).string(); }

    // The command is refused at parsing: a non-zero exit (no crash), the option and the rule named, nothing written.
    void expect_refused(const std::string& args, const std::string& message) {
        const std::string folder = out("run");
        const CliResult r = run_cli(args + " --out " + folder + kSmall);
        EXPECT_NE(r.code, 0) << args << "\n" << r.output;
        EXPECT_LT(r.code, 128) << args << "\n" << r.output;
        EXPECT_NE(r.output.find(message), std::string::npos) << args << "\n" << r.output;
        EXPECT_FALSE(fs::exists(folder)) << args << ": something was written";
    }

    fs::path dir_;
};

size_t line_count(const std::string& file) {
    std::ifstream in(file);
    size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

TEST_F(CliOptions, StepsBelowOneAreRefusedNotReplacedByTheDefault) {
    for (const char* cmd : {"train", "sweep"}) {
        const std::string c = cmd;
        expect_refused(c + " --steps -5", "--steps: must be a whole number of at least 1, not -5");
        expect_refused(c + " --steps=-5", "--steps: must be a whole number of at least 1, not -5");
        expect_refused(c + " --steps 0", "--steps: must be a whole number of at least 1, not 0");
    }
}

TEST_F(CliOptions, NegativeSeedsAndRMaxAreRefused) {
    expect_refused("train --seed -1", "--seed: must be a whole number of at least 0, not -1");
    expect_refused("train --seed=-3", "--seed: must be a whole number of at least 0, not -3");
    expect_refused("sweep --seeds 1,-2", "--seeds: must be a whole number of at least 0, not -2");
    const CliResult r = run_cli("probe --checkpoint " + out("none.safetensors") + " --out " + out("p") + " --r-max -1");
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_LT(r.code, 128) << r.output;
    EXPECT_NE(r.output.find("--r-max: must be a whole number of at least 0, not -1"), std::string::npos) << r.output;
}

TEST_F(CliOptions, WordsAndOverflowingNumbersAreRefused) {
    expect_refused("train --steps ten", "--steps: must be a whole number from 1 to 2147483647, not ten");
    expect_refused("train --steps 99999999999", "--steps: must be a whole number from 1 to 2147483647");
    expect_refused("sweep --steps 2.5", "--steps: must be a whole number from 1 to 2147483647, not 2.5");
}

TEST_F(CliOptions, GivenStepsAndSeedZeroAreUsed) {
    const CliResult r = run_cli("train --preset gshard --steps 2 --seed 0 --out " + out("run") + kSmall);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(line_count(out("run/metrics.csv")), 3u);  // the header and 2 steps
}

// Only that the flags exist and parse; what replacing a folder does is tested with the run folders.
TEST_F(CliOptions, TrainAndSweepAcceptOverwrite) {
    const CliResult t = run_cli("train --preset gshard --steps 1 --overwrite --out " + out("run") + kSmall);
    EXPECT_EQ(t.code, 0) << t.output;
    const CliResult s =
        run_cli("sweep --preset gshard --seeds 1 --steps 1 --overwrite --out " + out("sweep") + kSmall);
    EXPECT_EQ(s.code, 0) << s.output;
    for (const char* cmd : {"train", "sweep"}) {
        const CliResult h = run_cli(std::string(cmd) + " --help");
        EXPECT_NE(h.output.find("--overwrite"), std::string::npos) << h.output;
        EXPECT_NE(h.output.find("replace an existing, non-empty --out folder"), std::string::npos) << h.output;
    }
}

}  // namespace
}  // namespace moe
