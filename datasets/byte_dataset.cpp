// Batches of byte sequences drawn from the domains of a ByteDataset.
#include "datasets/byte_dataset.h"

#include "core/error.h"
#include "core/rng.h"
#include "datasets/seeding.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace moe {
namespace {

double entropy_of_counts(const std::array<uint64_t, 256>& counts) {
    uint64_t total = 0;
    for (uint64_t c : counts) total += c;
    if (total == 0) return 0.0;
    double h = 0.0;
    for (uint64_t c : counts) {
        if (c == 0) continue;
        const double p = static_cast<double>(c) / static_cast<double>(total);
        h -= p * std::log(p);
    }
    return h;
}

void count_bytes(std::string_view bytes, std::array<uint64_t, 256>& counts) {
    for (char c : bytes) ++counts[static_cast<unsigned char>(c)];
}

}  // namespace

double byte_entropy(std::string_view bytes) {
    std::array<uint64_t, 256> counts{};
    count_bytes(bytes, counts);
    return entropy_of_counts(counts);
}

ByteDataset::ByteDataset(std::string name, std::vector<TextDomain> domains, double val_fraction, uint64_t seed,
                         Source source)
    : name_(std::move(name)), domains_(std::move(domains)), val_fraction_(val_fraction), seed_(seed),
      source_(std::move(source)) {
    std::array<uint64_t, 256> counts{};
    for (const TextDomain& d : domains_) {
        const size_t n = d.bytes.size();
        if (n < 2) {
            throw DataError(source_.kind + " \"" + d.name + "\" has " + std::to_string(n) +
                            " bytes, too few to split into training and validation text: " + source_.grow_hint);
        }
        // At least one byte on each side; the batch check then asks for a whole sequence.
        const auto val = static_cast<size_t>(std::clamp<long long>(std::llround(static_cast<double>(n) * val_fraction),
                                                                   1, static_cast<long long>(n) - 1));
        train_sizes_.push_back(n - val);
        count_bytes(std::string_view(d.bytes).substr(0, n - val), counts);
    }
    // Pooled over domains: batches pick a domain in proportion to its training size, so this is the byte
    // distribution the model sees.
    unigram_entropy_ = entropy_of_counts(counts);
}

std::vector<std::string> ByteDataset::domain_names() const {
    std::vector<std::string> names;
    for (const TextDomain& d : domains_) names.push_back(d.name);
    return names;
}

std::string_view ByteDataset::train_text(int d) const {
    return std::string_view(domain(d).bytes).substr(0, train_size(d));
}

std::string_view ByteDataset::val_text(int d) const {
    return std::string_view(domain(d).bytes).substr(train_size(d));
}

Batch ByteDataset::train_batch(int64_t index, int batch, int seq) const { return make_batch(false, index, batch, seq); }

Batch ByteDataset::val_batch(int64_t index, int batch, int seq) const { return make_batch(true, index, batch, seq); }

void ByteDataset::check_split_sizes(bool validation, int batch, int seq) const {
    if (batch < 1 || seq < 1) {
        throw ConfigError("batch size and sequence length must be at least 1 (got batch_size " +
                          std::to_string(batch) + ", seq_len " + std::to_string(seq) + ")");
    }
    const size_t T = static_cast<size_t>(seq);
    for (int d = 0; d < num_domains(); ++d) {
        const std::string_view text = validation ? val_text(d) : train_text(d);
        if (text.size() >= T + 1) continue;
        // The smallest domain size whose smaller split holds T + 1 bytes.
        const double share = std::min(val_fraction_, 1.0 - val_fraction_);
        const auto needed = static_cast<long long>(std::ceil(static_cast<double>(T + 1) / share)) + 1;
        throw DataError(source_.kind + " \"" + domain(d).name + "\": its " + (validation ? "validation" : "training") +
                        " split has " + std::to_string(text.size()) + " bytes, too few for one sequence of seq_len " +
                        std::to_string(seq) + " (" + std::to_string(T + 1) + " bytes; that needs at least " +
                        std::to_string(needed) + " bytes of text at this val_fraction): " + source_.grow_hint +
                        ", raise val_fraction or lower seq_len");
    }
}

int ByteDataset::validation_sequences_per_domain(int seq, int requested) const {
    const size_t window = static_cast<size_t>(std::max(seq, 1)) + 1;
    size_t fit = static_cast<size_t>(std::max(requested, 1));
    for (int d = 0; d < num_domains(); ++d) fit = std::min(fit, std::max<size_t>(1, val_text(d).size() / window));
    return static_cast<int>(fit);
}

std::vector<Batch> ByteDataset::validation_set(int batch, int seq, int sequences_per_domain) const {
    if (sequences_per_domain < 1) {
        throw ConfigError("validation sequences per domain must be at least 1 (got eval_sequences " +
                          std::to_string(sequences_per_domain) + ")");
    }
    check_split_sizes(true, batch, seq);
    const size_t T = static_cast<size_t>(seq);
    const int count = validation_sequences_per_domain(seq, sequences_per_domain);
    // Window i of a domain starts at i * (size - (T + 1)) / (count - 1): the first at the start of the validation
    // text, the last ending at its end, evenly spaced between; count <= size / (T + 1) keeps them apart.
    struct Window {
        int domain;
        size_t start;
    };
    std::vector<Window> windows;
    for (int i = 0; i < count; ++i) {
        // Interleaved by domain, so each batch holds every domain as a training batch would.
        for (int d = 0; d < num_domains(); ++d) {
            const size_t room = val_text(d).size() - (T + 1);
            const size_t start = count > 1 ? room * static_cast<size_t>(i) / static_cast<size_t>(count - 1) : 0;
            windows.push_back({d, start});
        }
    }
    std::vector<Batch> out;
    for (size_t first = 0; first < windows.size(); first += static_cast<size_t>(batch)) {
        const size_t n = std::min(windows.size() - first, static_cast<size_t>(batch));
        Batch b;
        b.batch = static_cast<int>(n);
        b.seq = seq;
        b.inputs.resize(n * T);
        b.targets.resize(n * T);
        b.domains.resize(n * T);
        for (size_t s = 0; s < n; ++s) {
            const Window& w = windows[first + s];
            const std::string_view text = val_text(w.domain);
            for (size_t t = 0; t < T; ++t) {
                b.inputs[s * T + t] = static_cast<unsigned char>(text[w.start + t]);
                b.targets[s * T + t] = static_cast<unsigned char>(text[w.start + t + 1]);
                b.domains[s * T + t] = static_cast<int16_t>(w.domain);
            }
        }
        out.push_back(std::move(b));
    }
    return out;
}

Batch ByteDataset::make_batch(bool validation, int64_t index, int batch, int seq) const {
    check_split_sizes(validation, batch, seq);
    const size_t T = static_cast<size_t>(seq);
    std::vector<uint64_t> cumulative;
    uint64_t total = 0;
    for (int d = 0; d < num_domains(); ++d) {
        total += (validation ? val_text(d) : train_text(d)).size();
        cumulative.push_back(total);
    }

    using data_detail::Stream;
    Rng rng(data_detail::stream_seed(seed_, validation ? Stream::val_batches : Stream::train_batches,
                                     static_cast<uint64_t>(index)));
    Batch out;
    out.batch = batch;
    out.seq = seq;
    const size_t tokens = static_cast<size_t>(batch) * T;
    out.inputs.resize(tokens);
    out.targets.resize(tokens);
    out.domains.resize(tokens);
    for (size_t b = 0; b < static_cast<size_t>(batch); ++b) {
        // Domain in proportion to its split's size, then a uniform start where T + 1 bytes fit.
        const uint64_t x = rng.below(total);
        const auto d = static_cast<int>(std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
        const std::string_view text = validation ? val_text(d) : train_text(d);
        const size_t start = static_cast<size_t>(rng.below(text.size() - T));
        for (size_t t = 0; t < T; ++t) {
            out.inputs[b * T + t] = static_cast<unsigned char>(text[start + t]);
            out.targets[b * T + t] = static_cast<unsigned char>(text[start + t + 1]);
            out.domains[b * T + t] = static_cast<int16_t>(d);
        }
    }
    return out;
}

}  // namespace moe
