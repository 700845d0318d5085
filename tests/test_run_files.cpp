// Run files on disk: a flush appends only its new rows to the same file (no copy, so a long run's writes stay
// linear in its output), and a run folder is never a mix of two runs (a non-empty folder is refused, or replaced
// whole when it holds only MoE Lab's own files; anything else in it is never deleted).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/train/run.h"
#include "core/train/run_writer.h"
#include "core/train/sweep.h"
#include "core/train/trainer.h"

namespace moe {
namespace {

namespace fs = std::filesystem;

Config tiny(std::vector<std::string> extra = {}) {
    std::vector<std::string> s = {"hidden_size=16", "num_attention_heads=2", "ffn_base_width=16",
                                  "seq_len=16",     "batch_size=2",          "steps=3",
                                  "eval_interval=1000", "eval_sequences=2",  "corpus_bytes_per_domain=6000",
                                  "routing_interval=1", "threads=1"};
    s.insert(s.end(), extra.begin(), extra.end());
    return resolve_config("gshard", "", s);
}

class RunFiles : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("moelab-run-files-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                "-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

ino_t inode(const fs::path& p) {
    struct stat st{};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_ino;
}

// What this process has written so far (write() bytes, from the kernel's count), or -1 where it is not reported.
long long bytes_written() {
    std::ifstream in("/proc/self/io");
    for (std::string key; in >> key;) {
        long long v = 0;
        in >> v;
        if (key == "wchar:") return v;
    }
    return -1;
}

TEST_F(RunFiles, AFlushAppendsOnlyItsNewRowsToTheSameFile) {
    const Config config = tiny({"steps=100"});  // the last step taken is not the final one: no evaluation
    Trainer trainer(config);
    const fs::path run = dir_ / "run";
    RunWriter writer(run, config, trainer.dataset().domain_names());
    for (int s = 0; s < 59; ++s) writer.add(trainer.train_step());
    writer.flush();
    const std::string metrics_before = read_file(run / "metrics.csv");
    const std::string routing_before = read_file(run / "routing.csv");
    const ino_t metrics_inode = inode(run / "metrics.csv"), routing_inode = inode(run / "routing.csv");

    writer.add(trainer.train_step());
    const long long before = bytes_written();
    writer.flush();
    const long long written = bytes_written() - before;

    // Grown in place: the same file (a copy renamed over it is a new inode), the earlier bytes unchanged.
    EXPECT_EQ(inode(run / "metrics.csv"), metrics_inode);
    EXPECT_EQ(inode(run / "routing.csv"), routing_inode);
    const std::string metrics_after = read_file(run / "metrics.csv");
    const std::string routing_after = read_file(run / "routing.csv");
    ASSERT_GT(metrics_after.size(), metrics_before.size());
    EXPECT_EQ(metrics_after.compare(0, metrics_before.size(), metrics_before), 0);
    EXPECT_EQ(routing_after.compare(0, routing_before.size(), routing_before), 0);
    // The flush wrote the new rows and nothing more: not the 59 rows already on disk.
    const long long new_bytes = static_cast<long long>(metrics_after.size() - metrics_before.size() +
                                                       routing_after.size() - routing_before.size());
    if (before >= 0) {
        // The kernel counts every write() of the process: AddressSanitizer's runtime also writes 16-byte probes to
        // a pipe of its own, so allow a few hundred bytes over. A rewrite would add the ~100 KB already on disk.
        ASSERT_GT(metrics_before.size() + routing_before.size(), 20000u);
        EXPECT_GE(written, new_bytes);
        EXPECT_LE(written, new_bytes + 512) << "a flush must not rewrite the rows already written";
    }
}

TEST_F(RunFiles, AnEmptyOrMissingFolderIsReadyAndAFullOneIsRefused) {
    EXPECT_TRUE(files_to_replace(dir_, ExistingFolder::refuse).empty());
    EXPECT_TRUE(files_to_replace(dir_ / "missing", ExistingFolder::refuse).empty());
    write_file_atomic(dir_ / "model.safetensors", "old model");
    try {
        prepare_run_folder(dir_, ExistingFolder::refuse);
        FAIL() << "a folder with an earlier run was accepted";
    } catch (const FileError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find(dir_.string()), std::string::npos) << m;
        EXPECT_NE(m.find("not empty"), std::string::npos) << m;
        EXPECT_NE(m.find("--overwrite"), std::string::npos) << m;
    }
    EXPECT_EQ(read_file(dir_ / "model.safetensors"), "old model");
    // A file where the folder should be.
    EXPECT_THROW(prepare_run_folder(dir_ / "model.safetensors", ExistingFolder::replace), FileError);
}

TEST_F(RunFiles, ReplaceRemovesOnlyRunFilesAndRefusesAFolderWithOthers) {
    for (const char* f : {"config.json", "metrics.csv", "routing.csv", "traffic.csv", "val_routing.csv",
                          "coactivation.csv", "model.safetensors", "model.safetensors.tmp-12-00ab-0"})
        write_file_atomic(dir_ / f, "x");
    write_file_atomic(dir_ / "notes.txt", "the user's own notes");
    try {
        prepare_run_folder(dir_, ExistingFolder::replace);
        FAIL() << "a folder with a user's file was emptied";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos) << e.what();
    }
    // Nothing was deleted: the check comes before any removal.
    EXPECT_TRUE(fs::exists(dir_ / "config.json"));
    EXPECT_EQ(read_file(dir_ / "notes.txt"), "the user's own notes");

    fs::remove(dir_ / "notes.txt");
    fs::create_directories(dir_ / "sub");
    EXPECT_THROW(prepare_run_folder(dir_, ExistingFolder::replace), FileError);
    EXPECT_TRUE(fs::exists(dir_ / "config.json"));

    fs::remove(dir_ / "sub");
    prepare_run_folder(dir_, ExistingFolder::replace);
    EXPECT_TRUE(fs::is_directory(dir_));
    EXPECT_TRUE(fs::is_empty(dir_));
}

// The case: a rerun into a folder of an earlier run must not leave that run's files beside the new ones.
TEST_F(RunFiles, ARunReplacingAnEarlierOneLeavesNoneOfItsFiles) {
    const fs::path out = dir_ / "run";
    train_run(tiny({"devices=2"}), out.string());
    ASSERT_TRUE(fs::exists(out / "traffic.csv"));
    const std::string old_model = read_file(out / "model.safetensors");

    // Refused before any training; the earlier run untouched.
    EXPECT_THROW(train_run(tiny(), out.string()), FileError);
    EXPECT_EQ(read_file(out / "model.safetensors"), old_model);
    // A config that cannot train (its data is missing) leaves the earlier run in place, even with replace.
    EXPECT_ANY_THROW(train_run(tiny({"dataset=text", "data_file=" + (dir_ / "missing.txt").string()}), out.string(),
                               {}, ExistingFolder::replace));
    EXPECT_EQ(read_file(out / "model.safetensors"), old_model);

    train_run(tiny(), out.string(), {}, ExistingFolder::replace);
    EXPECT_FALSE(fs::exists(out / "traffic.csv")) << "the earlier run's traffic.csv was left beside the new run";
    EXPECT_NE(read_file(out / "model.safetensors"), old_model);
}

// The app's recorder and train_run both start their files through RunWriter: it never appends to, or sits beside,
// an earlier run's files, and never deletes a file it did not write.
TEST_F(RunFiles, ARunWriterStartsAfreshAndRefusesAFolderWithOthers) {
    const Config config = tiny();
    Trainer trainer(config);
    for (const char* f : {"metrics.csv", "traffic.csv", "model.safetensors"}) write_file_atomic(dir_ / f, "old,run\n");
    write_file_atomic(dir_ / "notes.txt", "mine");
    EXPECT_THROW(RunWriter(dir_, config, trainer.dataset().domain_names()), FileError);
    EXPECT_EQ(read_file(dir_ / "metrics.csv"), "old,run\n");
    EXPECT_EQ(read_file(dir_ / "notes.txt"), "mine");

    fs::remove(dir_ / "notes.txt");
    RunWriter writer(dir_, config, trainer.dataset().domain_names());
    EXPECT_FALSE(fs::exists(dir_ / "traffic.csv"));
    EXPECT_FALSE(fs::exists(dir_ / "model.safetensors"));
    writer.add(trainer.train_step());
    writer.flush();
    EXPECT_EQ(read_file(dir_ / "metrics.csv").rfind("step,loss,", 0), 0u) << "appended to the earlier run's rows";
}

TEST_F(RunFiles, ASweepIsRefusedInAFullFolderAndReplacesOnlyAnEarlierSweep) {
    SweepPlan plan;
    plan.configs.push_back({"gshard", {}, tiny({"steps=2"})});
    plan.seeds = {1};
    const fs::path out = dir_ / "sweep";
    ASSERT_EQ(run_sweep(plan, out, {}).size(), 1u);
    const fs::path summary = out / "summary.json";
    ASSERT_TRUE(fs::exists(summary));
    fs::path run_dir;
    for (const auto& e : fs::directory_iterator(out))
        if (e.is_directory()) run_dir = e.path();
    ASSERT_FALSE(run_dir.empty());
    write_file_atomic(run_dir / "val_routing.csv.tmp-1-ff-0", "left by a crash");

    EXPECT_THROW(run_sweep(plan, out, {}), FileError);
    // A user's file anywhere in it: refused, nothing deleted.
    write_file_atomic(run_dir / "notes.txt", "mine");
    EXPECT_THROW(run_sweep(plan, out, {}, ExistingFolder::replace), FileError);
    EXPECT_TRUE(fs::exists(summary));
    EXPECT_TRUE(fs::exists(run_dir / "config.json"));
    EXPECT_EQ(read_file(run_dir / "notes.txt"), "mine");

    fs::remove(run_dir / "notes.txt");
    fs::create_directories(out / "old_run_seed9");
    write_file_atomic(out / "old_run_seed9" / "model.safetensors", "a run of the earlier grid only");
    EXPECT_EQ(run_sweep(plan, out, {}, ExistingFolder::replace).size(), 1u);
    EXPECT_FALSE(fs::exists(out / "old_run_seed9")) << "a run folder of the earlier sweep was left in the new one";
    EXPECT_FALSE(fs::exists(run_dir / "val_routing.csv.tmp-1-ff-0"));
    EXPECT_TRUE(fs::exists(run_dir / "model.safetensors"));
    EXPECT_TRUE(fs::exists(summary));
}

}  // namespace
}  // namespace moe
