#include "core/layers/cross_entropy.h"

#include "core/parallel.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace moe {
namespace {

constexpr int64_t kRowGrain = 16;  // rows per chunk (fixed, see parallel.h)

void check_targets(const std::vector<int32_t>& targets, int64_t n, int64_t c, const char* who) {
    if (static_cast<int64_t>(targets.size()) != n)
        throw std::invalid_argument(std::string(who) + ": need one target per row");
    for (int32_t t : targets)
        if (t < 0 || t >= c) throw std::invalid_argument(std::string(who) + ": target out of range [0, C)");
}

}  // namespace

template <class T>
double cross_entropy_forward(const MatT<T>& logits, const std::vector<int32_t>& targets, MatT<T>& probs,
                             std::vector<double>* row_loss) {
    const int64_t n = logits.rows(), c = logits.cols();
    check_targets(targets, n, c, "cross_entropy_forward");
    probs.resize(n, c);
    std::vector<double> losses(static_cast<size_t>(n));

    parallel_for(n, kRowGrain, [&](int64_t r0, int64_t r1) {
        for (int64_t i = r0; i < r1; ++i) {
            const T* lr = logits.data() + i * c;
            T* pr = probs.data() + i * c;
            // Subtracting the row max keeps every exp() <= 1, so nothing overflows; the result is unchanged.
            // Array expressions, so that exp and the sum are vectorised (a scalar std::exp loop over the 256
            // logits of every token was ~5% of a lesson's step). The sum is in double.
            const Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> l(lr, c);
            Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> p(pr, c);
            const T mx = l.maxCoeff();
            p = (l - mx).exp();
            const double sum = p.template cast<double>().sum();
            p *= static_cast<T>(1.0 / sum);
            // -log softmax_t = log(sum_j exp(l_j - max)) - (l_t - max), in double.
            losses[static_cast<size_t>(i)] = std::log(sum) - static_cast<double>(lr[targets[i]] - mx);
        }
    });

    // The mean is summed serially in row order, so it does not depend on the thread count.
    double total = 0.0;
    for (double l : losses) total += l;
    if (row_loss) *row_loss = std::move(losses);
    return n > 0 ? total / static_cast<double>(n) : 0.0;
}

template <class T>
void cross_entropy_backward(const MatT<T>& probs, const std::vector<int32_t>& targets, T scale, MatT<T>& dlogits) {
    const int64_t n = probs.rows(), c = probs.cols();
    check_targets(targets, n, c, "cross_entropy_backward");
    dlogits.resize(n, c);
    if (n == 0) return;
    const T s = scale / static_cast<T>(n);
    parallel_for(n, kRowGrain, [&](int64_t r0, int64_t r1) {
        for (int64_t i = r0; i < r1; ++i) {
            const T* pr = probs.data() + i * c;
            T* gr = dlogits.data() + i * c;
            for (int64_t j = 0; j < c; ++j) gr[j] = s * pr[j];
            gr[targets[i]] = s * (pr[targets[i]] - T(1));
        }
    });
}

template double cross_entropy_forward<float>(const Mat&, const std::vector<int32_t>&, Mat&, std::vector<double>*);
template double cross_entropy_forward<double>(const MatD&, const std::vector<int32_t>&, MatD&, std::vector<double>*);
template void cross_entropy_backward<float>(const Mat&, const std::vector<int32_t>&, float, Mat&);
template void cross_entropy_backward<double>(const MatD&, const std::vector<int32_t>&, double, MatD&);

}  // namespace moe
