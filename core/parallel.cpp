#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace moe {
namespace {

using ChunkFn = std::function<void(int64_t, int64_t)>;

int all_cores() {
    static const int n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
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
    int helpers_active = 0;  // workers that joined and have not left yet
    std::condition_variable done;
};

// Workers are shared by every caller. Several jobs can be open at once (one per calling thread); a free worker
// helps the oldest job that still has a slot, so each caller gets at most its own width and concurrent callers
// split the workers between them.
class Pool {
public:
    ~Pool() {
        {
            std::lock_guard<std::mutex> lk(m_);
            stop_ = true;
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
        {
            std::lock_guard<std::mutex> lk(m_);
            while (static_cast<int>(workers_.size()) < job.helpers_wanted)
                workers_.emplace_back([this] { worker_loop(); });
            open_.push_back(&job);
        }
        cv_.notify_all();
        t_inside_pool = true;
        work(job);
        t_inside_pool = false;
        {
            std::unique_lock<std::mutex> lk(m_);
            // Every chunk is taken: no worker may join from now on, and the job ends when the last helper leaves.
            const auto it = std::find(open_.begin(), open_.end(), &job);
            if (it != open_.end()) open_.erase(it);
            job.done.wait(lk, [&] { return job.helpers_active == 0; });
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
        std::unique_lock<std::mutex> lk(m_);
        for (;;) {
            cv_.wait(lk, [this] { return stop_ || !open_.empty(); });
            if (stop_) return;
            Job* job = open_.front();
            ++job->helpers_active;
            if (--job->helpers_wanted == 0) open_.erase(open_.begin());
            lk.unlock();
            work(*job);
            lk.lock();
            // Notified under the lock: the caller cannot see 0, return and destroy the job before this ends.
            if (--job->helpers_active == 0) job->done.notify_one();
        }
    }

    std::mutex m_;
    std::condition_variable cv_;
    std::vector<std::thread> workers_;
    std::vector<Job*> open_;  // jobs with helper slots left, oldest first
    bool stop_ = false;
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
