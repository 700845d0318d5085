// The statistics of a sweep's final table: mean, sample standard deviation, 95 % interval, min and max over the
// finite values, and the paired comparison against the baseline seed by seed (core/train/paired_stats.h), with the
// tables write_sweep_tables writes from them.
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/train/paired_stats.h"
#include "core/train/sweep.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

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

// t_{0.975, 2} from a printed table of Student's t (e.g. any statistics textbook's appendix), not from the code.
constexpr double kT975Dof2 = 4.302653;

TEST(PairedStats, HandComputedMeanSdSeAndInterval) {
    // Differences b - a = {-0.04, -0.05, -0.06}: mean -0.05, sd = sqrt((0.01² + 0 + 0.01²) / 2) = 0.01,
    // se = 0.01 / sqrt(3), interval -0.05 -/+ 4.302653 * se.
    const std::vector<double> a = {2.00, 2.10, 1.90};
    const std::vector<double> b = {1.96, 2.05, 1.84};
    const PairedComparison p = paired_comparison(a, b);
    EXPECT_EQ(p.n, 3);
    EXPECT_NEAR(p.mean_diff, -0.05, 1e-12);
    EXPECT_NEAR(p.sd, 0.01, 1e-12);
    const double se = 0.01 / std::sqrt(3.0);
    EXPECT_NEAR(p.se, se, 1e-12);
    EXPECT_NEAR(p.ci_low, -0.05 - kT975Dof2 * se, 1e-8);
    EXPECT_NEAR(p.ci_high, -0.05 + kT975Dof2 * se, 1e-8);
    EXPECT_EQ(p.wins_b, 3);
    EXPECT_EQ(p.wins_a, 0);
    EXPECT_EQ(p.ties, 0);
    EXPECT_FALSE(p.within_noise());
    EXPECT_NEAR(t_critical_95(2), kT975Dof2, 1e-6);
    EXPECT_NEAR(t_critical_95(1), 12.706205, 1e-6);
    EXPECT_NEAR(t_critical_95(1000), 1.962339, 1e-6);  // -> the normal's 1.96
    EXPECT_TRUE(std::isnan(t_critical_95(0)));
    // Swapping A and B flips the sign and the wins, not the spread.
    const PairedComparison q = paired_comparison(b, a);
    EXPECT_NEAR(q.mean_diff, 0.05, 1e-12);
    EXPECT_NEAR(q.ci_low, -p.ci_high, 1e-12);
    EXPECT_EQ(q.wins_a, 3);
}

TEST(PairedStats, OnePairHasAMeanAndWinsButNoInterval) {
    const PairedComparison p = paired_comparison({2.0}, {2.5});
    EXPECT_EQ(p.n, 1);
    EXPECT_DOUBLE_EQ(p.mean_diff, 0.5);
    EXPECT_EQ(p.wins_a, 1);
    EXPECT_EQ(p.wins_b, 0);
    EXPECT_TRUE(std::isnan(p.sd));
    EXPECT_TRUE(std::isnan(p.se));
    EXPECT_TRUE(std::isnan(p.ci_low));
    EXPECT_TRUE(std::isnan(p.ci_high));
    EXPECT_FALSE(p.within_noise());
    const PairedComparison none = paired_comparison({}, {});
    EXPECT_EQ(none.n, 0);
    EXPECT_TRUE(std::isnan(none.mean_diff));
}

TEST(PairedStats, PairsWithAMissingSideAreSkippedAndTiesCounted) {
    // Pairs 1 (A failed) and 3 (B failed) are left out; pair 4 is a tie. Differences {-1, 0, +0.5}.
    const PairedComparison p = paired_comparison({3.0, NAN, 2.0, 1.0, 4.0}, {2.0, 1.0, 2.0, NAN, 4.5});
    EXPECT_EQ(p.n, 3);
    EXPECT_NEAR(p.mean_diff, -0.5 / 3.0, 1e-12);
    const double m = -0.5 / 3.0;
    const double sd = std::sqrt(((-1 - m) * (-1 - m) + m * m + (0.5 - m) * (0.5 - m)) / 2.0);
    EXPECT_NEAR(p.sd, sd, 1e-12);
    EXPECT_EQ(p.wins_b, 1);
    EXPECT_EQ(p.wins_a, 1);
    EXPECT_EQ(p.ties, 1);
    EXPECT_TRUE(p.within_noise());
    EXPECT_THROW(paired_comparison({1.0, 2.0}, {1.0}), std::invalid_argument);
}

TEST(PairedStats, DescribedForPeople) {
    const PairedComparison p = paired_comparison({2.00, 2.10, 1.90}, {1.96, 2.05, 1.84});
    // -0.05 -/+ 4.302653 * 0.01 / sqrt(3) = -0.05 -/+ 0.02484: -0.075 ... -0.025.
    EXPECT_EQ(describe_paired(p),
              "B \u2212 A = \u22120.050 nats (95 % CI \u22120.075 \u2026 \u22120.025, n = 3 seeds, B lower in 3 of 3)");
    EXPECT_EQ(describe_paired(p, "gshard", "deepseek").rfind("deepseek \u2212 gshard = ", 0), 0u);
    const std::string noisy = describe_paired(paired_comparison({2.0, 2.0, 2.0}, {1.99, 2.02, 1.98}));
    EXPECT_NE(noisy.find("B lower in 2 of 3"), std::string::npos) << noisy;
    EXPECT_NE(noisy.find(": within noise"), std::string::npos) << noisy;
    const std::string one = describe_paired(paired_comparison({2.0}, {1.9}));
    EXPECT_NE(one.find("no interval"), std::string::npos) << one;
    EXPECT_NE(one.find("B lower in 1 of 1"), std::string::npos) << one;
    EXPECT_NE(describe_paired(PairedComparison{}).find("nothing to compare"), std::string::npos);
    // When A is lower in more seeds, A is the side named.
    const std::string worse = describe_paired(paired_comparison({2.0, 2.0, 2.0}, {2.1, 2.2, 1.9}), "gshard", "deepseek");
    EXPECT_NE(worse.find("gshard lower in 2 of 3"), std::string::npos) << worse;
}

TEST(SweepStats, MeanIntervalUsesStudentsT) {
    // {1, 2, 3}: mean 2, sd 1, 2 -/+ 4.302653 / sqrt(3).
    const SweepStats s = sweep_stats({1.0, 2.0, 3.0});
    EXPECT_NEAR(s.ci_low, 2.0 - kT975Dof2 / std::sqrt(3.0), 1e-6);
    EXPECT_NEAR(s.ci_high, 2.0 + kT975Dof2 / std::sqrt(3.0), 1e-6);
    EXPECT_TRUE(std::isnan(sweep_stats({1.0}).ci_low));
}

// Two configurations x seeds {1, 2, 3}, the runs out of order, B's seed 2 failed; per-domain losses on every run.
struct TwoConfigSweep {
    SweepPlan plan;
    std::vector<SweepRun> runs;
    TwoConfigSweep() {
        plan.seeds = {1, 2, 3};
        plan.configs.resize(2);
        plan.configs[0].label = "A";
        plan.configs[1].label = "B";
        auto add = [&](size_t config, uint64_t seed, double val, double web, double code, const char* status = "ok") {
            SweepRun r;
            r.config = config, r.seed = seed, r.status = status, r.outcome.final_val_loss = val;
            r.domain_val_loss = {{"web", web}, {"code", code}};
            runs.push_back(r);
        };
        add(0, 3, 2.3, 2.6, 2.0);
        add(0, 1, 2.0, 2.2, 1.8);
        add(0, 2, 2.1, 2.4, 1.9);
        add(1, 1, 1.9, 2.0, 1.8);
        add(1, 2, 1.0, 1.0, 1.0, "failed: NaN");
        add(1, 3, 2.25, 2.5, 2.05);
    }
};

TEST(SweepStats, PairedVsBaselinePairsBySeedAndSkipsFailedRuns) {
    const TwoConfigSweep s;
    EXPECT_EQ(final_val_by_seed(s.plan, s.runs, 0), (std::vector<double>{2.0, 2.1, 2.3}));
    // Seeds 1 and 3 pair: B - A = {-0.1, -0.05}.
    const PairedComparison p = paired_vs_baseline(s.plan, s.runs, 1);
    EXPECT_EQ(p.n, 2);
    EXPECT_NEAR(p.mean_diff, -0.075, 1e-12);
    EXPECT_EQ(p.wins_b, 2);
    // Per domain: code B - A = {0, +0.05}.
    const PairedComparison code = paired_vs_baseline(s.plan, s.runs, 1, "code");
    EXPECT_EQ(code.n, 2);
    EXPECT_NEAR(code.mean_diff, 0.025, 1e-12);
    EXPECT_EQ(code.ties, 1);
    EXPECT_EQ(code.wins_a, 1);
    EXPECT_EQ(sweep_domains(s.runs), (std::vector<std::string>{"web", "code"}));
    // With B as the baseline, A is compared with it: the sign flips.
    SweepPlan flipped = s.plan;
    flipped.baseline = 1;
    EXPECT_NEAR(paired_vs_baseline(flipped, s.runs, 0).mean_diff, 0.075, 1e-12);
}

TEST(SweepStats, ConfigurationByLabelOrIndex) {
    const TwoConfigSweep s;
    EXPECT_EQ(sweep_config_index(s.plan, "B"), 1u);
    EXPECT_EQ(sweep_config_index(s.plan, "1"), 1u);
    EXPECT_EQ(sweep_config_index(s.plan, "0"), 0u);
    try {
        sweep_config_index(s.plan, "C");
        FAIL() << "an unknown baseline must be refused";
    } catch (const ConfigError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("'C'"), std::string::npos) << what;
        EXPECT_NE(what.find("1 \"B\""), std::string::npos) << what;  // lists what there is
    }
    EXPECT_THROW(sweep_config_index(s.plan, "2"), ConfigError);
    EXPECT_THROW(sweep_config_index(s.plan, "-1"), ConfigError);
}

std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream in(line);
    for (std::string c; std::getline(in, c, ',');) out.push_back(c);
    if (!line.empty() && line.back() == ',') out.push_back("");
    return out;
}

TEST(SweepStats, SummaryTablesHoldThePairedColumns) {
    const TwoConfigSweep s;
    const auto dir = std::filesystem::temp_directory_path() / "moelab-sweep-stats-summary";
    std::filesystem::remove_all(dir);
    ensure_directory(dir);
    write_sweep_tables(dir, s.plan, s.runs);
    std::stringstream csv(read_file(dir / "summary.csv"));
    std::string header, row_a, row_b;
    std::getline(csv, header), std::getline(csv, row_a), std::getline(csv, row_b);
    const auto names = cells(header);
    // The old columns first, unchanged, so old readers still work.
    const std::vector<std::string> old = {"label", "preset", "runs", "val_loss_mean", "val_loss_sd",
                                          "val_loss_min", "val_loss_max", "aux_loss_mean"};
    ASSERT_GE(names.size(), old.size());
    EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 8), old);
    auto column = [&](const std::string& name) {
        const auto at = std::find(names.begin(), names.end(), name);
        EXPECT_NE(at, names.end()) << name << " missing from " << header;
        return static_cast<size_t>(at - names.begin());
    };
    const auto a = cells(row_a), b = cells(row_b);
    ASSERT_EQ(a.size(), names.size()) << row_a;
    ASSERT_EQ(b.size(), names.size()) << row_b;
    EXPECT_EQ(a[column("diff_mean")], "");  // the baseline is not compared with itself
    EXPECT_NEAR(std::stod(b[column("diff_mean")]), -0.075, 1e-6);
    EXPECT_EQ(b[column("wins")], "2");
    EXPECT_EQ(b[column("losses")], "0");
    EXPECT_EQ(b[column("n_pairs")], "2");
    EXPECT_NEAR(std::stod(b[column("diff_code")]), 0.025, 1e-6);
    EXPECT_NEAR(std::stod(b[column("diff_web")]), (-0.2 - 0.1) / 2, 1e-6);
    // A's own mean interval: {2.0, 2.1, 2.3}.
    const SweepStats sa = sweep_stats({2.0, 2.1, 2.3});
    EXPECT_NEAR(std::stod(a[column("ci_low")]), sa.ci_low, 1e-5);
    EXPECT_NEAR(std::stod(a[column("ci_high")]), sa.ci_high, 1e-5);

    std::ifstream in(dir / "summary.json");
    const nlohmann::json j = nlohmann::json::parse(in);
    EXPECT_EQ(j["baseline"], "A");
    const auto& jb = j["configs"][1];
    EXPECT_FALSE(jb["baseline"].get<bool>());
    EXPECT_NEAR(jb["diff_mean"].get<double>(), -0.075, 1e-12);
    // Two differences {-0.1, -0.05}: sd = 0.05 / sqrt(2), se = 0.025, t_{0.975, 1} = 12.706205.
    EXPECT_NEAR(jb["diff_se"].get<double>(), 0.025, 1e-12);
    EXPECT_NEAR(jb["diff_ci_low"].get<double>(), -0.075 - 12.706205 * 0.025, 1e-6);
    EXPECT_EQ(jb["n_pairs"], 2);
    EXPECT_NEAR(jb["domain_diff"]["code"]["diff_mean"].get<double>(), 0.025, 1e-12);
    EXPECT_NEAR(jb["domain_val_loss_mean"]["web"].get<double>(), (2.0 + 2.5) / 2, 1e-12);
    EXPECT_TRUE(j["configs"][0]["diff_mean"].is_null());
    EXPECT_TRUE(j["configs"][0]["baseline"].get<bool>());

    SweepPlan bad = s.plan;
    bad.baseline = 2;
    EXPECT_THROW(write_sweep_tables(dir, bad, s.runs), ConfigError);
    std::filesystem::remove_all(dir);
}

TEST(SweepStats, FinalDomainLossesAreTheLastEvaluatedRow) {
    const auto dir = std::filesystem::temp_directory_path() / "moelab-sweep-stats-metrics";
    std::filesystem::remove_all(dir);
    ensure_directory(dir);
    EXPECT_TRUE(final_domain_val_losses(dir).empty());  // no metrics.csv
    write_file_atomic(dir / "metrics.csv",
                      "step,loss,val_loss,accuracy,val_loss_web,val_loss_code,layer0_val_max_violation\n"
                      "1,3.0,2.9,0.1,3.1,2.7,0.5\n"
                      "2,2.8,2.5,0.2,2.6,2.4,0.4\n"
                      "3,2.7,,0.2,,,\n");
    const auto losses = final_domain_val_losses(dir);
    ASSERT_EQ(losses.size(), 2u);
    EXPECT_EQ(losses[0].first, "web");
    EXPECT_DOUBLE_EQ(losses[0].second, 2.6);
    EXPECT_EQ(losses[1].first, "code");
    EXPECT_DOUBLE_EQ(losses[1].second, 2.4);
    write_file_atomic(dir / "metrics.csv", "step,loss,val_loss\n1,3.0,2.9\n");
    EXPECT_TRUE(final_domain_val_losses(dir).empty());  // a single-domain run has no such column
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace moe
