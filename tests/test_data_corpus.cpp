// The bundled multi-domain corpus and the batches drawn from it.
#include "core/error.h"
#include "datasets/byte_dataset.h"
#include "datasets/corpus.h"
#include "datasets/dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace moe {
namespace {

constexpr int kBytes = 60000;

const std::vector<TextDomain>& corpus() {
    static const std::vector<TextDomain> c = generate_corpus(kBytes);
    return c;
}

const std::string& domain_text(const std::string& name) {
    for (const TextDomain& d : corpus()) {
        if (d.name == name) return d.bytes;
    }
    throw std::runtime_error("no domain " + name);
}

std::array<double, 256> histogram(const std::string& bytes) {
    std::array<double, 256> h{};
    for (char c : bytes) h[static_cast<unsigned char>(c)] += 1.0 / static_cast<double>(bytes.size());
    return h;
}

std::vector<std::string> complete_lines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::unique_ptr<ByteDataset> corpus_dataset(uint64_t seed, int bytes = kBytes) {
    DataConfig config;
    config.dataset = "corpus";
    config.corpus_bytes_per_domain = bytes;
    std::unique_ptr<Dataset> d = make_dataset(config, seed);
    auto* bytes_dataset = dynamic_cast<ByteDataset*>(d.get());
    EXPECT_NE(bytes_dataset, nullptr);
    d.release();
    return std::unique_ptr<ByteDataset>(bytes_dataset);
}

bool same_batch(const Batch& a, const Batch& b) {
    return a.batch == b.batch && a.seq == b.seq && a.inputs == b.inputs && a.targets == b.targets &&
           a.domains == b.domains && a.points == b.points;
}

TEST(CorpusTest, IdenticalAcrossConstructionsAndSeeds) {
    const std::vector<TextDomain> again = generate_corpus(kBytes);
    ASSERT_EQ(again.size(), corpus().size());
    for (size_t d = 0; d < again.size(); ++d) {
        EXPECT_EQ(again[d].name, corpus()[d].name);
        EXPECT_EQ(again[d].bytes, corpus()[d].bytes);
    }
    // The run's seed changes the batches, never the corpus.
    auto a = corpus_dataset(1), b = corpus_dataset(99);
    for (int d = 0; d < a->num_domains(); ++d) EXPECT_EQ(a->domain(d).bytes, b->domain(d).bytes);
}

// The corpus is part of the program: every build on every platform must generate exactly these bytes (runs and
// checkpoints made elsewhere are compared against it). A generator changed on purpose needs new fingerprints here.
TEST(CorpusTest, FingerprintsArePinned) {
    const auto fnv1a = [](const std::string& bytes) {
        uint64_t h = 1469598103934665603ull;
        for (char c : bytes) {
            h ^= static_cast<unsigned char>(c);
            h *= 1099511628211ull;
        }
        return h;
    };
    const std::map<std::string, uint64_t> expected = {
        {"prose", 0xcc9ba92ee2d9f35full}, {"code", 0x8d0d5af08ba70639ull},   {"arithmetic", 0x2240533db17ee4b8ull},
        {"dna", 0x7affb9072f98df08ull},   {"markup", 0x5dddd0b499f88a8cull},
    };
    for (const TextDomain& d : corpus()) EXPECT_EQ(fnv1a(d.bytes), expected.at(d.name)) << d.name;
}

TEST(CorpusTest, FiveNamedDomainsOfTheRequestedSize) {
    const std::vector<std::string> expected = {"prose", "code", "arithmetic", "dna", "markup"};
    EXPECT_EQ(corpus_domain_names(), expected);
    for (const TextDomain& d : corpus()) EXPECT_EQ(d.bytes.size(), static_cast<size_t>(kBytes)) << d.name;
    for (int size : {4096, 5000, 12345}) {
        for (const TextDomain& d : generate_corpus(size)) {
            EXPECT_EQ(d.bytes.size(), static_cast<size_t>(size)) << d.name;
            EXPECT_EQ(d.bytes.back(), '\n') << d.name;
        }
    }
    auto dataset = corpus_dataset(1);
    EXPECT_EQ(dataset->domain_names(), expected);
    EXPECT_EQ(dataset->name(), "corpus");
    EXPECT_TRUE(dataset->is_language());
    EXPECT_EQ(dataset->num_outputs(), 256);
}

TEST(CorpusTest, DomainHistogramsDifferClearly) {
    for (size_t a = 0; a < corpus().size(); ++a) {
        for (size_t b = a + 1; b < corpus().size(); ++b) {
            const auto ha = histogram(corpus()[a].bytes), hb = histogram(corpus()[b].bytes);
            double tv = 0.0;
            for (int i = 0; i < 256; ++i) tv += 0.5 * std::fabs(ha[i] - hb[i]);
            EXPECT_GT(tv, 0.3) << corpus()[a].name << " vs " << corpus()[b].name;
        }
    }
}

TEST(CorpusTest, DomainsUseTheirOwnAlphabets) {
    for (char c : domain_text("arithmetic")) {
        ASSERT_TRUE(std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '*' || c == '=' || c == '\n')
            << "byte " << static_cast<int>(c);
    }
    for (char c : domain_text("dna")) ASSERT_NE(std::string("ACGT\n").find(c), std::string::npos) << c;
    const std::string& dna = domain_text("dna");
    for (char base : {'A', 'C', 'G', 'T'}) EXPECT_GT(std::count(dna.begin(), dna.end(), base), kBytes / 20);

    const std::string& prose = domain_text("prose");
    for (const char* piece : {". ", ", ", "? ", "\"", "The "}) {
        EXPECT_NE(prose.find(piece), std::string::npos) << piece;
    }
    const std::string& code = domain_text("code");
    for (const char* piece : {"for (int i = 0; i < ", ") {\n", "    }\n", "return ", "#include <", " += ", "[i]"}) {
        EXPECT_NE(code.find(piece), std::string::npos) << piece;
    }
    const std::string& markup = domain_text("markup");
    for (const char* piece : {"<div", "</", " class=\"", " id=\"", "/>", "<li>", "\t<"}) {
        EXPECT_NE(markup.find(piece), std::string::npos) << piece;
    }
    // Every byte of the corpus is printable ASCII, a tab or a newline.
    for (const TextDomain& d : corpus()) {
        for (char c : d.bytes) ASSERT_TRUE((c >= 32 && c < 127) || c == '\n' || c == '\t') << d.name;
    }
}

TEST(CorpusTest, ArithmeticLinesAreCorrect) {
    int sums = 0, products = 0;
    for (const std::string& line : complete_lines(domain_text("arithmetic"))) {
        if (line.empty()) continue;  // the newlines that pad the domain to its size
        const size_t op = line.find_first_of("+*"), eq = line.find('=');
        ASSERT_NE(op, std::string::npos) << line;
        ASSERT_NE(eq, std::string::npos) << line;
        ASSERT_LT(op, eq) << line;
        const long long a = std::stoll(line.substr(0, op)), b = std::stoll(line.substr(op + 1, eq - op - 1));
        const long long c = std::stoll(line.substr(eq + 1));
        if (line[op] == '+') {
            ++sums;
            ASSERT_EQ(a + b, c) << line;
        } else {
            ++products;
            ASSERT_EQ(a * b, c) << line;
        }
        ASSERT_EQ(std::to_string(c), line.substr(eq + 1)) << line;  // no leading zeros or stray characters
    }
    EXPECT_GT(sums, 2000);
    EXPECT_GT(products, 1000);
}

TEST(CorpusTest, DnaComesInLinesOfSixty) {
    const std::vector<std::string> lines = complete_lines(domain_text("dna"));
    ASSERT_GT(lines.size(), 900u);
    for (size_t i = 0; i + 1 < lines.size(); ++i) ASSERT_EQ(lines[i].size(), 60u) << "line " << i;
    EXPECT_LE(lines.back().size(), 60u);
}

TEST(CorpusTest, DnaHasRepeats) {
    // Repeats make long substrings recur far more often than in uniform random bases (where a given 16-mer
    // recurs with probability ~ n / 4^16 ~ 1e-5).
    std::string bases;
    for (char c : domain_text("dna")) {
        if (c != '\n') bases += c;
    }
    std::set<std::string> seen;
    int repeated = 0;
    for (size_t i = 0; i + 16 <= bases.size(); i += 16) {
        if (!seen.insert(bases.substr(i, 16)).second) ++repeated;
    }
    for (size_t i = 8; i + 16 <= bases.size(); i += 16) {
        if (seen.count(bases.substr(i, 16))) ++repeated;
    }
    EXPECT_GT(repeated, 20);
}

TEST(CorpusTest, ProseHasAVocabularyOfHundredsOfWordsAndCapitalisedSentences) {
    const std::string& prose = domain_text("prose");
    std::set<std::string> words;
    std::string word;
    for (char c : prose) {
        if (std::isalpha(static_cast<unsigned char>(c))) {
            word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!word.empty()) {
            words.insert(word);
            word.clear();
        }
    }
    EXPECT_GT(words.size(), 250u);
    EXPECT_LT(words.size(), 1000u);
    // After a full stop and a space comes a capital letter or an opening quote.
    int sentences = 0;
    for (size_t i = 0; i + 2 < prose.size(); ++i) {
        if (prose[i] == '.' && (prose[i + 1] == ' ' || prose[i + 1] == '\n') && prose[i + 2] != '\n') {
            const char next = prose[i + 2];
            ++sentences;
            ASSERT_TRUE(std::isupper(static_cast<unsigned char>(next)) || next == '"') << prose.substr(i, 40);
        }
    }
    EXPECT_GT(sentences, 500);
    for (const std::string& line : complete_lines(prose)) EXPECT_LE(line.size(), 80u);
}

TEST(CorpusTest, CodeBracesAndMarkupTagsNest) {
    int depth = 0, closed_at_top = 0;
    for (char c : domain_text("code")) {
        if (c == '{') ++depth;
        if (c == '}') {
            ASSERT_GT(depth, 0);
            if (--depth == 0) ++closed_at_top;
        }
    }
    EXPECT_GT(closed_at_top, 100);

    // Tags close in the reverse order of opening; the domain may end inside an element.
    const std::string& markup = domain_text("markup");
    std::vector<std::string> open;
    int elements = 0;
    for (size_t i = markup.find('<'); i != std::string::npos; i = markup.find('<', i + 1)) {
        const size_t end = markup.find('>', i);
        ASSERT_NE(end, std::string::npos);
        const std::string tag = markup.substr(i + 1, end - i - 1);
        if (tag[0] == '?' || tag[0] == '!' || tag.back() == '/') continue;
        const std::string name = tag.substr(tag[0] == '/' ? 1 : 0, tag.find(' ') - (tag[0] == '/' ? 1 : 0));
        if (tag[0] == '/') {
            ASSERT_FALSE(open.empty()) << "at byte " << i;
            ASSERT_EQ(open.back(), name) << "at byte " << i;
            open.pop_back();
            ++elements;
        } else {
            open.push_back(name);
        }
    }
    EXPECT_GT(elements, 1000);
    EXPECT_LT(open.size(), 6u);
}

TEST(CorpusTest, GenerationIsFast) {
    double best_ms = 1e9;
    for (int run = 0; run < 3; ++run) {
        const auto start = std::chrono::steady_clock::now();
        const std::vector<TextDomain> c = generate_corpus(kBytes);
        const auto stop = std::chrono::steady_clock::now();
        ASSERT_EQ(c.size(), 5u);
        best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(stop - start).count());
    }
    RecordProperty("generation_ms", std::to_string(best_ms));
    EXPECT_LT(best_ms, 100.0);
}

TEST(CorpusTest, BatchesAreAPureFunctionOfSeedAndIndex) {
    auto a = corpus_dataset(7), b = corpus_dataset(7), other = corpus_dataset(8);
    // b draws other batches first: batch 5 must not depend on them.
    for (int i = 0; i < 5; ++i) b->train_batch(i, 4, 32);
    EXPECT_TRUE(same_batch(a->train_batch(5, 8, 64), b->train_batch(5, 8, 64)));
    EXPECT_TRUE(same_batch(a->val_batch(3, 8, 64), b->val_batch(3, 8, 64)));
    EXPECT_FALSE(same_batch(a->train_batch(5, 8, 64), a->train_batch(6, 8, 64)));
    EXPECT_FALSE(same_batch(a->train_batch(5, 8, 64), other->train_batch(5, 8, 64)));
    EXPECT_FALSE(same_batch(a->val_batch(5, 8, 64), a->val_batch(6, 8, 64)));
    EXPECT_FALSE(same_batch(a->train_batch(5, 8, 64), a->val_batch(5, 8, 64)));
    EXPECT_TRUE(same_batch(a->train_batch(-1, 2, 16), b->train_batch(-1, 2, 16)));
}

TEST(CorpusTest, TargetsAreInputsShiftedAndDomainsAreRight) {
    auto dataset = corpus_dataset(3);
    for (bool validation : {false, true}) {
        for (int64_t index = 0; index < 20; ++index) {
            const int B = 6, T = 48;
            const Batch batch = validation ? dataset->val_batch(index, B, T) : dataset->train_batch(index, B, T);
            ASSERT_EQ(batch.batch, B);
            ASSERT_EQ(batch.seq, T);
            ASSERT_EQ(batch.inputs.size(), static_cast<size_t>(B * T));
            ASSERT_EQ(batch.targets.size(), static_cast<size_t>(B * T));
            ASSERT_EQ(batch.domains.size(), static_cast<size_t>(B * T));
            EXPECT_TRUE(batch.points.empty());
            for (int b = 0; b < B; ++b) {
                const int d = batch.domains[static_cast<size_t>(b * T)];
                ASSERT_GE(d, 0);
                ASSERT_LT(d, dataset->num_domains());
                std::string window;
                for (int t = 0; t < T; ++t) {
                    const size_t i = static_cast<size_t>(b * T + t);
                    ASSERT_EQ(batch.domains[i], d);
                    ASSERT_GE(batch.inputs[i], 0);
                    ASSERT_LT(batch.inputs[i], 256);
                    if (t + 1 < T) {
                        ASSERT_EQ(batch.targets[i], batch.inputs[i + 1]);
                    }
                    window += static_cast<char>(batch.inputs[i]);
                }
                window += static_cast<char>(batch.targets[static_cast<size_t>(b * T + T - 1)]);
                // The T + 1 bytes lie in the split of the domain they are labelled with.
                const std::string_view split = validation ? dataset->val_text(d) : dataset->train_text(d);
                ASSERT_NE(split.find(window), std::string_view::npos) << "domain " << d << " index " << index;
            }
        }
    }
}

TEST(CorpusTest, SplitsAreDisjointAndSized) {
    auto dataset = corpus_dataset(1);
    for (int d = 0; d < dataset->num_domains(); ++d) {
        EXPECT_EQ(dataset->val_text(d).size(), static_cast<size_t>(kBytes / 10));
        EXPECT_EQ(dataset->train_size(d) + dataset->val_text(d).size(), static_cast<size_t>(kBytes));
        EXPECT_EQ(std::string(dataset->train_text(d)) + std::string(dataset->val_text(d)), dataset->domain(d).bytes);
    }
    DataConfig config;
    config.val_fraction = 0.5;
    config.corpus_bytes_per_domain = 10000;
    auto half = make_dataset(config, 1);
    EXPECT_NO_THROW(half->val_batch(0, 2, 64));
}

TEST(CorpusTest, DomainsAreSampledInProportionToSize) {
    auto dataset = corpus_dataset(11);
    std::vector<int> counts(5, 0);
    int total = 0;
    for (int64_t index = 0; index < 200; ++index) {
        const Batch batch = dataset->train_batch(index, 10, 8);
        for (int b = 0; b < 10; ++b) ++counts[static_cast<size_t>(batch.domains[static_cast<size_t>(b * 8)])];
        total += 10;
    }
    for (int c : counts) EXPECT_NEAR(static_cast<double>(c) / total, 0.2, 0.04);
}

TEST(CorpusTest, UnigramEntropyMatchesADirectCount) {
    auto dataset = corpus_dataset(1);
    std::array<double, 256> counts{};
    double total = 0.0;
    for (int d = 0; d < dataset->num_domains(); ++d) {
        for (char c : dataset->train_text(d)) {
            counts[static_cast<unsigned char>(c)] += 1.0;
            total += 1.0;
        }
    }
    double h = 0.0;
    for (double c : counts) {
        if (c > 0) h -= c / total * std::log(c / total);
    }
    EXPECT_NEAR(dataset->unigram_entropy(), h, 1e-9);
    EXPECT_GT(dataset->unigram_entropy(), 0.0);
    EXPECT_LT(dataset->unigram_entropy(), std::log(256.0));
    // The domains differ, so the pooled entropy exceeds every domain's own.
    for (int d = 0; d < dataset->num_domains(); ++d) {
        EXPECT_LT(byte_entropy(dataset->train_text(d)), dataset->unigram_entropy()) << dataset->domain(d).name;
    }
    std::ostringstream report;
    report << "pooled " << dataset->unigram_entropy();
    for (int d = 0; d < dataset->num_domains(); ++d) {
        report << ", " << dataset->domain(d).name << ' ' << byte_entropy(dataset->domain(d).bytes);
    }
    RecordProperty("unigram_entropy_nats", report.str());
}

TEST(CorpusTest, SequenceTooLongForASplitIsADataError) {
    auto dataset = corpus_dataset(1, 4096);  // validation: 410 bytes per domain
    EXPECT_NO_THROW(dataset->val_batch(0, 2, 409));
    try {
        dataset->val_batch(0, 2, 410);
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("corpus_bytes_per_domain"), std::string::npos) << message;
        EXPECT_NE(message.find("seq_len"), std::string::npos) << message;
    }
    EXPECT_THROW(dataset->train_batch(0, 2, 4000), DataError);
    EXPECT_THROW(dataset->train_batch(0, 0, 16), ConfigError);
    EXPECT_THROW(dataset->train_batch(0, 4, 0), ConfigError);
}

// The windows of domain d in a validation set, in order.
std::vector<std::string> windows_of(const std::vector<Batch>& set, int d) {
    std::vector<std::string> out;
    for (const Batch& b : set)
        for (int s = 0; s < b.batch; ++s) {
            const size_t at = static_cast<size_t>(s) * static_cast<size_t>(b.seq);
            if (b.domains[at] != d) continue;
            std::string w;
            for (int t = 0; t < b.seq; ++t) {
                EXPECT_EQ(b.domains[at + static_cast<size_t>(t)], d);
                w += static_cast<char>(b.inputs[at + static_cast<size_t>(t)]);
            }
            w += static_cast<char>(b.targets[at + static_cast<size_t>(b.seq) - 1]);
            out.push_back(w);
        }
    return out;
}

TEST(CorpusValidationSet, EveryDomainGetsTheSameWindowsWhateverTheSeed) {
    auto a = corpus_dataset(1), b = corpus_dataset(7);
    const int B = 7, T = 64, per_domain = 24;
    const std::vector<Batch> set = a->validation_set(B, T, per_domain);
    const std::vector<Batch> other = b->validation_set(B, T, per_domain);
    ASSERT_EQ(set.size(), other.size());
    for (size_t i = 0; i < set.size(); ++i) EXPECT_TRUE(same_batch(set[i], other[i])) << "batch " << i;
    // 5 domains x 24 windows in batches of 7: 17 full batches and one of 1.
    ASSERT_EQ(set.size(), 18u);
    for (size_t i = 0; i < set.size(); ++i) {
        EXPECT_EQ(set[i].batch, i + 1 < set.size() ? B : 1);
        EXPECT_EQ(set[i].seq, T);
        EXPECT_EQ(set[i].inputs.size(), static_cast<size_t>(set[i].batch * T));
        for (size_t j = 0; j + 1 < set[i].inputs.size(); ++j)
            if ((j + 1) % T != 0) {
                EXPECT_EQ(set[i].targets[j], set[i].inputs[j + 1]);
            }
    }
    for (int d = 0; d < a->num_domains(); ++d) {
        const std::vector<std::string> w = windows_of(set, d);
        ASSERT_EQ(w.size(), static_cast<size_t>(per_domain)) << a->domain(d).name;
        const std::string_view val = a->val_text(d);
        // Evenly spread over the whole validation text: the first window opens it, the last one closes it.
        EXPECT_EQ(w.front(), val.substr(0, T + 1));
        EXPECT_EQ(w.back(), val.substr(val.size() - T - 1));
        for (const std::string& x : w) EXPECT_NE(val.find(x), std::string_view::npos) << a->domain(d).name;
        EXPECT_EQ(std::set<std::string>(w.begin(), w.end()).size(), w.size()) << a->domain(d).name;
    }
}

TEST(CorpusValidationSet, AShortTailGivesEveryDomainAsManyWindowsAsFitThere) {
    auto dataset = corpus_dataset(1, 4096);  // validation: 410 bytes per domain, six windows of 65 bytes
    const std::vector<Batch> set = dataset->validation_set(4, 64, 24);
    EXPECT_EQ(dataset->validation_sequences_per_domain(64, 24), 6);
    for (int d = 0; d < dataset->num_domains(); ++d) {
        const std::vector<std::string> w = windows_of(set, d);
        ASSERT_EQ(w.size(), 6u);
        // Six windows of 65 bytes in 410 bytes: none overlaps the next.
        const std::string_view val = dataset->val_text(d);
        std::vector<size_t> starts;
        size_t from = 0;
        for (const std::string& x : w) {
            const size_t at = val.find(x, from);
            ASSERT_NE(at, std::string_view::npos);
            starts.push_back(at);
            from = at + x.size();
        }
        EXPECT_EQ(starts.front(), 0u);
        EXPECT_EQ(w.back(), val.substr(val.size() - 65));  // (a padded tail repeats it earlier: compare the bytes)
    }
    EXPECT_EQ(dataset->validation_set(4, 16, 3).size(), 4u);  // 15 windows: fewer asked than fit
    EXPECT_EQ(windows_of(dataset->validation_set(2, 409, 24), 0).size(), 1u);
    EXPECT_THROW(dataset->validation_set(2, 410, 24), DataError);
    EXPECT_THROW(dataset->validation_set(2, 64, 0), ConfigError);
    EXPECT_THROW(dataset->validation_set(0, 64, 4), ConfigError);
}

TEST(CorpusDataConfig, BadSettingsAreConfigErrors) {
    DataConfig config;
    config.corpus_bytes_per_domain = 100;
    EXPECT_THROW(make_dataset(config, 1), ConfigError);
    config.corpus_bytes_per_domain = kMinCorpusBytesPerDomain;
    EXPECT_NO_THROW(make_dataset(config, 1));
    for (double vf : {0.0, -0.1, 0.51, 1.0, std::nan("")}) {
        config.val_fraction = vf;
        EXPECT_THROW(make_dataset(config, 1), ConfigError) << vf;
    }
}

TEST(CorpusDataConfig, UnknownDatasetListsTheValidNames) {
    const std::vector<std::string> expected = {"corpus", "text", "spirals", "clusters", "xor", "checkerboard", "moons"};
    EXPECT_EQ(dataset_names(), expected);
    DataConfig config;
    config.dataset = "wikipedia";
    try {
        make_dataset(config, 1);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("wikipedia"), std::string::npos) << message;
        for (const std::string& name : expected) EXPECT_NE(message.find(name), std::string::npos) << message;
    }
}

}  // namespace
}  // namespace moe
