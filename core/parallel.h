// A small fixed pool of worker threads with a deterministic parallel_for.
//
// Why not OpenMP or Eigen's own threading: the work is cut into chunks of a fixed `grain` that never depends on
// how many threads run, and each chunk writes only its own outputs. Every floating-point sum is therefore done
// in the same order whatever the thread count, which is what makes training bit-identical for 1 or N threads.
#pragma once

#include <cstdint>
#include <functional>

namespace moe {

// Number of threads parallel_for uses (including the caller). 0 = hardware concurrency.
void set_num_threads(int n);
int num_threads();

// Calls fn(begin, end) for the chunks [0,grain), [grain,2*grain), ... of [0, n). Chunks may run concurrently, in
// any order; fn must only write outputs owned by its chunk. A parallel_for called from inside a chunk runs inline.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace moe
