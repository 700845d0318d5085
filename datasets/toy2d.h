// 2-D toy classification sets (spirals, clusters, xor, checkerboard, moons) for watching a router split the plane.
#pragma once

#include "datasets/dataset.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moe {

// Every coordinate lies in [-kToyBound, kToyBound]: the sets fill roughly [-1, 1]^2 and noise is clamped to this
// box, so a plot with fixed axes shows every point.
inline constexpr float kToyBound = 1.5f;
// Limits make_dataset enforces for the 2-D sets.
inline constexpr int kMaxToyClasses = 16;
inline constexpr int kMinToyPointsPerClass = 4;  // at least one validation and one training point per class
inline constexpr int kMaxToyPoints = 1000000;

// The names of the 2-D sets, in the order of dataset_names().
const std::vector<std::string>& toy_dataset_names();

// Points of a 2-D set before the split: point i has class i % classes (exactly balanced), xy holds (x, y) pairs.
// `classes` is used by spirals (arms) and clusters; xor, checkerboard and moons always have 2. The noise is
// Gaussian with a standard deviation of noise times the set's own scale (spirals: the gap between arms; clusters:
// half the distance between neighbouring centres; xor: half a quadrant; checkerboard: half a cell; moons: the
// moon radius) and comes from a stream of its own, so changing it moves points without changing their classes.
// Throws ConfigError for an unknown name.
struct ToyPoints {
    std::vector<float> xy;
    std::vector<int32_t> labels;
    int classes = 0;
};
ToyPoints generate_toy_points(const std::string& name, int points, int classes, double noise, uint64_t seed);

// The seed make_dataset generates and splits a 2-D set with, whatever the run's seed: the points and the held-out
// validation points are fixed by the data config (as the corpus is), so every model, seed and run is scored on the
// same points; a run's seed only changes the training batches drawn from them. It is 1, the default run seed, so
// the sets are the ones the default runs always had.
inline constexpr uint64_t kToyDataSeed = 1;

class ToyDataset : public Dataset {
public:
    // Splits the points per class (the last val_fraction of each class, at least one point, is held out, so every
    // class is in both splits) and shuffles each split with split_seed; batches are drawn with `seed`.
    ToyDataset(std::string name, const ToyPoints& points, double val_fraction, uint64_t seed,
               uint64_t split_seed = kToyDataSeed);

    std::string name() const override { return name_; }
    bool is_language() const override { return false; }
    int num_outputs() const override { return classes_; }
    std::vector<std::string> domain_names() const override;  // "class 0", "class 1", ...
    // Samples `batch` training (validation) points with replacement; seq is ignored and the batch has seq 1.
    Batch train_batch(int64_t index, int batch, int seq) const override;
    Batch val_batch(int64_t index, int batch, int seq) const override;
    // Every validation point once, in the split's fixed order, `batch` points a batch (the last may be smaller).
    std::vector<Batch> validation_set(int batch, int seq, int sequences_per_domain) const override;
    // Entropy in nats of the training split's class distribution (log(classes) when balanced).
    double unigram_entropy() const override { return unigram_entropy_; }

    // For plotting: every point, the num_train() training points first, then the validation points.
    const std::vector<float>& all_points() const { return points_; }   // [num_points() * 2] (x, y)
    const std::vector<int32_t>& all_labels() const { return labels_; }  // [num_points()]
    int num_points() const { return static_cast<int>(labels_.size()); }
    int num_train() const { return num_train_; }
    int num_val() const { return num_points() - num_train_; }

private:
    Batch make_batch(bool validation, int64_t index, int batch) const;

    std::string name_;
    int classes_;
    std::vector<float> points_;
    std::vector<int32_t> labels_;
    int num_train_ = 0;
    uint64_t seed_;
    double unigram_entropy_ = 0.0;
};

}  // namespace moe
