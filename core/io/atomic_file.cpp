#include "core/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <functional>
#include <system_error>
#include <vector>

#include "core/error.h"

namespace moe {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWriteAdvice = "Check that the folder exists and is writable and that the disk is not full.";

[[noreturn]] void throw_write_error(const fs::path& path, const char* step, int err) {
    throw FileError("Cannot write '" + path.string() + "' (" + step + "): " + std::strerror(err) + ". " +
                    kWriteAdvice);
}

// Closes a descriptor exactly once, also when an exception leaves the scope early.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    // Closes now and reports the error: on some file systems (NFS) a failed write only shows up at close().
    int close() {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc == 0 ? 0 : errno;
    }

private:
    int fd_;
};

// A temporary name next to the target: the same folder keeps rename() atomic (same file system), and pid plus a
// random part plus a counter keep concurrent writers, in this process or others, from colliding.
fs::path temporary_name(const fs::path& path) {
    static std::atomic<std::uint64_t> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}()};
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%016llx-%llu", static_cast<long>(::getpid()),
                  static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(counter.fetch_add(1)));
    fs::path tmp = path;
    tmp += suffix;
    return tmp;
}

// Makes the rename itself durable. Some file systems cannot sync a folder (EINVAL); the data is then as safe as
// that file system allows, so that is not an error.
void sync_directory(const fs::path& path) {
    fs::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;  // The file is already in place; failing to open its folder only weakens durability.
    Fd guard(fd);
    if (::fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
        throw_write_error(path, "syncing the folder after replacing the file", errno);
    }
}

}  // namespace

namespace {

// Writes a temporary next to `path` with what `produce` hands to its writer, then renames it over `path`.
using ByteSink = std::function<void(const char*, std::size_t)>;

void replace_atomically(const fs::path& path, const std::function<void(const ByteSink&)>& produce) {
    if (path.empty() || !path.has_filename()) {
        throw FileError("Cannot write '" + path.string() + "': the path does not name a file. " + kWriteAdvice);
    }
    const fs::path tmp = temporary_name(path);

    // Keep the permissions of a file being replaced; a new file gets the usual 0666 minus the umask.
    mode_t mode = 0666;
    struct stat existing{};
    if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) mode = existing.st_mode & 07777;

    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) throw_write_error(path, "creating a temporary file next to it", errno);
    Fd file(fd);

    // From here on, every failure must remove the temporary before reporting.
    auto fail = [&](const char* step, int err) {
        if (file.get() >= 0) file.close();
        ::unlink(tmp.c_str());
        throw_write_error(path, step, err);
    };

    if (mode != 0666 && ::fchmod(fd, mode) != 0) {
        // Not fatal: the content matters more than copying the mode bits exactly.
    }
    const ByteSink write_all = [&](const char* p, std::size_t left) {
        while (left > 0) {
            ssize_t n = ::write(fd, p, left);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail("writing the data", errno);
            }
            if (n == 0) fail("writing the data", EIO);
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    };
    try {
        produce(write_all);
    } catch (const FileError&) {
        if (file.get() >= 0) file.close();
        ::unlink(tmp.c_str());
        throw;
    }
    // fsync before rename: otherwise a crash can leave the new name pointing at an empty or partial file.
    if (::fsync(fd) != 0) fail("flushing the data to disk", errno);
    if (int err = file.close(); err != 0) fail("closing the temporary file", err);
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("replacing the file", errno);
    sync_directory(path);
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view bytes) {
    replace_atomically(path, [&](const ByteSink& write) { write(bytes.data(), bytes.size()); });
}

namespace {

// The length of the file up to and including its last '\n' (0 when it has none): what survives of a torn tail.
off_t complete_length(int fd, off_t size, const fs::path& path) {
    char block[4096];
    off_t end = size;
    while (end > 0) {
        const off_t begin = std::max<off_t>(0, end - static_cast<off_t>(sizeof block));
        const ssize_t n = ::pread(fd, block, static_cast<size_t>(end - begin), begin);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_write_error(path, "reading the end of the file", errno);
        }
        for (ssize_t i = n - 1; i >= 0; --i)
            if (block[i] == '\n') return begin + i + 1;
        end = begin;
    }
    return 0;
}

}  // namespace

void append_lines(const fs::path& path, std::string_view lines) {
    if (lines.empty()) return;
    if (lines.back() != '\n')
        throw InternalError("append_lines(" + path.string() + "): the text must end with a newline");
    std::error_code exists_error;
    const bool existed = fs::exists(path, exists_error);  // a folder we cannot look into fails at open() below
    // Read access too: the end of the file is read to find a torn last line.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw_write_error(path, "opening the file to append", errno);
    Fd file(fd);
    struct stat st{};
    if (::fstat(fd, &st) != 0) throw_write_error(path, "reading the file's size", errno);
    off_t size = st.st_size;
    // A crash mid-append leaves a last line without its newline: cut it off, or the next row would be glued to it.
    if (size > 0) {
        const off_t keep = complete_length(fd, size, path);
        if (keep != size) {
            if (::ftruncate(fd, keep) != 0) throw_write_error(path, "cutting off a torn last line", errno);
            size = keep;
        }
    }
    const char* p = lines.data();
    size_t left = lines.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            const int err = n < 0 ? errno : EIO;
            // A full disk: take back the partial rows, so the file ends at the last complete flush.
            if (::ftruncate(fd, size) != 0) {
                // best effort: the write error below is what the user must see
            }
            throw_write_error(path, "appending rows", err);
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    if (::fdatasync(fd) != 0) {
        const int err = errno;
        if (::ftruncate(fd, size) != 0) {
            // best effort, as above
        }
        throw_write_error(path, "flushing the appended rows to disk", err);
    }
    if (const int err = file.close()) throw_write_error(path, "closing the file", err);
    if (!existed) sync_directory(path);
}

std::string read_file(const fs::path& path) {
    auto fail = [&](int err) -> void {
        throw FileError("Cannot read '" + path.string() + "': " + std::strerror(err) +
                        ". Check that the file exists and is readable.");
    };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(errno);
    Fd file(fd);

    std::string out;
    struct stat st{};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        out.reserve(static_cast<std::size_t>(st.st_size));
    }
    // Read until end of file rather than trusting st_size: the file may change size, and special files report 0.
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail(errno);
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

void ensure_directory(const fs::path& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) {
        throw FileError("Cannot create the folder '" + path.string() + "': " + ec.message() +
                        ". Check that the parent folder is writable and that no file has that name.");
    }
    if (!fs::is_directory(path, ec)) {
        throw FileError("Cannot create the folder '" + path.string() +
                        "': a file with that name already exists. Remove or rename it, or choose another folder.");
    }
}

}  // namespace moe
