// Assembles the bundled corpus from its five domain generators.
#include "datasets/corpus.h"

#include "core/rng.h"
#include "datasets/corpus_generators.h"
#include "datasets/seeding.h"

namespace moe {

namespace data_detail {

std::string fit_to_lines(std::string text, size_t n) {
    if (text.size() <= n) {
        text.resize(n, '\n');
        return text;
    }
    const size_t last_newline = n == 0 ? std::string::npos : text.rfind('\n', n - 1);
    // A domain with no newline in its first n bytes (only when n is tiny) is cut as it is.
    text.resize(last_newline == std::string::npos ? n : last_newline + 1);
    text.resize(n, '\n');
    return text;
}

}  // namespace data_detail

const std::vector<std::string>& corpus_domain_names() {
    static const std::vector<std::string> names = {"prose", "code", "arithmetic", "dna", "markup"};
    return names;
}

std::vector<TextDomain> generate_corpus(int bytes_per_domain) {
    using namespace data_detail;
    // The corpus is part of the program, not of a run: a fixed seed, one stream per domain, so that a domain's
    // text does not change when another generator is edited.
    constexpr uint64_t kCorpusSeed = 0x4D6F454C6162ull;
    using Generator = std::string (*)(Rng&, size_t);
    static constexpr Generator generators[] = {generate_prose, generate_code, generate_arithmetic, generate_dna,
                                               generate_markup};
    const size_t n = bytes_per_domain > 0 ? static_cast<size_t>(bytes_per_domain) : 0;
    std::vector<TextDomain> corpus;
    for (size_t d = 0; d < corpus_domain_names().size(); ++d) {
        Rng rng(mix64(kCorpusSeed + d));
        corpus.push_back({corpus_domain_names()[d], n == 0 ? std::string() : generators[d](rng, n)});
    }
    return corpus;
}

}  // namespace moe
