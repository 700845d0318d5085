// Crash-safe file writes: the target holds either the old or the complete new content, no temporary is left behind,
// and every failure is a FileError that names the path.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace moe {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class AtomicFile : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / ("moelab_atomic_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(dir_, ec);
    }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }
    // Expects `fn` to throw a FileError whose message contains every string in `mentions`.
    template <class Fn>
    void expect_file_error(Fn fn, const std::vector<std::string>& mentions) {
        try {
            fn();
            ADD_FAILURE() << "expected FileError";
        } catch (const FileError& e) {
            for (const auto& m : mentions) EXPECT_NE(std::string(e.what()).find(m), std::string::npos) << e.what();
        }
    }
    fs::path dir_;
};

TEST_F(AtomicFile, WritesAndReplacesContent) {
    const fs::path p = dir_ / "run.json";
    write_file_atomic(p, "first");
    EXPECT_EQ(read_file(p), "first");
    write_file_atomic(p, "the second, longer content");
    EXPECT_EQ(read_file(p), "the second, longer content");
    write_file_atomic(p, "3");
    EXPECT_EQ(read_file(p), "3");
    write_file_atomic(p, "");
    EXPECT_EQ(read_file(p), "");
    EXPECT_EQ(entries(), std::vector<std::string>{"run.json"});
}

TEST_F(AtomicFile, BinaryAndLargeContentIsExact) {
    std::string bytes;
    for (int i = 0; i < 3'000'000; ++i) bytes.push_back(static_cast<char>((i * 131) % 256));
    bytes[0] = '\0';
    const fs::path p = dir_ / "big.bin";
    write_file_atomic(p, bytes);
    EXPECT_EQ(read_file(p), bytes);
    EXPECT_EQ(entries(), std::vector<std::string>{"big.bin"});
}

TEST_F(AtomicFile, RelativePathInCurrentFolder) {
    const fs::path old = fs::current_path();
    fs::current_path(dir_);
    write_file_atomic("plain.txt", "x");
    fs::current_path(old);
    EXPECT_EQ(read_file(dir_ / "plain.txt"), "x");
    EXPECT_EQ(entries(), std::vector<std::string>{"plain.txt"});
}

TEST_F(AtomicFile, KeepsPermissionsOfReplacedFile) {
    const fs::path p = dir_ / "secret.txt";
    write_file_atomic(p, "a");
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
    write_file_atomic(p, "b");
    EXPECT_EQ(fs::status(p).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(read_file(p), "b");
}

TEST_F(AtomicFile, MissingFolderFailsAndNamesPath) {
    const fs::path p = dir_ / "no_such_folder" / "ckpt.safetensors";
    expect_file_error([&] { write_file_atomic(p, "data"); },
                      {p.string(), "No such file or directory", "folder exists and is writable"});
    EXPECT_FALSE(fs::exists(dir_ / "no_such_folder"));
    EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFile, ParentIsAFileFailsAndLeavesItUntouched) {
    const fs::path file = dir_ / "notes.txt";
    write_file_atomic(file, "keep me");
    const fs::path p = file / "ckpt.safetensors";
    expect_file_error([&] { write_file_atomic(p, "data"); }, {p.string(), "Not a directory"});
    EXPECT_EQ(read_file(file), "keep me");
    EXPECT_EQ(entries(), std::vector<std::string>{"notes.txt"});
}

// The rename step fails (the target is a non-empty folder): the temporary was already written and must be removed.
TEST_F(AtomicFile, FailedRenameRemovesTemporaryAndLeavesTargetUntouched) {
    const fs::path target = dir_ / "ckpt";
    fs::create_directories(target);
    write_file_atomic(target / "inside.txt", "old");
    expect_file_error([&] { write_file_atomic(target, "new"); }, {target.string(), "replacing the file"});
    EXPECT_TRUE(fs::is_directory(target));
    EXPECT_EQ(read_file(target / "inside.txt"), "old");
    EXPECT_EQ(entries(), std::vector<std::string>{"ckpt"});
}

TEST_F(AtomicFile, ReadOnlyFolderFailsAndLeavesExistingFileUntouched) {
    const fs::path p = dir_ / "ckpt.safetensors";
    write_file_atomic(p, "old content");
    fs::permissions(dir_, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    if (::geteuid() != 0) {
        expect_file_error([&] { write_file_atomic(p, "new content"); }, {p.string(), "Permission denied"});
    } else {
        // Permissions do not restrict the superuser (CI runs as root): try the write as "nobody" in a child.
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
            try {
                write_file_atomic(p, "new content");
            } catch (const FileError& e) {
                ::_exit(std::string(e.what()).find("Permission denied") != std::string::npos ? 0 : 2);
            }
            ::_exit(1);  // the write went through
        }
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), 0) << "1: a read-only folder was written; 2: the error did not say why; "
                                             "3: could not become an unprivileged user";
    }
    fs::permissions(dir_, fs::perms::owner_write, fs::perm_options::add);
    EXPECT_EQ(read_file(p), "old content");
    EXPECT_EQ(entries(), std::vector<std::string>{"ckpt.safetensors"});
}

// Failures no permission bit decides, so they are tested as root too: appending below a regular file, or to a folder.
TEST_F(AtomicFile, AppendLinesToAnImpossiblePathFailsAndNamesIt) {
    const fs::path file = dir_ / "notes.txt";
    write_file_atomic(file, "keep me\n");
    const fs::path below = file / "metrics.csv";
    expect_file_error([&] { append_lines(below, "1,2\n"); }, {below.string(), "Not a directory"});
    const fs::path folder = dir_ / "metrics.csv";
    fs::create_directories(folder);
    expect_file_error([&] { append_lines(folder, "1,2\n"); }, {folder.string(), "Is a directory"});
    EXPECT_EQ(read_file(file), "keep me\n");
    EXPECT_EQ(entries(), (std::vector<std::string>{"metrics.csv", "notes.txt"}));
}

// A full disk: /dev/full refuses every write with ENOSPC, as a full file system does an append.
TEST_F(AtomicFile, AppendLinesOnAFullDiskSaysSo) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
    expect_file_error([&] { append_lines("/dev/full", "1,2\n"); },
                      {"/dev/full", "appending rows", "No space left on device", "disk is not full"});
}

TEST_F(AtomicFile, PathWithoutFileNameFails) {
    expect_file_error([&] { write_file_atomic(dir_.string() + "/", "x"); }, {dir_.string()});
    EXPECT_TRUE(entries().empty());
}

// Writers racing on one file: each temporary has its own name, so the result is one complete content, never a mix.
TEST_F(AtomicFile, ConcurrentWritersLeaveOneCompleteContent) {
    const fs::path p = dir_ / "shared.bin";
    std::vector<std::string> contents;
    for (int t = 0; t < 4; ++t) contents.push_back(std::string(200'000 + t, static_cast<char>('a' + t)));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) write_file_atomic(p, contents[t]);
        });
    }
    for (auto& th : threads) th.join();
    const std::string result = read_file(p);
    EXPECT_NE(std::find(contents.begin(), contents.end(), result), contents.end());
    EXPECT_EQ(entries(), std::vector<std::string>{"shared.bin"});
}

TEST_F(AtomicFile, ReadMissingFileNamesIt) {
    const fs::path p = dir_ / "missing.safetensors";
    expect_file_error([&] { read_file(p); }, {p.string(), "No such file or directory"});
}

TEST_F(AtomicFile, ReadFolderIsAnError) {
    expect_file_error([&] { read_file(dir_); }, {dir_.string()});
}

TEST_F(AtomicFile, EnsureDirectoryCreatesParentsAndIsIdempotent) {
    const fs::path d = dir_ / "a" / "b" / "c";
    ensure_directory(d);
    EXPECT_TRUE(fs::is_directory(d));
    ensure_directory(d);
    write_file_atomic(d / "f", "x");
    EXPECT_EQ(read_file(d / "f"), "x");
}

TEST_F(AtomicFile, EnsureDirectoryFailsOnFiles) {
    const fs::path file = dir_ / "taken";
    write_file_atomic(file, "x");
    expect_file_error([&] { ensure_directory(file); }, {file.string()});
    expect_file_error([&] { ensure_directory(file / "sub"); }, {(file / "sub").string()});
    EXPECT_EQ(read_file(file), "x");
}

}  // namespace
}  // namespace moe

namespace {

TEST(AppendLines, CreatesThenGrowsTheFileInPlaceWritingOnlyTheNewRows) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("moelab-append-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path f = dir / "log.csv";
    moe::append_lines(f, "a,b\n");
    EXPECT_EQ(moe::read_file(f), "a,b\n");
    struct stat before{};
    ASSERT_EQ(::stat(f.c_str(), &before), 0);
    const std::string big = std::string(3 << 20, 'x') + "\n";
    moe::append_lines(f, big);
    moe::append_lines(f, "1,2\n");
    EXPECT_EQ(moe::read_file(f), "a,b\n" + big + "1,2\n");
    // The same file grown in place (a copy-and-rename would give a new inode), and no temporary left behind.
    struct stat after{};
    ASSERT_EQ(::stat(f.c_str(), &after), 0);
    EXPECT_EQ(after.st_ino, before.st_ino);
    int entries = 0;
    for (const auto& e : fs::directory_iterator(dir)) entries += e.is_regular_file();
    EXPECT_EQ(entries, 1);
    // Text that does not end in a newline is a caller's bug: it would leave a torn row.
    EXPECT_THROW(moe::append_lines(f, "3,4"), moe::InternalError);
    fs::remove_all(dir);
}

TEST(AppendLines, ATornLastLineIsCutOffBeforeTheNextRows) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("moelab-torn-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path f = dir / "metrics.csv";
    moe::write_file_atomic(f, "step,loss\n1,2.5\n2,2.");  // a crash in the middle of row 2
    moe::append_lines(f, "2,2.25\n3,2.0\n");
    EXPECT_EQ(moe::read_file(f), "step,loss\n1,2.5\n2,2.25\n3,2.0\n");
    moe::write_file_atomic(f, "no newline at all");
    moe::append_lines(f, "step,loss\n");
    EXPECT_EQ(moe::read_file(f), "step,loss\n");
    fs::remove_all(dir);
}

}  // namespace
