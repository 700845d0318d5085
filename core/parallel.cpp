#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace moe {
namespace {

thread_local bool t_inside_pool = false;

class Pool {
public:
    ~Pool() { resize(1); }

    void resize(int n) {
        std::lock_guard<std::mutex> run_lock(run_mutex_);
        {
            std::lock_guard<std::mutex> lk(m_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& t : workers_) t.join();
        workers_.clear();
        stop_ = false;
        n_threads_ = std::max(1, n);
        for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
    }

    int size() const { return n_threads_; }

    void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
        if (n <= 0) return;
        grain = std::max<int64_t>(1, grain);
        const int64_t chunks = (n + grain - 1) / grain;
        if (chunks == 1 || n_threads_ == 1 || t_inside_pool) {
            for (int64_t c = 0; c < chunks; ++c) fn(c * grain, std::min(n, (c + 1) * grain));
            return;
        }
        std::lock_guard<std::mutex> run_lock(run_mutex_);  // one parallel region at a time
        {
            std::lock_guard<std::mutex> lk(m_);
            job_ = &fn;
            n_ = n;
            grain_ = grain;
            chunks_ = chunks;
            next_.store(0);
            active_ = static_cast<int>(workers_.size());
            ++generation_;
        }
        cv_.notify_all();
        t_inside_pool = true;
        work();
        t_inside_pool = false;
        std::unique_lock<std::mutex> lk(m_);
        done_cv_.wait(lk, [this] { return active_ == 0; });
        job_ = nullptr;
    }

private:
    void work() {
        for (;;) {
            const int64_t c = next_.fetch_add(1);
            if (c >= chunks_) return;
            (*job_)(c * grain_, std::min(n_, (c + 1) * grain_));
        }
    }

    void worker_loop() {
        t_inside_pool = true;
        uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lk(m_);
                cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
            }
            work();
            {
                std::lock_guard<std::mutex> lk(m_);
                if (--active_ == 0) done_cv_.notify_one();
            }
        }
    }

    std::mutex run_mutex_;
    std::mutex m_;
    std::condition_variable cv_, done_cv_;
    std::vector<std::thread> workers_;
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t n_ = 0, grain_ = 1, chunks_ = 0;
    std::atomic<int64_t> next_{0};
    int active_ = 0;
    uint64_t generation_ = 0;
    bool stop_ = false;
    int n_threads_ = 1;
};

Pool& pool() {
    static Pool p;
    return p;
}

}  // namespace

void set_num_threads(int n) {
    if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (n != pool().size()) pool().resize(n);
}

int num_threads() { return pool().size(); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    pool().run(n, grain, fn);
}

}  // namespace moe
