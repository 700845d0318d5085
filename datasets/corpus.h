// The bundled multi-domain byte corpus: five domains with clearly different statistics (English-like prose,
// C-like code, arithmetic, DNA, markup), generated at run time from a fixed internal seed. The corpus is the same
// for every run and every machine; a run's seed only changes which batches are drawn from it.
#pragma once

#include <string>
#include <vector>

namespace moe {

// One domain of a byte dataset: a name shown in plots and the raw bytes.
struct TextDomain {
    std::string name;
    std::string bytes;
};

// Smallest and largest corpus_bytes_per_domain make_dataset accepts. The minimum leaves room for validation
// sequences of a few hundred bytes at the default val_fraction; the maximum keeps generation well under a second.
inline constexpr int kMinCorpusBytesPerDomain = 4096;
inline constexpr int kMaxCorpusBytesPerDomain = 64 << 20;

// "prose", "code", "arithmetic", "dna", "markup", in the order of generate_corpus.
const std::vector<std::string>& corpus_domain_names();

// The five domains, each exactly bytes_per_domain bytes (>= kMinCorpusBytesPerDomain; smaller values work but
// give fewer lines). Every domain is made of whole lines: a domain is cut at its last complete line and padded
// with newlines, except dna, whose last line is simply shorter. Deterministic: independent of any run's seed.
std::vector<TextDomain> generate_corpus(int bytes_per_domain);

}  // namespace moe
