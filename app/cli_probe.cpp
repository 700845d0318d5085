// moelab-cli probe: DeepSeekMoE's evaluation probes (core/train/probes.h) on trained checkpoints. Each checkpoint
// is evaluated on the fixed validation set of the dataset it was trained on (rebuilt from the config stored in
// it), or on --data FILE; every checkpoint is loaded and checked before the first evaluation, so a missing or
// mismatched file fails at once and writes nothing.
#include "app/cli_commands.h"
#include "core/checkpoint.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/train/probes.h"

#include <cstdio>
#include <iostream>
#include <memory>

namespace moe::cli {

namespace {

struct Prepared {
    std::string path;
    LoadedCheckpoint checkpoint;
    std::unique_ptr<Dataset> dataset;
    std::vector<Batch> set;
};

Prepared prepare(const std::string& path, const std::string& data_file) {
    Prepared p;
    p.path = path;
    p.checkpoint = load_checkpoint(path);
    Config& c = p.checkpoint.config;
    if (!data_file.empty()) {
        if (!p.checkpoint.language)
            throw ConfigError("--data gives a text file, but " + path + " is a 2-D classifier (dataset = " +
                              c.data.dataset + "): leave --data out to probe it on its own data");
        c.data.dataset = "text";
        c.data.data_file = data_file;
    }
    p.dataset = make_dataset(c.data, c.train.seed);
    if (p.dataset->is_language() != p.checkpoint.language || p.dataset->num_outputs() != p.checkpoint.n_outputs)
        throw ConfigError(path + " has " + std::to_string(p.checkpoint.n_outputs) + " outputs but its dataset " +
                          p.dataset->name() + " has " + std::to_string(p.dataset->num_outputs()) +
                          ": the checkpoint's stored config does not match its weights");
    p.set = p.dataset->validation_set(c.train.batch_size, c.train.seq_len, c.train.eval_sequences);
    return p;
}

// The preset names the model; a second model of the same preset gets "#2", "#3", ...
std::string unique_name(const std::string& base, const std::vector<ProbeModel>& taken) {
    std::string name = base.empty() ? "model" : base;
    for (int n = 2;; ++n) {
        bool clash = false;
        for (const auto& m : taken) clash = clash || m.name == name;
        if (!clash) return name;
        name = (base.empty() ? "model" : base) + "#" + std::to_string(n);
    }
}

}  // namespace

int run_probe(const ProbeCommandOptions& o) {
    if (o.checkpoints.empty()) throw ConfigError("probe needs at least one --checkpoint FILE");
    if (o.out_dir.empty()) throw ConfigError("probe needs --out DIR for probes.csv and probes.json");
    if (o.r_max < 0) throw ConfigError("--r-max " + std::to_string(o.r_max) + " must be 0 or more");

    std::vector<Prepared> all;
    for (const auto& path : o.checkpoints) all.push_back(prepare(path, o.data_file));

    ProbeOptions options;
    options.r_max = o.r_max;
    std::vector<ProbeModel> models;
    for (Prepared& p : all) {
        const Config& c = p.checkpoint.config;
        const ParallelScope threads(c.train.threads);  // the width the model was trained with, for this model
        ProbeModel m;
        m.name = unique_name(c.preset, models);
        m.checkpoint = p.path;
        m.domains = p.dataset->domain_names();
        const auto progress = [&](int done, int total) {
            if (!o.quiet) std::fprintf(stderr, "probe %s: %d/%d evaluations\n", m.name.c_str(), done, total);
        };
        m.results = run_probes(*p.checkpoint.model, p.set, static_cast<int>(m.domains.size()), options, progress);
        models.push_back(std::move(m));
    }

    write_probe_files(o.out_dir, models);
    std::cout << probe_table_text(models);
    if (!o.quiet) std::fprintf(stderr, "wrote %s/{probes.csv,probes.json}\n", o.out_dir.c_str());
    return 0;
}

}  // namespace moe::cli
