// The 2-D toy classification sets.
#include "core/error.h"
#include "datasets/dataset.h"
#include "datasets/toy2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <set>
#include <utility>

namespace moe {
namespace {

std::unique_ptr<ToyDataset> toy(const std::string& name, double noise = 0.1, int points = 2000, int classes = 3,
                                uint64_t seed = 1, double val_fraction = 0.1) {
    DataConfig config;
    config.dataset = name;
    config.noise = noise;
    config.points = points;
    config.classes = classes;
    config.val_fraction = val_fraction;
    std::unique_ptr<Dataset> d = make_dataset(config, seed);
    auto* t = dynamic_cast<ToyDataset*>(d.get());
    EXPECT_NE(t, nullptr) << name;
    d.release();
    return std::unique_ptr<ToyDataset>(t);
}

std::vector<int> class_counts(const ToyDataset& d, int first, int count) {
    std::vector<int> counts(static_cast<size_t>(d.num_outputs()), 0);
    for (int i = first; i < first + count; ++i) ++counts[static_cast<size_t>(d.all_labels()[static_cast<size_t>(i)])];
    return counts;
}

TEST(Toy2dTest, EverySetHasTheRightShapeOfData) {
    for (const std::string& name : toy_dataset_names()) {
        auto d = toy(name);
        const int classes = (name == "spirals" || name == "clusters") ? 3 : 2;
        EXPECT_EQ(d->name(), name);
        EXPECT_FALSE(d->is_language());
        EXPECT_EQ(d->num_outputs(), classes) << name;
        ASSERT_EQ(d->domain_names().size(), static_cast<size_t>(classes));
        EXPECT_EQ(d->domain_names()[0], "class 0");
        EXPECT_EQ(d->domain_names()[1], "class 1");
        EXPECT_EQ(d->num_points(), 2000);
        EXPECT_EQ(d->all_points().size(), 4000u);
        EXPECT_EQ(d->all_labels().size(), 2000u);
        EXPECT_EQ(d->num_train() + d->num_val(), 2000);
        EXPECT_NEAR(d->num_val(), 200, classes);
    }
    EXPECT_EQ(toy("spirals", 0.1, 2000, 5)->num_outputs(), 5);
    EXPECT_EQ(toy("clusters", 0.1, 2000, 7)->num_outputs(), 7);
    EXPECT_EQ(toy("xor", 0.1, 2000, 5)->num_outputs(), 2);
}

TEST(Toy2dTest, ClassesAreBalancedInBothSplits) {
    for (const std::string& name : toy_dataset_names()) {
        auto d = toy(name, 0.1, 2000, 4);
        const int classes = d->num_outputs();
        const auto all = class_counts(*d, 0, d->num_points());
        const auto train = class_counts(*d, 0, d->num_train());
        const auto val = class_counts(*d, d->num_train(), d->num_val());
        for (int c = 0; c < classes; ++c) {
            EXPECT_NEAR(all[static_cast<size_t>(c)], 2000.0 / classes, 1.0) << name << " class " << c;
            EXPECT_NEAR(train[static_cast<size_t>(c)], d->num_train() / static_cast<double>(classes), 2.0) << name;
            EXPECT_NEAR(val[static_cast<size_t>(c)], d->num_val() / static_cast<double>(classes), 2.0) << name;
        }
    }
}

TEST(Toy2dTest, EveryClassIsInBothSplitsEvenForTinySets) {
    for (const std::string& name : toy_dataset_names()) {
        for (double val_fraction : {0.01, 0.1, 0.5}) {
            auto d = toy(name, 0.2, 40, 5, 3, val_fraction);
            const auto train = class_counts(*d, 0, d->num_train());
            const auto val = class_counts(*d, d->num_train(), d->num_val());
            for (int c = 0; c < d->num_outputs(); ++c) {
                EXPECT_GT(train[static_cast<size_t>(c)], 0) << name << " class " << c << " vf " << val_fraction;
                EXPECT_GT(val[static_cast<size_t>(c)], 0) << name << " class " << c << " vf " << val_fraction;
            }
        }
    }
}

TEST(Toy2dTest, PointsStayInABoundedBox) {
    for (const std::string& name : toy_dataset_names()) {
        for (double noise : {0.0, 0.1, 0.3, 3.0}) {
            auto d = toy(name, noise);
            int inside_unit_box = 0;
            for (size_t i = 0; i < d->all_points().size(); ++i) {
                const float v = d->all_points()[i];
                ASSERT_TRUE(std::isfinite(v));
                ASSERT_LE(std::fabs(v), kToyBound) << name;
                if (std::fabs(v) <= 1.05f) ++inside_unit_box;
            }
            // Roughly [-1, 1]^2 unless the noise is large.
            if (noise <= 0.1) {
                EXPECT_GT(inside_unit_box, 0.99 * d->all_points().size()) << name << " " << noise;
            }
        }
    }
}

TEST(Toy2dTest, NoiseMovesPointsButKeepsClasses) {
    for (const std::string& name : toy_dataset_names()) {
        auto clean = toy(name, 0.0), noisy = toy(name, 0.3);
        EXPECT_EQ(clean->all_labels(), noisy->all_labels()) << name;
        ASSERT_EQ(clean->all_points().size(), noisy->all_points().size());
        double moved = 0.0;
        for (size_t i = 0; i < clean->all_points().size(); ++i) {
            moved += std::fabs(clean->all_points()[i] - noisy->all_points()[i]);
        }
        EXPECT_GT(moved / clean->all_points().size(), 0.01) << name;
    }
}

TEST(Toy2dTest, PointsAreFixedByTheDataConfigNotTheRunSeed) {
    for (const std::string& name : toy_dataset_names()) {
        // The generator itself follows its seed...
        EXPECT_EQ(generate_toy_points(name, 500, 3, 0.1, 4).xy, generate_toy_points(name, 500, 3, 0.1, 4).xy) << name;
        EXPECT_NE(generate_toy_points(name, 500, 3, 0.1, 4).xy, generate_toy_points(name, 500, 3, 0.1, 5).xy) << name;
        // ... but a dataset is made from the fixed data seed: every run seed sees the same points and split, and
        // draws its own training batches from them.
        auto a = toy(name, 0.1, 500, 3, 4), b = toy(name, 0.1, 500, 3, 5);
        EXPECT_EQ(a->all_points(), b->all_points()) << name;
        EXPECT_EQ(a->all_labels(), b->all_labels()) << name;
        EXPECT_EQ(a->num_train(), b->num_train()) << name;
        EXPECT_NE(a->train_batch(0, 32, 1).points, b->train_batch(0, 32, 1).points) << name;
    }
}

TEST(Toy2dTest, ValidationSetIsEveryValidationPointOnceInAFixedOrder) {
    for (const std::string& name : toy_dataset_names()) {
        auto d = toy(name, 0.1, 2000, 3, 1), other_seed = toy(name, 0.1, 2000, 3, 7);
        const std::vector<Batch> set = d->validation_set(64, 99, 1);
        const std::vector<Batch> again = other_seed->validation_set(64, 99, 1);
        ASSERT_EQ(set.size(), static_cast<size_t>((d->num_val() + 63) / 64)) << name;
        ASSERT_EQ(again.size(), set.size());
        std::vector<float> points;
        std::vector<int32_t> labels;
        for (size_t i = 0; i < set.size(); ++i) {
            const Batch& b = set[i];
            EXPECT_EQ(b.batch, i + 1 < set.size() ? 64 : d->num_val() - 64 * static_cast<int>(i)) << name;
            EXPECT_EQ(b.seq, 1);
            EXPECT_TRUE(b.inputs.empty());
            ASSERT_EQ(b.points.size(), 2 * static_cast<size_t>(b.batch));
            ASSERT_EQ(b.targets.size(), static_cast<size_t>(b.batch));
            for (int j = 0; j < b.batch; ++j) EXPECT_EQ(b.domains[static_cast<size_t>(j)], b.targets[static_cast<size_t>(j)]);
            points.insert(points.end(), b.points.begin(), b.points.end());
            labels.insert(labels.end(), b.targets.begin(), b.targets.end());
            EXPECT_EQ(b.points, again[i].points) << name;
            EXPECT_EQ(b.targets, again[i].targets) << name;
        }
        const auto first = static_cast<std::ptrdiff_t>(d->num_train());
        EXPECT_EQ(points, std::vector<float>(d->all_points().begin() + 2 * first, d->all_points().end())) << name;
        EXPECT_EQ(labels, std::vector<int32_t>(d->all_labels().begin() + first, d->all_labels().end())) << name;
    }
    EXPECT_THROW(toy("xor")->validation_set(0, 1, 1), ConfigError);
}

TEST(Toy2dTest, XorAndCheckerboardFollowTheirRulesWithoutNoise) {
    auto x = toy("xor", 0.0);
    for (int i = 0; i < x->num_points(); ++i) {
        const float px = x->all_points()[2 * static_cast<size_t>(i)],
                    py = x->all_points()[2 * static_cast<size_t>(i) + 1];
        ASSERT_EQ(x->all_labels()[static_cast<size_t>(i)], (px * py < 0) ? 1 : 0) << px << ", " << py;
    }
    auto c = toy("checkerboard", 0.0);
    for (int i = 0; i < c->num_points(); ++i) {
        const float px = c->all_points()[2 * static_cast<size_t>(i)],
                    py = c->all_points()[2 * static_cast<size_t>(i) + 1];
        const int cell =
            static_cast<int>(std::floor((px + 1.0) * 2.0)) + static_cast<int>(std::floor((py + 1.0) * 2.0));
        ASSERT_EQ(c->all_labels()[static_cast<size_t>(i)], cell % 2) << px << ", " << py;
    }
}

TEST(Toy2dTest, MoonsAndSpiralsLieOnTheirCurvesWithoutNoise) {
    auto m = toy("moons", 0.0);
    for (int i = 0; i < m->num_points(); ++i) {
        const double x = m->all_points()[2 * static_cast<size_t>(i)] / 0.6 + 0.5;
        const double y = m->all_points()[2 * static_cast<size_t>(i) + 1] / 0.6 + 0.25;
        const bool upper = m->all_labels()[static_cast<size_t>(i)] == 0;
        // Unit half circles: the upper one around (0, 0), the lower one around (1, 0.5).
        const double r = upper ? std::hypot(x, y) : std::hypot(x - 1.0, y - 0.5);
        ASSERT_NEAR(r, 1.0, 1e-5);
        ASSERT_TRUE(upper ? y >= -1e-5 : y <= 0.5 + 1e-5);
    }
    auto s = toy("spirals", 0.0);
    for (int i = 0; i < s->num_points(); ++i) {
        const double r =
            std::hypot(s->all_points()[2 * static_cast<size_t>(i)], s->all_points()[2 * static_cast<size_t>(i) + 1]);
        ASSERT_GE(r, 0.07);
        ASSERT_LE(r, 0.96);
    }
}

TEST(Toy2dTest, BatchesSampleTheRightSplit) {
    for (const std::string& name : toy_dataset_names()) {
        auto d = toy(name);
        std::set<std::pair<std::pair<float, float>, int>> train, val;
        for (int i = 0; i < d->num_points(); ++i) {
            const auto key = std::make_pair(std::make_pair(d->all_points()[2 * static_cast<size_t>(i)],
                                                           d->all_points()[2 * static_cast<size_t>(i) + 1]),
                                            d->all_labels()[static_cast<size_t>(i)]);
            (i < d->num_train() ? train : val).insert(key);
        }
        for (bool validation : {false, true}) {
            const Batch batch = validation ? d->val_batch(2, 64, 99) : d->train_batch(2, 64, 99);
            EXPECT_EQ(batch.batch, 64);
            EXPECT_EQ(batch.seq, 1);
            EXPECT_TRUE(batch.inputs.empty());
            ASSERT_EQ(batch.points.size(), 128u);
            ASSERT_EQ(batch.targets.size(), 64u);
            ASSERT_EQ(batch.domains.size(), 64u);
            for (size_t b = 0; b < 64; ++b) {
                EXPECT_EQ(batch.domains[b], batch.targets[b]);
                const auto key =
                    std::make_pair(std::make_pair(batch.points[2 * b], batch.points[2 * b + 1]), batch.targets[b]);
                EXPECT_EQ((validation ? val : train).count(key), 1u) << name;
            }
        }
    }
}

TEST(Toy2dTest, BatchesAreAPureFunctionOfSeedAndIndex) {
    auto a = toy("spirals"), b = toy("spirals"), other = toy("spirals", 0.1, 2000, 3, 2);
    b->train_batch(0, 32, 1);
    EXPECT_EQ(a->train_batch(4, 32, 1).points, b->train_batch(4, 32, 1).points);
    EXPECT_EQ(a->train_batch(4, 32, 1).targets, b->train_batch(4, 32, 1).targets);
    EXPECT_EQ(a->val_batch(4, 32, 1).points, b->val_batch(4, 32, 1).points);
    EXPECT_NE(a->train_batch(4, 32, 1).points, a->train_batch(5, 32, 1).points);
    EXPECT_NE(a->train_batch(4, 32, 1).points, other->train_batch(4, 32, 1).points);
    EXPECT_THROW(a->train_batch(0, 0, 1), ConfigError);
}

TEST(Toy2dTest, UnigramEntropyIsTheClassEntropy) {
    for (int classes : {2, 3, 5}) {
        auto d = toy("clusters", 0.1, 1000, classes);
        const auto counts = class_counts(*d, 0, d->num_train());
        double h = 0.0;
        for (int c : counts) {
            const double p = c / static_cast<double>(d->num_train());
            h -= p * std::log(p);
        }
        EXPECT_NEAR(d->unigram_entropy(), h, 1e-12);
        EXPECT_NEAR(d->unigram_entropy(), std::log(static_cast<double>(classes)), 1e-3);
    }
}

TEST(Toy2dDataConfig, BadSettingsAreConfigErrors) {
    DataConfig config;
    config.dataset = "spirals";
    for (int points : {0, -5, 3}) {
        config.points = points;
        EXPECT_THROW(make_dataset(config, 1), ConfigError) << points;
    }
    config.points = 2000;
    config.noise = -0.1;
    EXPECT_THROW(make_dataset(config, 1), ConfigError);
    config.noise = std::nan("");
    EXPECT_THROW(make_dataset(config, 1), ConfigError);
    config.noise = 0.1;
    for (int classes : {1, 0, -2, kMaxToyClasses + 1}) {
        config.classes = classes;
        EXPECT_THROW(make_dataset(config, 1), ConfigError) << classes;
    }
    config.classes = 3;
    config.val_fraction = 0.7;
    EXPECT_THROW(make_dataset(config, 1), ConfigError);
    config.val_fraction = 0.1;
    EXPECT_NO_THROW(make_dataset(config, 1));
    try {
        config.points = -1;
        make_dataset(config, 1);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("points"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace moe
