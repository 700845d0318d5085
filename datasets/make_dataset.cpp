// make_dataset: checks a DataConfig and builds the dataset it names.
#include "datasets/dataset.h"

#include "core/error.h"
#include "datasets/byte_dataset.h"
#include "datasets/corpus.h"
#include "datasets/text_file.h"
#include "datasets/toy2d.h"

#include <algorithm>
#include <cmath>
#include <locale>
#include <sstream>

namespace moe {
namespace {

// Locale-independent and without trailing zeros: "0.9", not "0,900000".
std::string number(double v) {
    std::ostringstream s;
    s.imbue(std::locale::classic());
    s << v;
    return s.str();
}

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size(); ++i) s += (i == 0 ? "" : ", ") + names[i];
    return s;
}

void check_toy_config(const DataConfig& config) {
    const bool uses_classes = config.dataset == "spirals" || config.dataset == "clusters";
    if (uses_classes && (config.classes < 2 || config.classes > kMaxToyClasses)) {
        throw ConfigError("classes = " + std::to_string(config.classes) + " is out of range for dataset \"" +
                          config.dataset + "\": use 2 to " + std::to_string(kMaxToyClasses));
    }
    const int classes = uses_classes ? config.classes : 2;
    if (config.points <= 0) {
        throw ConfigError("points = " + std::to_string(config.points) +
                          " must be positive: give the number of 2-D points, e.g. points=2000");
    }
    const int minimum = kMinToyPointsPerClass * classes;
    if (config.points < minimum || config.points > kMaxToyPoints) {
        throw ConfigError("points = " + std::to_string(config.points) + " is out of range for dataset \"" +
                          config.dataset + "\" with " + std::to_string(classes) + " classes: use " +
                          std::to_string(minimum) + " to " + std::to_string(kMaxToyPoints));
    }
    if (!(config.noise >= 0.0) || !std::isfinite(config.noise)) {
        throw ConfigError("noise = " + number(config.noise) +
                          " must be 0 or more: 0 gives clean shapes, 0.1 a little noise, 1 heavy overlap");
    }
}

}  // namespace

std::vector<std::string> dataset_names() {
    std::vector<std::string> names = {"corpus", "text"};
    for (const std::string& n : toy_dataset_names()) names.push_back(n);
    return names;
}

bool is_language_dataset(const std::string& name) { return name == "corpus" || name == "text"; }

std::unique_ptr<Dataset> make_dataset(const DataConfig& config, uint64_t seed) {
    const std::vector<std::string> names = dataset_names();
    if (std::find(names.begin(), names.end(), config.dataset) == names.end()) {
        throw ConfigError("unknown dataset \"" + config.dataset + "\": use one of " + joined(names));
    }
    if (!(config.val_fraction > 0.0 && config.val_fraction <= 0.5)) {
        throw ConfigError("val_fraction = " + number(config.val_fraction) +
                          " is out of range: use a share above 0 and at most 0.5, e.g. 0.1");
    }
    if (config.dataset == "corpus") {
        const int n = config.corpus_bytes_per_domain;
        if (n < kMinCorpusBytesPerDomain || n > kMaxCorpusBytesPerDomain) {
            throw ConfigError("corpus_bytes_per_domain = " + std::to_string(n) + " is out of range: use " +
                              std::to_string(kMinCorpusBytesPerDomain) + " to " +
                              std::to_string(kMaxCorpusBytesPerDomain) + ", e.g. 60000");
        }
        ByteDataset::Source source{"corpus domain", "raise corpus_bytes_per_domain"};
        return std::make_unique<ByteDataset>("corpus", generate_corpus(n), config.val_fraction, seed,
                                             std::move(source));
    }
    if (config.dataset == "text") return make_text_dataset(config.data_file, config.val_fraction, seed);
    check_toy_config(config);
    // Points and split from the fixed data seed, batches from the run's: the same held-out points for every run.
    ToyPoints points =
        generate_toy_points(config.dataset, config.points, config.classes, config.noise, kToyDataSeed);
    return std::make_unique<ToyDataset>(config.dataset, points, config.val_fraction, seed, kToyDataSeed);
}

}  // namespace moe
