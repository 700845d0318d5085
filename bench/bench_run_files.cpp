// The cost of one flush of a run file as the file grows: appending the new rows (append_lines, what RunWriter does)
// against rewriting the whole file atomically (write_file_atomic of everything so far, what run files did before).
//
//   RunFileFlush/append/<file KiB>   RunFileFlush/rewrite/<file KiB>
//
// Each iteration writes one flush of kFlushBytes of CSV rows, synced to disk as a real flush is, into a file that
// already holds <file KiB>. The append's time should not depend on the file's size; the rewrite's grows with it.
// Counters: file_MiB (the size before the flush) and bytes_per_second of the rows added.
#include "core/io/atomic_file.h"

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace moe {
namespace {

namespace fs = std::filesystem;

// About one flush of a small language model's routing.csv (a few hundred rows).
constexpr size_t kFlushBytes = 16 * 1024;

// Whole CSV rows of roughly routing.csv's width, `bytes` long or a row more.
std::string csv_rows(size_t bytes, int64_t first_step = 0) {
    std::string s;
    for (int64_t step = first_step; s.size() < bytes; ++step)
        s += std::to_string(step) + ",0,3,117,0.11425781,0.09733581,31,44,42\n";
    return s;
}

// A private folder under the system's temporary folder, removed at the end.
struct ScratchFolder {
    fs::path dir = fs::temp_directory_path() / ("moelab-bench-run-files-" + std::to_string(::getpid()));
    ScratchFolder() { ensure_directory(dir); }
    ~ScratchFolder() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

void set_counters(benchmark::State& state, size_t file_bytes) {
    state.counters["file_MiB"] = static_cast<double>(file_bytes) / (1024.0 * 1024.0);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kFlushBytes));
}

void bm_append(benchmark::State& state) {
    ScratchFolder scratch;
    const fs::path file = scratch.dir / "routing.csv";
    const std::string earlier = csv_rows(static_cast<size_t>(state.range(0)) * 1024);
    write_file_atomic(file, earlier);
    const std::string flush = csv_rows(kFlushBytes, 1'000'000);
    for (auto _ : state) append_lines(file, flush);  // the file grows by a flush each time, as in a run
    set_counters(state, earlier.size());
}

void bm_rewrite(benchmark::State& state) {
    ScratchFolder scratch;
    const fs::path file = scratch.dir / "routing.csv";
    // The file's content after the flush; kept the same size each time so every iteration measures one size.
    const std::string whole = csv_rows(static_cast<size_t>(state.range(0)) * 1024) + csv_rows(kFlushBytes, 1'000'000);
    for (auto _ : state) write_file_atomic(file, whole);
    set_counters(state, whole.size() - kFlushBytes);
}

// File sizes seen in the long runs: 200 KiB early on, 16 MiB and 100 MiB after tens of thousands of steps.
void file_sizes(benchmark::internal::Benchmark* b) {
    b->ArgName("file_KiB")->Arg(200)->Arg(16 * 1024)->Arg(100 * 1024)->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(bm_append)->Name("RunFileFlush/append")->Apply(file_sizes);
BENCHMARK(bm_rewrite)->Name("RunFileFlush/rewrite")->Apply(file_sizes);

}  // namespace
}  // namespace moe
