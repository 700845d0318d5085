// Shared by the fuzz targets: turning libFuzzer's bytes into what a reader takes (text, a file, a folder of files).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace moe::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A private scratch folder for this process, emptied for each input (readers that take a path get real files).
inline const std::filesystem::path& scratch_folder() {
    static const std::filesystem::path dir = [] {
        const char* base = std::getenv("TMPDIR");
        std::filesystem::path d = std::filesystem::path(base ? base : "/tmp") /
                                  ("moelab-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        return d;
    }();
    return dir;
}

inline void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Splits an input into up to `n` parts at the separator line "\n--8<--\n" (so one corpus file can hold a whole
// run folder); missing parts are empty.
inline std::vector<std::string_view> split_parts(std::string_view text, size_t n) {
    static constexpr std::string_view kSeparator = "\n--8<--\n";
    std::vector<std::string_view> parts;
    while (parts.size() + 1 < n) {
        const size_t at = text.find(kSeparator);
        if (at == std::string_view::npos) break;
        parts.push_back(text.substr(0, at));
        text.remove_prefix(at + kSeparator.size());
    }
    parts.push_back(text);
    parts.resize(n);
    return parts;
}

// The files of a run folder, in the order one fuzz input holds them (fuzz_run_folder.cpp, its corpus, and the tests
// that replay a reproducer).
inline constexpr std::array<const char*, 6> kRunFolderFiles = {"config.json",   "metrics.csv",     "routing.csv",
                                                               "traffic.csv",   "val_routing.csv", "coactivation.csv"};

}  // namespace moe::fuzz
