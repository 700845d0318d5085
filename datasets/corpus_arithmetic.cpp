// The arithmetic domain: one exercise per line, "a+b=c" or "a*b=c", always with the correct result, so a model
// can only predict the digits after '=' by learning to add and multiply.
#include "datasets/corpus_generators.h"

#include <cstdint>

namespace moe::data_detail {
namespace {

// A number of 1 to max_digits digits, the digit count uniform so that short and long numbers are equally common.
int64_t operand(Rng& rng, int max_digits) {
    const int digits = between(rng, 1, max_digits);
    int64_t lo = 1;
    for (int d = 1; d < digits; ++d) lo *= 10;
    const int64_t hi = lo * 10 - 1;
    return digits == 1 ? between(rng, 0, 9) : lo + static_cast<int64_t>(rng.below(static_cast<uint64_t>(hi - lo + 1)));
}

}  // namespace

std::string generate_arithmetic(Rng& rng, size_t n) {
    std::string text;
    text.reserve(n + 64);
    while (text.size() < n) {
        if (chance(rng, 60)) {
            const int64_t a = operand(rng, 3), b = operand(rng, 3);
            text += std::to_string(a) + '+' + std::to_string(b) + '=' + std::to_string(a + b) + '\n';
        } else {
            const int64_t a = operand(rng, 2), b = operand(rng, chance(rng, 20) ? 3 : 2);
            text += std::to_string(a) + '*' + std::to_string(b) + '=' + std::to_string(a * b) + '\n';
        }
    }
    return fit_to_lines(std::move(text), n);
}

}  // namespace moe::data_detail
