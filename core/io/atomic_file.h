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

// Replaces `path` with its current content (none if it does not exist) followed by `tail`, with the same guarantee
// as write_file_atomic: a reader sees the old file or the longer one, never a partial append. The old content is
// streamed, so a long log costs no memory here.
void append_file_atomic(const std::filesystem::path& path, std::string_view tail);

// The whole content of a file. Throws FileError naming the file when it is missing or cannot be read.
std::string read_file(const std::filesystem::path& path);

// Creates the folder and any missing parents; does nothing if it already exists. Throws FileError when it cannot be
// created or the path exists but is not a folder.
void ensure_directory(const std::filesystem::path& path);

}  // namespace moe
