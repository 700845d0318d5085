// Byte-level language-modelling datasets: the bundled corpus and a user's text file. Each domain is split in two:
// its first bytes are for training, its last val_fraction for validation, so no validation byte is ever trained on.
#pragma once

#include "datasets/corpus.h"
#include "datasets/dataset.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moe {

// Entropy in nats of the byte histogram of `bytes` (0 for an empty text).
double byte_entropy(std::string_view bytes);

class ByteDataset : public Dataset {
public:
    // How to word an error about a split too short for the requested sequence length.
    struct Source {
        std::string kind;       // e.g. `text file` or `corpus domain`; the domain name follows in quotes
        std::string grow_hint;  // what to do about it, e.g. `give a longer text file (--data FILE)`
    };

    // Throws DataError if a domain has fewer than 2 bytes (a validation and a training byte at the least).
    ByteDataset(std::string name, std::vector<TextDomain> domains, double val_fraction, uint64_t seed, Source source);

    std::string name() const override { return name_; }
    bool is_language() const override { return true; }
    int num_outputs() const override { return 256; }
    std::vector<std::string> domain_names() const override;
    // Throw ConfigError for batch or seq < 1 and DataError when a domain's split has fewer than seq + 1 bytes.
    Batch train_batch(int64_t index, int batch, int seq) const override;
    Batch val_batch(int64_t index, int batch, int seq) const override;
    std::vector<Batch> validation_set(int batch, int seq, int sequences_per_domain) const override;
    double unigram_entropy() const override { return unigram_entropy_; }

    int num_domains() const { return static_cast<int>(domains_.size()); }
    const TextDomain& domain(int d) const { return domains_[static_cast<size_t>(d)]; }
    // Domain d's training split is bytes [0, train_size(d)), its validation split the rest.
    size_t train_size(int d) const { return train_sizes_[static_cast<size_t>(d)]; }
    std::string_view train_text(int d) const;
    std::string_view val_text(int d) const;

    // Sequences per domain that validation_set(batch, seq, requested) gives: min(requested, the fewest whole
    // windows of seq + 1 bytes any domain's validation text holds), at least 1.
    int validation_sequences_per_domain(int seq, int requested) const;

private:
    Batch make_batch(bool validation, int64_t index, int batch, int seq) const;
    // Throws ConfigError for batch or seq < 1, DataError when a split of some domain is shorter than seq + 1 bytes.
    void check_split_sizes(bool validation, int batch, int seq) const;

    std::string name_;
    std::vector<TextDomain> domains_;
    std::vector<size_t> train_sizes_;
    double val_fraction_;
    uint64_t seed_;
    Source source_;
    double unigram_entropy_ = 0.0;
};

}  // namespace moe
