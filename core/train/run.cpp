#include "core/train/run.h"

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <system_error>

namespace moe {
namespace {

namespace fs = std::filesystem;

// config.json first: once it is gone the folder no longer reads as a run, whatever is left of the others.
constexpr const char* kRunFiles[] = {"config.json",     "metrics.csv",      "routing.csv",      "traffic.csv",
                                     "val_routing.csv", "coactivation.csv", "model.safetensors"};

// `name` is `base` or a temporary write_file_atomic makes beside it ("<base>.tmp-<pid>-...").
bool is_file_or_temporary(const std::string& name, const std::string& base) {
    return name == base || name.rfind(base + ".tmp-", 0) == 0;
}

// Sorts the run's own files in kRunFiles order (config.json first), the rest after them.
int removal_rank(const std::string& name) {
    for (size_t i = 0; i < std::size(kRunFiles); ++i)
        if (name == kRunFiles[i]) return static_cast<int>(i);
    return static_cast<int>(std::size(kRunFiles));
}

}  // namespace

bool is_run_file(const std::string& name) {
    for (const char* base : kRunFiles)
        if (is_file_or_temporary(name, base)) return true;
    return false;
}

std::vector<fs::path> files_to_replace(const fs::path& dir, ExistingFolder existing) {
    std::error_code ec;
    const fs::file_status st = fs::status(dir, ec);
    if (!fs::exists(st)) return {};
    if (!fs::is_directory(st))
        throw FileError("Cannot write the run folder '" + dir.string() +
                        "': a file with that name exists. Remove or rename it, or choose another folder.");
    std::vector<fs::path> found;
    std::string foreign;
    try {
        for (const auto& entry : fs::directory_iterator(dir)) {
            const std::string name = entry.path().filename().string();
            const bool ours = entry.is_regular_file() && !entry.is_symlink() && is_run_file(name);
            if (!ours && foreign.empty()) foreign = name + (entry.is_directory() ? "/" : "");
            found.push_back(entry.path());
        }
    } catch (const fs::filesystem_error& e) {
        throw FileError("Cannot list the run folder '" + dir.string() + "': " + e.code().message() +
                        ". Check that it is readable, or choose another folder.");
    }
    if (found.empty()) return {};
    if (existing == ExistingFolder::refuse)
        throw FileError("The run folder '" + dir.string() + "' is not empty (it holds " +
                        found.front().filename().string() +
                        (found.size() > 1 ? " and " + std::to_string(found.size() - 1) + " more" : std::string()) +
                        "): a new run is never mixed with an earlier one. Choose another folder, or replace the "
                        "earlier run (moelab-cli: --overwrite).");
    if (!foreign.empty())
        throw FileError("The run folder '" + dir.string() + "' holds '" + foreign +
                        "', which MoE Lab did not write: it replaces only a folder of its own run files and deletes "
                        "nothing else. Move that file away, or choose another folder.");
    std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
        const int ra = removal_rank(a.filename().string()), rb = removal_rank(b.filename().string());
        return ra != rb ? ra < rb : a < b;
    });
    return found;
}

void remove_earlier_files(const std::vector<fs::path>& paths, const std::string& what) {
    for (const fs::path& p : paths) {
        std::error_code ec;
        fs::remove(p, ec);
        if (ec)
            throw FileError("Cannot remove '" + p.string() + "' of the earlier " + what + ": " + ec.message() +
                            ". Check that the folder is writable, or choose another folder.");
    }
}

void prepare_run_folder(const fs::path& dir, ExistingFolder existing) {
    remove_earlier_files(files_to_replace(dir, existing), "run");
}

RunOutcome train_run(const Config& config, const std::string& out, const RunHooks& hooks, ExistingFolder existing) {
    files_to_replace(out, existing);  // refused before any work: loading data and building a model take a while
    Trainer trainer(config);
    RunOutcome o;
    o.dir = out;
    o.unigram_entropy = trainer.dataset().unigram_entropy();
    if (hooks.backend) trainer.set_backend(hooks.backend(trainer.model(), &o.device));
    prepare_run_folder(out, existing);
    RunWriter writer(out, config, trainer.dataset().domain_names());
    if (hooks.on_start) hooks.on_start(trainer, o.device);

    const auto start = std::chrono::steady_clock::now();
    auto last_flush = start;
    auto seconds_since = [](auto t0) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    o.final_val_loss = NAN;
    try {
        for (int s = 0; s < config.train.steps; ++s) {
            if (hooks.stop && hooks.stop()) {
                o.stopped = true;
                break;
            }
            const StepMetrics m = trainer.train_step();
            writer.add(m);
            o.steps = m.step;
            if (!std::isnan(m.val_loss)) o.final_val_loss = m.val_loss;
            if (m.eval) {
                auto summary = std::make_shared<Evaluation>(*m.eval);
                summary->routing.clear();
                summary->routing.shrink_to_fit();
                o.final_eval = std::move(summary);
            }
            o.final_loss = m.loss;
            o.final_aux_loss = m.aux_loss;
            o.final_accuracy = m.accuracy;
            if (hooks.on_step) hooks.on_step(m, seconds_since(start));
            if (seconds_since(last_flush) > 2.0) {
                writer.flush();
                last_flush = std::chrono::steady_clock::now();
            }
        }
    } catch (const TrainingError&) {
        writer.flush();  // everything up to the failing step stays readable
        throw;
    }
    writer.flush();
    save_checkpoint(writer.dir() / "model.safetensors", trainer.model(), trainer.dataset().is_language(),
                    trainer.dataset().num_outputs());
    o.seconds = seconds_since(start);
    return o;
}

}  // namespace moe
