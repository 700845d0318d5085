// Paired comparisons of two configurations trained with the same seeds: the question a sweep ends with ("is B
// really better than A, or is it seed noise?"). Pairing by seed removes what the two runs of one seed share (the
// data order, the initial weights' luck), so the per-seed differences b_i - a_i are much less noisy than two
// independent means. The interval is Student's t over those differences (Boost.Math's quantile).
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace moe {

// Over the pairs (a_i, b_i) where both are finite; d_i = b_i - a_i.
struct PairedComparison {
    int n = 0;               // pairs used
    double mean_diff = NAN;  // mean of d_i (NaN with no pair)
    double sd = NAN;         // sample standard deviation of d_i (NaN with fewer than two pairs)
    double se = NAN;         // sd / sqrt(n)
    double ci_low = NAN;     // mean_diff -/+ t_{0.975, n-1} * se: the 95 % interval (NaN with fewer than two pairs)
    double ci_high = NAN;
    int wins_a = 0;  // pairs with a_i < b_i (A lower)
    int wins_b = 0;  // pairs with b_i < a_i (B lower)
    int ties = 0;    // pairs with a_i == b_i
    // True when the interval exists and holds 0: the data cannot tell the sign of the difference.
    bool within_noise() const { return std::isfinite(ci_low) && ci_low <= 0.0 && ci_high >= 0.0; }
};

// a and b are the two configurations' values seed by seed (a[i] and b[i] from the same seed). Throws
// std::invalid_argument when their sizes differ (a pairing bug, not bad input).
PairedComparison paired_comparison(const std::vector<double>& a, const std::vector<double>& b);

// The two-sided 95 % critical value of Student's t with `dof` degrees of freedom, t_{0.975, dof} (12.706 for 1,
// 4.303 for 2, -> 1.960); NaN for dof < 1.
double t_critical_95(int dof);

// mean -/+ t_{0.975, n-1} * sd / sqrt(n): the 95 % interval of a mean of n values with sample sd; NaN when n < 2.
struct Interval {
    double low = NAN, high = NAN;
};
Interval mean_interval_95(double mean, double sd, int n);

// For people, e.g. "B − A = −0.041 nats (95 % CI −0.060 … −0.022, n = 3 seeds, B lower in 3 of 3)", ending with
// ": within noise" when the interval holds 0; the side named lower is the one lower in more seeds (B when even).
// With one pair it says there is no interval, with none that nothing could be compared. Signs use U+2212.
std::string describe_paired(const PairedComparison& p, const std::string& label_a = "A",
                            const std::string& label_b = "B", const std::string& unit = "nats");

}  // namespace moe
