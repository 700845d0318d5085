#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace moe {
namespace {

using ChunkFn = std::function<void(int64_t, int64_t)>;

// The cores this process may use: the CPUs of its affinity mask, fewer when a cgroup CPU quota (a container's
// --cpus) allows fewer. hardware_concurrency() counts the machine's CPUs, which on a shared CI runner can be many
// more than the process gets; a pool that wide would run several threads per core.
int count_usable_cores() {
    int n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) n = std::max(1, std::min(n, CPU_COUNT(&set)));
    std::ifstream quota_file("/sys/fs/cgroup/cpu.max");  // cgroup v2: "<quota> <period>" or "max <period>"
    std::string quota;
    long long period = 0;
    if (quota_file >> quota >> period && quota != "max" && period > 0) {
        const long long q = std::atoll(quota.c_str());
        if (q > 0) n = std::max(1, std::min<int>(n, static_cast<int>((q + period - 1) / period)));
    }
#endif
    return n;
}

int all_cores() {
    static const int n = count_usable_cores();
    return n;
}

thread_local int t_width = 0;             // set by ParallelScope; 0 = no scope (all cores)
thread_local bool t_inside_pool = false;  // running a chunk: a nested parallel_for runs inline

// One parallel_for in flight. It lives on its caller's stack; workers join it while it has open helper slots.
struct Job {
    const ChunkFn* fn = nullptr;
    int64_t n = 0, grain = 1, chunks = 0;
    std::atomic<int64_t> next{0};
    std::atomic<bool> failed{false};
    // Guarded by Pool::m_:
    std::exception_ptr error;
    int helpers_wanted = 0;  // slots still open to workers (the caller's width - 1, at most chunks - 1)
    // Workers that joined and have not left yet. Changed only under Pool::m_; atomic so that the caller may spin
    // on it without the lock before it waits.
    std::atomic<int> helpers_active{0};
    std::condition_variable done;
};

// How long a thread polls (no lock) for work, or for its helpers to finish, before it blocks on a condition
// variable. A step runs a few hundred parallel_for calls of 10-100 us each; waking a blocked worker costs a futex call
// and a context switch (5-50 us), which made the pool slower than one thread on small jobs. Half a millisecond of
// polling covers the gap between two calls of a step, serial work between them included (measured: 50 us of it made
// a 2-thread deepseek step 18 % slower); an idle pool still sleeps.
constexpr auto kPollTime = std::chrono::microseconds(500);
// For the first 50 us a poll only pauses the core (the usual gap, answered within a few cycles); after that it yields
// the core. Where threads outnumber the free cores (a loaded machine, two test processes side by side) a poller that
// kept its core would starve the very thread it waits for.
constexpr auto kPauseTime = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// Polls `ready` for up to kPollTime; true as soon as it holds.
template <class Pred>
bool spin_until(Pred ready) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    for (;;) {
        for (int i = 0; i < 64; ++i) {  // a clock read per 64 polls
            if (ready()) return true;
            cpu_relax();
        }
        const auto waited = clock::now() - start;
        if (waited >= kPollTime) return ready();
        if (waited >= kPauseTime) std::this_thread::yield();
    }
}

// Workers are shared by every caller. Several jobs can be open at once (one per calling thread); a free worker
// helps the oldest job that still has a slot, so each caller gets at most its own width and concurrent callers
// split the workers between them.
class Pool {
public:
    ~Pool() {
        {
            std::lock_guard<std::mutex> lk(m_);
            stop_ = true;
            stop_flag_.store(true);
        }
        cv_.notify_all();
        for (auto& t : workers_) t.join();
    }

    void run(int64_t n, int64_t grain, const ChunkFn& fn, int width) {
        if (n <= 0) return;
        grain = std::max<int64_t>(1, grain);
        const int64_t chunks = (n + grain - 1) / grain;
        if (chunks == 1 || width <= 1 || t_inside_pool) {
            for (int64_t c = 0; c < chunks; ++c) fn(c * grain, std::min(n, (c + 1) * grain));
            return;
        }
        Job job;
        job.fn = &fn;
        job.n = n;
        job.grain = grain;
        job.chunks = chunks;
        job.helpers_wanted = static_cast<int>(std::min<int64_t>(width - 1, chunks - 1));
        bool wake = false;
        {
            std::lock_guard<std::mutex> lk(m_);
            while (static_cast<int>(workers_.size()) < job.helpers_wanted)
                workers_.emplace_back([this] { worker_loop(); });
            open_.push_back(&job);
            open_count_.store(static_cast<int>(open_.size()), std::memory_order_release);
            wake = sleeping_ > 0;  // spinning workers see the job without a notification
        }
        if (wake) cv_.notify_all();
        t_inside_pool = true;
        work(job);
        t_inside_pool = false;
        {
            std::lock_guard<std::mutex> lk(m_);
            // Every chunk is taken: no worker may join from now on, and the job ends when the last helper leaves.
            const auto it = std::find(open_.begin(), open_.end(), &job);
            if (it != open_.end()) open_.erase(it);
            open_count_.store(static_cast<int>(open_.size()), std::memory_order_release);
        }
        // Helpers still in their last chunk usually finish within microseconds: poll before blocking. The lock is
        // taken either way, after the last helper released it, so the job outlives its last notification.
        spin_until([&] { return job.helpers_active.load(std::memory_order_acquire) == 0; });
        {
            std::unique_lock<std::mutex> lk(m_);
            job.done.wait(lk, [&] { return job.helpers_active.load(std::memory_order_relaxed) == 0; });
        }
        if (job.error) std::rethrow_exception(job.error);
    }

private:
    void work(Job& job) {
        for (;;) {
            if (job.failed.load(std::memory_order_relaxed)) return;
            const int64_t c = job.next.fetch_add(1);
            if (c >= job.chunks) return;
            try {
                (*job.fn)(c * job.grain, std::min(job.n, (c + 1) * job.grain));
            } catch (...) {
                std::lock_guard<std::mutex> lk(m_);
                if (!job.error) job.error = std::current_exception();
                job.failed.store(true);
                return;
            }
        }
    }

    void worker_loop() {
        t_inside_pool = true;
        for (;;) {
            // Poll for the next job before sleeping: the next parallel_for of a step usually follows within
            // microseconds.
            spin_until([this] {
                return open_count_.load(std::memory_order_acquire) > 0 || stop_flag_.load(std::memory_order_relaxed);
            });
            std::unique_lock<std::mutex> lk(m_);
            if (!stop_ && open_.empty()) {
                ++sleeping_;
                cv_.wait(lk, [this] { return stop_ || !open_.empty(); });
                --sleeping_;
            }
            if (stop_) return;
            Job* job = open_.front();
            job->helpers_active.fetch_add(1, std::memory_order_relaxed);
            if (--job->helpers_wanted == 0) {
                open_.erase(open_.begin());
                open_count_.store(static_cast<int>(open_.size()), std::memory_order_release);
            }
            lk.unlock();
            work(*job);
            lk.lock();
            // Decremented and notified under the lock: the caller, which takes the lock after seeing 0, cannot
            // return and destroy the job before this ends.
            if (job->helpers_active.fetch_sub(1, std::memory_order_acq_rel) == 1) job->done.notify_one();
        }
    }

    std::mutex m_;
    std::condition_variable cv_;
    std::vector<std::thread> workers_;
    std::vector<Job*> open_;  // jobs with helper slots left, oldest first
    bool stop_ = false;
    int sleeping_ = 0;  // workers blocked on cv_ (guarded by m_)
    // Lock-free copies for the workers' polling: open_.size() and stop_.
    std::atomic<int> open_count_{0};
    std::atomic<bool> stop_flag_{false};
};

Pool& pool() {
    static Pool p;
    return p;
}

}  // namespace

int num_threads() { return t_width > 0 ? t_width : all_cores(); }

ParallelScope::ParallelScope(int threads) : previous_(t_width) { t_width = threads > 0 ? threads : all_cores(); }

ParallelScope::~ParallelScope() { t_width = previous_; }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    pool().run(n, grain, fn, num_threads());
}

}  // namespace moe
