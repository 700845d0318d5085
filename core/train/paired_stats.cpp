#include "core/train/paired_stats.h"

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace moe {
namespace {

// Enough decimals that the interval's half-width shows two significant digits (at least 3, at most 6).
int decimals_for(const PairedComparison& p) {
    const double half = std::isfinite(p.ci_high) ? (p.ci_high - p.ci_low) / 2 : std::abs(p.mean_diff);
    if (!(half > 0)) return 3;
    return std::clamp(1 - static_cast<int>(std::floor(std::log10(half))), 3, 6);
}

// x with `decimals` decimals and a typographic minus; a value that rounds to zero has no sign.
std::string signed_text(double x, int decimals) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    std::string s = buf;
    if (s[0] != '-') return s;
    if (s.find_first_of("123456789") == std::string::npos) return s.substr(1);
    return "\u2212" + s.substr(1);
}

}  // namespace

PairedComparison paired_comparison(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size())
        throw std::invalid_argument("paired_comparison: " + std::to_string(a.size()) + " values of A against " +
                                    std::to_string(b.size()) + " of B; pair them seed by seed");
    PairedComparison p;
    std::vector<double> d;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!std::isfinite(a[i]) || !std::isfinite(b[i])) continue;  // a failed or missing run: no pair
        d.push_back(b[i] - a[i]);
        if (a[i] < b[i])
            ++p.wins_a;
        else if (b[i] < a[i])
            ++p.wins_b;
        else
            ++p.ties;
    }
    p.n = static_cast<int>(d.size());
    if (p.n == 0) return p;
    double sum = 0;
    for (double x : d) sum += x;
    p.mean_diff = sum / p.n;
    if (p.n < 2) return p;
    double ss = 0;
    for (double x : d) ss += (x - p.mean_diff) * (x - p.mean_diff);
    p.sd = std::sqrt(ss / (p.n - 1));
    p.se = p.sd / std::sqrt(static_cast<double>(p.n));
    const double t = t_critical_95(p.n - 1);
    p.ci_low = p.mean_diff - t * p.se;
    p.ci_high = p.mean_diff + t * p.se;
    return p;
}

double t_critical_95(int dof) {
    if (dof < 1) return NAN;
    return boost::math::quantile(boost::math::students_t_distribution<double>(dof), 0.975);
}

Interval mean_interval_95(double mean, double sd, int n) {
    if (n < 2 || !std::isfinite(mean) || !std::isfinite(sd)) return {};
    const double half = t_critical_95(n - 1) * sd / std::sqrt(static_cast<double>(n));
    return {mean - half, mean + half};
}

std::string describe_paired(const PairedComparison& p, const std::string& label_a, const std::string& label_b,
                            const std::string& unit) {
    const std::string head = label_b + " \u2212 " + label_a;
    if (p.n == 0) return head + ": no seed where both finished, nothing to compare";
    const int dec = decimals_for(p);
    const std::string unit_text = unit.empty() ? "" : " " + unit;
    // Name the side that is lower in more seeds (B when even): "A lower in 3 of 3" reads better than "B lower in 0".
    const bool a_side = p.wins_a > p.wins_b;
    std::string wins = (a_side ? label_a : label_b) + " lower in " + std::to_string(a_side ? p.wins_a : p.wins_b) +
                       " of " + std::to_string(p.n);
    if (p.ties) wins += ", " + std::to_string(p.ties) + (p.ties == 1 ? " tie" : " ties");
    std::string s = head + " = " + signed_text(p.mean_diff, dec) + unit_text;
    if (p.n < 2) return s + " (n = 1 seed, no interval: run more seeds; " + wins + ")";
    s += " (95 % CI " + signed_text(p.ci_low, dec) + " \u2026 " + signed_text(p.ci_high, dec) + ", n = " +
         std::to_string(p.n) + " seeds, " + wins + ")";
    if (p.within_noise()) s += ": within noise";
    return s;
}

}  // namespace moe
