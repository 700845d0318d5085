// The 2-D toy datasets: split, batches and class entropy.
#include "datasets/toy2d.h"

#include "core/error.h"
#include "core/rng.h"
#include "datasets/seeding.h"

#include <algorithm>
#include <cmath>

namespace moe {

ToyDataset::ToyDataset(std::string name, const ToyPoints& points, double val_fraction, uint64_t seed,
                       uint64_t split_seed)
    : name_(std::move(name)), classes_(points.classes), seed_(seed) {
    // Stratified: each class gives its last share to validation, so every class is in both splits even for
    // small sets. The points of a class are already in random order (their positions are random).
    std::vector<int> train, val;
    for (int c = 0; c < classes_; ++c) {
        std::vector<int> members;
        for (size_t i = 0; i < points.labels.size(); ++i) {
            if (points.labels[i] == c) members.push_back(static_cast<int>(i));
        }
        const auto count = static_cast<long long>(members.size());
        const long long held = count < 2 ? 0 : std::clamp<long long>(std::llround(count * val_fraction), 1, count - 1);
        train.insert(train.end(), members.begin(), members.end() - held);
        val.insert(val.end(), members.end() - held, members.end());
    }
    // Shuffled so that neither split is ordered by class (Fisher-Yates with the project's Rng).
    Rng rng(data_detail::stream_seed(split_seed, data_detail::Stream::toy_split));
    for (std::vector<int>* split : {&train, &val}) {
        for (size_t i = split->size(); i > 1; --i) std::swap((*split)[i - 1], (*split)[rng.below(i)]);
    }
    num_train_ = static_cast<int>(train.size());
    std::vector<int64_t> counts(static_cast<size_t>(classes_), 0);
    for (const std::vector<int>* split : {&train, &val}) {
        for (int i : *split) {
            points_.push_back(points.xy[2 * static_cast<size_t>(i)]);
            points_.push_back(points.xy[2 * static_cast<size_t>(i) + 1]);
            labels_.push_back(points.labels[static_cast<size_t>(i)]);
            if (split == &train) ++counts[static_cast<size_t>(points.labels[static_cast<size_t>(i)])];
        }
    }
    for (int64_t c : counts) {
        if (c == 0 || num_train_ == 0) continue;
        const double p = static_cast<double>(c) / num_train_;
        unigram_entropy_ -= p * std::log(p);
    }
}

std::vector<std::string> ToyDataset::domain_names() const {
    std::vector<std::string> names;
    for (int c = 0; c < classes_; ++c) names.push_back("class " + std::to_string(c));
    return names;
}

Batch ToyDataset::train_batch(int64_t index, int batch, int /*seq*/) const { return make_batch(false, index, batch); }

Batch ToyDataset::val_batch(int64_t index, int batch, int /*seq*/) const { return make_batch(true, index, batch); }

std::vector<Batch> ToyDataset::validation_set(int batch, int /*seq*/, int /*sequences_per_domain*/) const {
    if (batch < 1) throw ConfigError("batch size must be at least 1 (got batch_size " + std::to_string(batch) + ")");
    if (num_val() < 1) {
        throw DataError("2-D dataset \"" + name_ + "\" has no validation points: raise points or val_fraction");
    }
    std::vector<Batch> out;
    for (int first = num_train_; first < num_points(); first += batch) {
        const int n = std::min(batch, num_points() - first);
        Batch b;
        b.batch = n;
        b.seq = 1;
        for (int i = first; i < first + n; ++i) {
            const auto u = static_cast<size_t>(i);
            b.points.push_back(points_[2 * u]);
            b.points.push_back(points_[2 * u + 1]);
            b.targets.push_back(labels_[u]);
            b.domains.push_back(static_cast<int16_t>(labels_[u]));
        }
        out.push_back(std::move(b));
    }
    return out;
}

Batch ToyDataset::make_batch(bool validation, int64_t index, int batch) const {
    if (batch < 1) throw ConfigError("batch size must be at least 1 (got batch_size " + std::to_string(batch) + ")");
    const int first = validation ? num_train_ : 0;
    const int count = validation ? num_val() : num_train_;
    if (count < 1) {
        throw DataError("2-D dataset \"" + name_ + "\" has no " + (validation ? "validation" : "training") +
                        " points: raise points or val_fraction");
    }
    using data_detail::Stream;
    Rng rng(data_detail::stream_seed(seed_, validation ? Stream::val_batches : Stream::train_batches,
                                     static_cast<uint64_t>(index)));
    Batch out;
    out.batch = batch;
    out.seq = 1;
    out.points.resize(2 * static_cast<size_t>(batch));
    out.targets.resize(static_cast<size_t>(batch));
    out.domains.resize(static_cast<size_t>(batch));
    for (size_t b = 0; b < static_cast<size_t>(batch); ++b) {
        const size_t i = static_cast<size_t>(first) + static_cast<size_t>(rng.below(static_cast<uint64_t>(count)));
        out.points[2 * b] = points_[2 * i];
        out.points[2 * b + 1] = points_[2 * i + 1];
        out.targets[b] = labels_[i];
        out.domains[b] = static_cast<int16_t>(labels_[i]);
    }
    return out;
}

}  // namespace moe
