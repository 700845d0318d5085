// Datasets: the bundled multi-domain byte corpus, a user's text file, and 2-D toy sets.
// Batches are a pure function of (dataset seed, split, index): the same seed gives the same batches, whatever was
// drawn before, so two models trained side by side see identical data and a run can be replayed exactly.
// The validation set that evaluations score (validation_set) depends on the data alone, not on the seed: every
// model, seed and run is scored on the same held-out sequences.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moe {

struct DataConfig {
    std::string dataset = "corpus";  // corpus | text | spirals | clusters | xor | checkerboard | moons
    std::string data_file;           // for dataset = text
    double noise = 0.1;              // 2-D sets: noise level (in units of the set's scale)
    int points = 2000;               // 2-D sets: number of points (train + validation)
    int classes = 3;                 // spirals arms / cluster count (xor, checkerboard, moons have 2)
    double val_fraction = 0.1;       // share of the data held out for validation
    int corpus_bytes_per_domain = 60000;  // size of each generated corpus domain
};

struct Batch {
    int batch = 0;  // B
    int seq = 0;    // T (1 for 2-D sets)
    std::vector<int32_t> inputs;   // LM: [B*T] byte ids; 2-D: empty
    std::vector<float> points;     // 2-D: [B*2] (x, y); LM: empty
    std::vector<int32_t> targets;  // LM: [B*T] next byte; 2-D: [B] class
    std::vector<int16_t> domains;  // [B*T] domain of each token (2-D: the point's class)
};

class Dataset {
public:
    virtual ~Dataset() = default;
    virtual std::string name() const = 0;
    virtual bool is_language() const = 0;
    // LM: 256 (bytes); 2-D: number of classes.
    virtual int num_outputs() const = 0;
    virtual std::vector<std::string> domain_names() const = 0;
    // Deterministic: depends only on the dataset's seed and the index. seq is ignored by 2-D sets.
    virtual Batch train_batch(int64_t index, int batch, int seq) const = 0;
    // The validation split, batch `index` of a sequence of validation batches drawn with the dataset's seed
    // (sampled with replacement; for quick looks; evaluations use validation_set).
    virtual Batch val_batch(int64_t index, int batch, int seq) const = 0;
    // The fixed validation set, packed in batches of `batch` sequences (the last one may be smaller), in a fixed
    // order; a function of the data and of (batch, seq, sequences_per_domain) only, never of the seed.
    // LM: per domain, sequences_per_domain non-overlapping windows of seq + 1 bytes evenly spaced over the domain's
    // validation text, the same count for every domain (fewer when some domain's text holds fewer, at least one).
    // 2-D: every validation point once (seq and sequences_per_domain are ignored).
    // Throws ConfigError for batch, seq or sequences_per_domain < 1, DataError when a split is too short.
    virtual std::vector<Batch> validation_set(int batch, int seq, int sequences_per_domain) const = 0;
    // LM: entropy of the training bytes' unigram distribution, in nats (the loss a model that ignores context
    // reaches). 2-D: log(num classes) of the class distribution.
    virtual double unigram_entropy() const = 0;
};

// Throws DataError (missing/empty/too small file) or ConfigError (unknown dataset name, bad sizes), each with a
// message that says what to do.
std::unique_ptr<Dataset> make_dataset(const DataConfig& config, uint64_t seed);

// The names make_dataset accepts, for help texts and the GUI.
std::vector<std::string> dataset_names();

// Whether the dataset of that name is byte-level text (a language model: tokens, probe text, domains of prose,
// code, ...) rather than a 2-D classification set (points, classes), without building it.
bool is_language_dataset(const std::string& name);

}  // namespace moe
