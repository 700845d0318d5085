// Whole numbers read from a run folder's CSV files are range-checked before any cast to an integer (a cast of NaN,
// an infinity or 11111111110 to int is undefined): a bad cell is a FileError naming the file, the line, the column
// and the problem.
#include <gtest/gtest.h>

#include <QTemporaryDir>

#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"
#include "ui/session/run_folder.h"

namespace moe::ui {
namespace {

namespace fs = std::filesystem;

// A small run folder of 3 steps (devices = 2, so it has a traffic.csv).
void write_run(const fs::path& dir) {
    const Config config = resolve_config(
        "gshard", "",
        {"hidden_size=16", "num_attention_heads=2", "ffn_base_width=16", "seq_len=16", "batch_size=2", "steps=3",
         "eval_interval=1000", "eval_sequences=2", "corpus_bytes_per_domain=6000", "routing_interval=1", "threads=1",
         "devices=2"});
    Trainer trainer(config);
    RunWriter writer(dir, config, trainer.dataset().domain_names());
    for (int s = 0; s < 3; ++s) writer.add(trainer.train_step());
    writer.flush();
}

// Replaces cell `col` of line `line` (1-based, the header is line 1) of a CSV file.
void set_cell(const fs::path& file, int line, int col, const std::string& value) {
    const std::string text = read_file(file);
    std::vector<std::string> lines;
    for (size_t pos = 0; pos < text.size();) {
        const size_t end = text.find('\n', pos);
        lines.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    std::string& l = lines.at(static_cast<size_t>(line - 1));
    size_t start = 0;
    for (int c = 0; c < col; ++c) start = l.find(',', start) + 1;
    const size_t end = l.find(',', start);
    l.replace(start, end == std::string::npos ? std::string::npos : end - start, value);
    std::string out;
    for (const auto& x : lines) out += x + "\n";
    write_file_atomic(file, out);
}

// Loads the folder and returns the FileError's message ("" when it loaded).
std::string load_error(const QTemporaryDir& dir) {
    try {
        load_run_folder(dir.path());
    } catch (const FileError& e) {
        return e.what();
    }
    return "";
}

void expect_mentions(const std::string& message, const std::vector<std::string>& parts) {
    ASSERT_FALSE(message.empty()) << "the folder loaded";
    for (const auto& p : parts) EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' in: " << message;
}

TEST(RunFolderNumbers, AStepBeyondIntNamesTheFileLineColumnAndValue) {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    write_run(root);
    ASSERT_EQ(load_error(dir), "");
    set_cell(root / "metrics.csv", 3, 0, "11111111110");
    expect_mentions(load_error(dir),
                    {"metrics.csv", "line 3", "column \"step\"", "from 0 to 2147483647", "not 11111111110"});
}

TEST(RunFolderNumbers, InfinitiesAndFractionsInIndexColumnsAreRefused) {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    write_run(root);
    set_cell(root / "traffic.csv", 2, 2, "inf");  // src
    expect_mentions(load_error(dir), {"traffic.csv", "line 2", "column \"src\"", "an infinity"});
    write_run(root);
    set_cell(root / "routing.csv", 2, 2, "1.5");  // expert
    expect_mentions(load_error(dir), {"routing.csv", "line 2", "column \"expert\"", "not 1.5"});
}

TEST(RunFolderNumbers, AHugeLayerIndexInTheHeaderIsAnError) {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    write_run(root);
    std::string text = read_file(root / "metrics.csv");
    const std::string from = "layer0_imbalance";
    ASSERT_NE(text.find(from), std::string::npos);
    text.replace(text.find(from), from.size(), "layer99999999999_imbalance");
    write_file_atomic(root / "metrics.csv", text);
    expect_mentions(load_error(dir), {"metrics.csv", "line 1", "layer99999999999_imbalance"});
}

// Every JSON problem of config.json, not only a syntax error, is a FileError naming the file: a number beyond
// double's range is nlohmann's out_of_range, which a catch of parse_error alone let through.
TEST(RunFolderNumbers, AConfigWithANumberBeyondDoubleOrBadSyntaxNamesTheFile) {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    write_run(root);
    write_file_atomic(root / "config.json", "{\"hidden_size\": 1e999}\n");
    expect_mentions(load_error(dir), {"config.json"});
    write_file_atomic(root / "config.json", "{\"hidden_size\": \n");
    expect_mentions(load_error(dir), {"config.json"});
}

}  // namespace
}  // namespace moe::ui
