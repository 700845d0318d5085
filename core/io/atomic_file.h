// Whole-file reads and crash-safe writes for checkpoints, configs and run files.
// A write either leaves the old file untouched or the complete new one in its place, never a half-written mix, so a
// crash or a full disk during a save cannot destroy the last good checkpoint.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace moe {

// Replaces `path` with `bytes`: writes a uniquely named temporary in the same folder, flushes it to disk, renames it
// over the target and syncs the folder. On failure the temporary is removed, any existing file at `path` is left as
// it was, and a FileError names the path and the operating system's reason.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Appends whole lines (`lines` ends with '\n') to `path`, creating it if needed, and flushes them to disk. The cost
// is that of the new bytes only: nothing is copied or rewritten, so a long run's logs stay linear in size. Rows are
// atomic at the line level: a crash can leave at most a torn last line without its newline; readers drop such a
// line, and the next append cuts it off first. On failure (a full disk) the partial rows are taken back where the
// file system allows, and a FileError names the path and the reason.
void append_lines(const std::filesystem::path& path, std::string_view lines);

// The whole content of a file. Throws FileError naming the file when it is missing or cannot be read.
std::string read_file(const std::filesystem::path& path);

// Creates the folder and any missing parents; does nothing if it already exists. Throws FileError when it cannot be
// created or the path exists but is not a folder.
void ensure_directory(const std::filesystem::path& path);

}  // namespace moe
