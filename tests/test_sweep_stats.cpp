// The statistics of a sweep's final table: mean, sample standard deviation, min and max over the finite values.
#include "core/train/sweep.h"

#include <gtest/gtest.h>

#include <cmath>

namespace moe {
namespace {

TEST(SweepStats, MeanSampleSdMinMaxSkipFailedRuns) {
    const SweepStats s = sweep_stats({3.0, 1.0, NAN, 2.0});
    EXPECT_EQ(s.n, 3);
    EXPECT_DOUBLE_EQ(s.mean, 2.0);
    EXPECT_DOUBLE_EQ(s.sd, 1.0);  // sqrt(((1)^2 + (1)^2 + 0) / (3 - 1))
    EXPECT_DOUBLE_EQ(s.min, 1.0);
    EXPECT_DOUBLE_EQ(s.max, 3.0);
}

TEST(SweepStats, OneRunHasNoSpreadAndNoneHasNoMean) {
    const SweepStats one = sweep_stats({1.5});
    EXPECT_EQ(one.n, 1);
    EXPECT_DOUBLE_EQ(one.mean, 1.5);
    EXPECT_TRUE(std::isnan(one.sd));
    const SweepStats none = sweep_stats({NAN});
    EXPECT_EQ(none.n, 0);
    EXPECT_TRUE(std::isnan(none.mean));
}

TEST(SweepStats, FinalValStatsCountOnlyTheConfigsFinishedRuns) {
    std::vector<SweepRun> runs(4);
    runs[0].config = 0, runs[0].outcome.final_val_loss = 2.0;
    runs[1].config = 0, runs[1].outcome.final_val_loss = 4.0;
    runs[2].config = 1, runs[2].outcome.final_val_loss = 9.0;
    runs[3].config = 0, runs[3].outcome.final_val_loss = 1.0, runs[3].status = "failed: NaN";
    const SweepStats s = final_val_stats(runs, 0);
    EXPECT_EQ(s.n, 2);
    EXPECT_DOUBLE_EQ(s.mean, 3.0);
    EXPECT_DOUBLE_EQ(s.sd, std::sqrt(2.0));
}

}  // namespace
}  // namespace moe
