// The generators of the bundled corpus's domains and the small helpers they share. Internal to datasets/.
#pragma once

#include "core/rng.h"

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace moe::data_detail {

// Each returns exactly n bytes.
std::string generate_prose(Rng& rng, size_t n);
std::string generate_code(Rng& rng, size_t n);
std::string generate_arithmetic(Rng& rng, size_t n);
std::string generate_dna(Rng& rng, size_t n);
std::string generate_markup(Rng& rng, size_t n);

// English words shared by the prose and markup domains.
struct Noun {
    const char* one;
    const char* many;
};
struct Verb {
    const char* past;
    const char* base;
};
std::span<const Noun> nouns();
std::span<const char* const> adjectives();
std::span<const Verb> transitive_verbs();
std::span<const Verb> intransitive_verbs();
std::span<const char* const> adverbs();
std::span<const char* const> prepositions();
std::span<const char* const> names();

template <typename T>
const T& pick(Rng& rng, std::span<const T> items) {
    return items[rng.below(items.size())];
}
// True with the given chance in percent.
inline bool chance(Rng& rng, int percent) { return rng.below(100) < static_cast<uint64_t>(percent); }
// Uniform integer in [lo, hi].
inline int between(Rng& rng, int lo, int hi) {
    return lo + static_cast<int>(rng.below(static_cast<uint64_t>(hi - lo + 1)));
}

// Joins parts in order. The elements of a braced list are evaluated left to right, the operands of + are not: an
// expression that draws random numbers in more than one part must use this (or separate statements), or the corpus
// would differ between compilers.
inline std::string cat(std::initializer_list<std::string_view> parts) {
    size_t size = 0;
    for (std::string_view p : parts) size += p.size();
    std::string s;
    s.reserve(size);
    for (std::string_view p : parts) s += p;
    return s;
}

// Cuts text (at least n bytes) to exactly n bytes at its last complete line and pads with newlines, so that no
// domain ends in half a line (a cut "37+58=9" would be a wrong sum).
std::string fit_to_lines(std::string text, size_t n);

}  // namespace moe::data_detail
