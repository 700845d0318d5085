// A run folder whose CSV holds a number no int can take (a step of 11111111110): a message naming the file and
// line, never an undefined cast. The folder is the fuzzers' crash reproducer, cut into its files.
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"
#include "ui/session/run_folder.h"

#include <gtest/gtest.h>

#include <QTemporaryDir>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace moe::ui {
namespace {

// Writes a fuzz input (a run folder's files cut at "--8<--" lines, tests/fuzz/fuzz_run_folder.cpp) into `root`.
void write_folder(const std::string& input, const std::filesystem::path& root) {
    std::ifstream in(std::string(MOELAB_SOURCE_DIR) + "/tests/fuzz/" + input);
    ASSERT_TRUE(in) << input << " missing";
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const auto parts = fuzz::split_parts(text, fuzz::kRunFolderFiles.size());
    for (size_t i = 0; i < parts.size(); ++i) {
        std::string_view part = parts[i];
        // The corpus cuts long CSVs mid-row; keep whole lines so the folder is valid.
        if (i > 0 && part.find('\n') != std::string_view::npos) part = part.substr(0, part.rfind('\n') + 1);
        if (!part.empty()) fuzz::write_bytes(root / fuzz::kRunFolderFiles[i], part);
    }
}

TEST(HostileRunFolder, ATornLastRowIsDropped) {
    QTemporaryDir dir;
    const std::filesystem::path root = dir.path().toStdString();
    write_folder("corpus/fuzz_run_folder/run1.txt", root);
    const RunData whole = load_run_folder(dir.path());
    ASSERT_FALSE(whole.snapshot.loss.x.empty());
    // A crash in the middle of appending a row: the row has no newline, and half its cells.
    std::ofstream(root / "metrics.csv", std::ios::app | std::ios::binary) << "99,1.";
    const RunData torn = load_run_folder(dir.path());
    EXPECT_EQ(torn.snapshot.loss.x, whole.snapshot.loss.x);
}

TEST(HostileRunFolder, AStepBeyondIntRangeIsAClearError) {
    QTemporaryDir dir;
    const std::filesystem::path root = dir.path().toStdString();
    write_folder("crashes/fuzz_run_folder/huge-step.txt", root);
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
