// The dna domain: A/C/G/T in lines of 60 bases. A second-order Markov chain (with the CG pair made rare, as in
// vertebrate genomes) gives local structure; tandem repeats and mutated copies of recent stretches give the
// longer-range structure that attention can exploit.
#include "datasets/corpus_generators.h"

namespace moe::data_detail {
namespace {

constexpr size_t kLineWidth = 60;
constexpr char kBases[] = {'A', 'C', 'G', 'T'};

class DnaWriter {
public:
    explicit DnaWriter(Rng& rng) : rng_(rng) {
        // Integer weights, so the chain is exactly the same on every platform.
        for (int context = 0; context < 16; ++context) {
            for (int b = 0; b < 4; ++b) {
                int w = between(rng_, 2, 10);
                if ((context & 3) == 1 && b == 2) w = 1;  // previous base C, next G: CpG depletion
                weights_[context][b] = w;
            }
        }
    }

    // Appends bases until the sequence holds at least `bases`.
    void extend(std::string& seq, size_t bases) {
        while (seq.size() < bases) {
            const int event = between(rng_, 0, 999);
            if (event < 8 && seq.size() > 100) {
                // A mutated copy of a stretch of the last kilobase.
                const size_t length = static_cast<size_t>(between(rng_, 12, 48));
                const size_t back = static_cast<size_t>(between(rng_, static_cast<int>(length), 1000));
                const size_t start = seq.size() > back ? seq.size() - back : 0;
                for (size_t i = 0; i < length; ++i) {
                    seq += chance(rng_, 3) ? kBases[rng_.below(4)] : seq[start + i];
                }
            } else if (event < 14) {
                // A tandem repeat of a short unit.
                std::string unit = last_two(seq);
                const int unit_length = between(rng_, 2, 6);
                for (int i = 0; i < unit_length; ++i) unit += next_base(unit[unit.size() - 2], unit.back());
                unit.erase(0, 2);
                const int copies = between(rng_, 3, 8);
                for (int c = 0; c < copies; ++c) seq += unit;
            } else {
                const std::string context = last_two(seq);
                seq += next_base(context[0], context[1]);
            }
        }
    }

private:
    static std::string last_two(const std::string& seq) { return seq.size() < 2 ? "AA" : seq.substr(seq.size() - 2); }

    char next_base(char before_last, char last) {
        const int* w = weights_[index(before_last) * 4 + index(last)];
        int x = static_cast<int>(rng_.below(static_cast<uint64_t>(w[0] + w[1] + w[2] + w[3])));
        for (int b = 0; b < 3; ++b) {
            if (x < w[b]) return kBases[b];
            x -= w[b];
        }
        return kBases[3];
    }
    static int index(char base) { return base == 'A' ? 0 : base == 'C' ? 1 : base == 'G' ? 2 : 3; }

    Rng& rng_;
    int weights_[16][4];
};

}  // namespace

std::string generate_dna(Rng& rng, size_t n) {
    // Every (kLineWidth + 1)-th byte and the last byte are newlines; the bases fill the rest.
    size_t newlines = n / (kLineWidth + 1);
    if (n % (kLineWidth + 1) != 0) ++newlines;
    std::string seq;
    seq.reserve(n + 512);
    DnaWriter(rng).extend(seq, n - newlines);
    std::string text;
    text.reserve(n);
    size_t used = 0;
    while (text.size() < n) {
        const size_t room = n - text.size() - 1;  // the line's newline
        const size_t width = room < kLineWidth ? room : kLineWidth;
        text.append(seq, used, width);
        used += width;
        text += '\n';
    }
    return text;
}

}  // namespace moe::data_detail
