// A small shared pool of worker threads with a deterministic parallel_for.
//
// Why not OpenMP or Eigen's own threading: the work is cut into chunks of a fixed `grain` that never depends on
// how many threads run, and each chunk writes only its own outputs. Every floating-point sum is therefore done
// in the same order whatever the thread count, which is what makes training bit-identical for 1 or N threads.
//
// The width (how many threads a parallel_for may use) belongs to the calling thread, not to the process: a
// Trainer sets its own with a ParallelScope around its work, so two trainers on two threads (the app's session
// and a sweep) each get the width they asked for and never change the other's. Concurrent parallel_for calls
// share the pool's workers; since results do not depend on the thread count, sharing changes only the speed.
#pragma once

#include <cstdint>
#include <functional>

namespace moe {

// The calling thread's width: the threads its parallel_for calls use, itself included (at least 1). Set by the
// innermost ParallelScope of this thread; outside any scope, all the cores the process may use (its CPU affinity
// mask and any cgroup CPU quota, not just the machine's count).
int num_threads();

// Sets the calling thread's width for the scope's lifetime and restores the previous width at its end.
// threads = 0: all cores. Only this thread is affected.
class ParallelScope {
public:
    explicit ParallelScope(int threads);
    ~ParallelScope();
    ParallelScope(const ParallelScope&) = delete;
    ParallelScope& operator=(const ParallelScope&) = delete;

private:
    int previous_;
};

// Calls fn(begin, end) for the chunks [0,grain), [grain,2*grain), ... of [0, n), on up to num_threads() threads
// (the caller and pool workers). Chunks may run concurrently, in any order; fn must only write outputs owned by
// its chunk. A parallel_for called from inside a chunk runs inline. Safe to call from several threads at once.
// An exception thrown by fn stops the remaining chunks and is rethrown here, once all running chunks ended.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace moe
