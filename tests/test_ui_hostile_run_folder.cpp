// A run folder whose CSV holds a number no int can take (a step of 11111111110): a message naming the file and
// line, never an undefined cast. The folder is the fuzzers' crash reproducer, cut into its files.
#include "core/error.h"
#include "ui/session/run_folder.h"

#include <gtest/gtest.h>

#include <QTemporaryDir>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace moe::ui {
namespace {

TEST(HostileRunFolder, AStepBeyondIntRangeIsAClearError) {
    std::ifstream in(std::string(MOELAB_SOURCE_DIR) + "/tests/fuzz/crashes/fuzz_run_folder/huge-step.txt");
    ASSERT_TRUE(in) << "reproducer missing";
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    QTemporaryDir dir;
    const std::filesystem::path root = dir.path().toStdString();
    const char* files[] = {"config.json", "metrics.csv", "routing.csv", "traffic.csv", "val_routing.csv",
                           "coactivation.csv"};
    const std::string sep = "\n--8<--\n";
    for (const char* f : files) {
        const size_t at = text.find(sep);
        const std::string part = text.substr(0, at);
        if (!part.empty()) std::ofstream(root / f, std::ios::binary) << part;
        if (at == std::string::npos) break;
        text = text.substr(at + sep.size());
    }
    try {
        load_run_folder(dir.path());
        FAIL() << "a step of 11111111110 was accepted";
    } catch (const FileError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("metrics.csv"), std::string::npos) << m;
        EXPECT_NE(m.find("step must be a whole number"), std::string::npos) << m;
    }
}

}  // namespace
}  // namespace moe::ui
