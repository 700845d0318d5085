// Central finite differences in double, for the tests of backward passes: perturb one element of a parameter by
// +-eps in place, re-run a scalar loss, and compare (L+ - L-) / 2 eps with the analytic gradient element by element.
// Shared by the layer, router and MoE-layer gradient tests; each keeps its own eps and tolerance (see FdTolerance).
#pragma once

#include "core/tensor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>

namespace moe::testing {

// How far an analytic element may be from the central difference num: abs + rel * max(floor, |num|).
// floor = 0 is gtest's EXPECT_NEAR(analytic, num, abs + rel |num|); abs = 0, floor = 1 is a relative error that
// turns absolute below 1.
struct FdTolerance {
    double abs = 0.0, rel = 0.0, floor = 0.0;
    double allowed(double num) const { return abs + rel * std::max(floor, std::abs(num)); }
};

// The element that used the largest share of its tolerance (|analytic - numerical| / allowed).
struct FdWorst {
    int64_t index = -1;
    double numerical = 0.0, analytic = 0.0, share = 0.0;
};

// d loss / d *element by central differences; *element is restored. loss() must read the element.
inline double central_difference(double* element, double eps, const std::function<double()>& loss) {
    const double keep = *element;
    *element = keep + eps;
    const double lp = loss();
    *element = keep - eps;
    const double lm = loss();
    *element = keep;
    return (lp - lm) / (2 * eps);
}

// Every element of `analytic` against the central difference of loss() in the same element of `param` (which loss()
// must read; it is perturbed in place and restored). Fails on a shape mismatch or on any element outside the
// tolerance (NaN included), naming how many failed and the worst; `worst` (optional) receives the worst element.
inline ::testing::AssertionResult gradient_matches(MatD& param, const MatD& analytic,
                                                   const std::function<double()>& loss, double eps, FdTolerance tol,
                                                   FdWorst* worst = nullptr) {
    if (param.rows() != analytic.rows() || param.cols() != analytic.cols())
        return ::testing::AssertionFailure() << "gradient is " << analytic.rows() << "x" << analytic.cols()
                                             << ", parameter " << param.rows() << "x" << param.cols();
    FdWorst w;
    int64_t failed = 0;
    for (int64_t i = 0; i < param.size(); ++i) {
        const double num = central_difference(param.data() + i, eps, loss), ana = analytic.data()[i];
        const double err = std::abs(ana - num), allowed = tol.allowed(num);
        if (!(err <= allowed)) ++failed;
        const double share = std::isnan(err) ? INFINITY : allowed > 0 ? err / allowed : err > 0 ? INFINITY : 0.0;
        if (w.index < 0 || share > w.share) w = {i, num, ana, share};
    }
    if (worst) *worst = w;
    if (failed == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << failed << " of " << param.size() << " elements outside the tolerance; worst [" << w.index << "] ("
           << w.index / param.cols() << "," << w.index % param.cols() << "): analytic " << w.analytic
           << ", numerical " << w.numerical << ", " << w.share << " x the allowed " << tol.allowed(w.numerical);
}

}  // namespace moe::testing
