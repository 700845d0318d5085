// The shared worker pool (core/parallel.h): the width belongs to the calling thread (a ParallelScope), concurrent
// parallel_for calls from several threads are safe and give the same results as serial ones, and two Trainers
// trained at the same time on two threads, each with its own thread count, give bit for bit the losses of the same
// runs done one after the other (no trainer sets the thread count of another).
#include "core/config.h"
#include "core/parallel.h"
#include "core/train/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace moe {
namespace {

// A width no machine's core count equals by accident: more than all cores.
int more_than_all_cores() {
    const ParallelScope all(0);
    return num_threads() + 1;
}

// The default width is the cores the process may use, not the machine's count: a CI runner's container or a
// `taskset` gets a pool no wider than its CPUs. ctest also runs this under `taskset -c 0` (tests/CMakeLists.txt),
// where a width taken from the machine (2 or more) fails it.
TEST(ParallelPool, TheDefaultWidthIsTheCoresOfTheAffinityMask) {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
    const ParallelScope all(0);
    EXPECT_GE(num_threads(), 1);
    EXPECT_LE(num_threads(), CPU_COUNT(&set));
    EXPECT_LE(num_threads(), int(std::max(1u, std::thread::hardware_concurrency())));
#else
    GTEST_SKIP() << "the affinity mask is read on Linux only";
#endif
}

TEST(ParallelPool, AScopeSetsOnlyTheCallingThreadsWidthAndRestoresIt) {
    const int outside = num_threads();
    EXPECT_GE(outside, 1);
    {
        const ParallelScope three(3);
        EXPECT_EQ(num_threads(), 3);
        {
            const ParallelScope one(1);
            EXPECT_EQ(num_threads(), 1);
        }
        EXPECT_EQ(num_threads(), 3);
    }
    EXPECT_EQ(num_threads(), outside);

    // Another thread's scope, alive while this one looks: this thread's width does not move.
    std::latch set(1), seen(1);
    const int wide = more_than_all_cores();
    std::thread other([&] {
        const ParallelScope scope(wide);
        EXPECT_EQ(num_threads(), wide);
        set.count_down();
        seen.wait();
    });
    set.wait();
    EXPECT_EQ(num_threads(), outside);
    seen.count_down();
    other.join();
}

TEST(ParallelPool, WidthOneRunsEveryChunkOnTheCaller) {
    const ParallelScope one(1);
    const int64_t n = 1000, grain = 7, chunks = (n + grain - 1) / grain;
    std::vector<std::thread::id> who(chunks);
    parallel_for(n, grain, [&](int64_t b, int64_t) { who[b / grain] = std::this_thread::get_id(); });
    for (const auto& id : who) EXPECT_EQ(id, std::this_thread::get_id());
}

// Several threads, each with its own width, run many parallel_for calls at once (with a nested one inside each
// chunk): every result equals the serial one, and no call uses more threads than its caller's width.
TEST(ParallelPool, ConcurrentCallersGetSerialResultsWithinTheirWidth) {
    const int64_t n = 2000, grain = 16, chunks = (n + grain - 1) / grain;
    auto value = [](int64_t i) { return std::sin(double(i)) * 1e-3 + double(i % 13); };
    std::vector<double> expected(chunks, 0.0);
    for (int64_t i = 0; i < n; ++i) expected[i / grain] += value(i);

    const int widths[] = {1, 2, 3, more_than_all_cores()};
    std::vector<std::thread> callers;
    std::vector<int> bad_results(4, 0), too_wide(4, 0);
    std::latch start(4);
    for (int c = 0; c < 4; ++c)
        callers.emplace_back([&, c] {
            const ParallelScope scope(widths[c]);
            start.arrive_and_wait();
            for (int rep = 0; rep < 30; ++rep) {
                std::vector<double> sums(chunks, 0.0);
                std::vector<std::thread::id> who(chunks);
                parallel_for(n, grain, [&](int64_t b, int64_t e) {
                    who[b / grain] = std::this_thread::get_id();
                    double s = 0;
                    for (int64_t i = b; i < e; ++i) s += value(i);
                    // Nested: runs inline on this chunk's thread, its sub-chunks in order, so the same sum.
                    double nested = 0;
                    parallel_for(e - b, 4, [&](int64_t nb, int64_t ne) {
                        for (int64_t i = nb; i < ne; ++i) nested += value(b + i);
                    });
                    sums[b / grain] = nested == s ? s : NAN;
                });
                if (sums != expected) ++bad_results[c];
                if (std::set<std::thread::id>(who.begin(), who.end()).size() > size_t(widths[c])) ++too_wide[c];
            }
        });
    for (auto& t : callers) t.join();
    for (int c = 0; c < 4; ++c) {
        EXPECT_EQ(bad_results[c], 0) << "width " << widths[c];
        EXPECT_EQ(too_wide[c], 0) << "width " << widths[c];
    }
}

TEST(ParallelPool, AnExceptionInAChunkReachesTheCallerAndThePoolGoesOn) {
    const ParallelScope scope(3);
    EXPECT_THROW(parallel_for(1000, 10,
                              [](int64_t b, int64_t) {
                                  if (b == 500) throw std::runtime_error("chunk 50 failed");
                              }),
                 std::runtime_error);
    std::vector<int> hit(100, 0);
    parallel_for(1000, 10, [&](int64_t b, int64_t) { hit[b / 10] = 1; });
    EXPECT_EQ(std::vector<int>(100, 1), hit);
}

// ---- Two trainers at once. ----

Config tiny(const std::string& preset, std::vector<std::string> extra) {
    std::vector<std::string> s = {"hidden_size=32",  "num_attention_heads=2", "ffn_base_width=32",
                                  "seq_len=32",      "batch_size=4",          "steps=4",
                                  "eval_interval=2", "eval_sequences=2",      "corpus_bytes_per_domain=6000",
                                  "routing_interval=2"};
    s.insert(s.end(), extra.begin(), extra.end());
    return resolve_config(preset, "", s);
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

struct RunTrace {
    std::vector<double> values;  // per step: loss, aux loss, gradient norm, validation loss; then a final evaluate
};

RunTrace train(const Config& c) {
    Trainer t(c);
    RunTrace r;
    for (int s = 0; s < c.train.steps; ++s) {
        const StepMetrics m = t.train_step();
        r.values.insert(r.values.end(), {m.loss, m.aux_loss, m.grad_norm, m.val_loss});
    }
    r.values.push_back(t.evaluate_loss());
    return r;
}

void expect_identical(const RunTrace& a, const RunTrace& b, const char* what) {
    ASSERT_EQ(a.values.size(), b.values.size()) << what;
    for (size_t i = 0; i < a.values.size(); ++i)
        EXPECT_TRUE(same_bits(a.values[i], b.values[i])) << what << " value " << i << ": " << a.values[i] << " vs "
                                                         << b.values[i];
}

TEST(ParallelPool, BuildingATrainerLeavesTheCallersWidthAlone) {
    const int before = num_threads();
    Trainer t(tiny("deepseek", {"threads=" + std::to_string(more_than_all_cores())}));
    EXPECT_EQ(num_threads(), before);
    t.train_step();
    EXPECT_EQ(num_threads(), before);
}

TEST(ParallelPool, TwoTrainersOnTwoThreadsMatchTheSameRunsDoneSerially) {
    const Config a = tiny("deepseek", {"threads=1", "seed=3"});
    const Config b = tiny("gshard", {"threads=" + std::to_string(more_than_all_cores()), "seed=4"});
    const RunTrace serial_a = train(a), serial_b = train(b);

    RunTrace conc_a, conc_b;
    std::latch start(2);
    std::thread ta([&] {
        start.arrive_and_wait();
        conc_a = train(a);
    });
    std::thread tb([&] {
        start.arrive_and_wait();
        conc_b = train(b);
    });
    ta.join();
    tb.join();
    expect_identical(serial_a, conc_a, "deepseek, 1 thread");
    expect_identical(serial_b, conc_b, "gshard, all cores + 1");
}

}  // namespace
}  // namespace moe
