// moelab-cli: train, inspect, probe and account MoE models from the command line (the GUI drives the same engine).
#include "app/cli_commands.h"
#include "core/config.h"
#include "core/error.h"
#include "core/presets.h"
#include "core/runtime.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <limits>

namespace {

std::string keys_help() {
    std::string s = "\nConfig keys (JSON config files and --set key=value; Hugging Face DeepSeek names where one exists):\n";
    for (const auto& k : moe::config_keys()) {
        char line[256];
        std::snprintf(line, sizeof line, "  %-26s %-7s %s\n", k.name.c_str(), k.type.c_str(), k.help.c_str());
        s += line;
    }
    s += "\nPresets:\n";
    for (const auto& p : moe::presets()) s += "  " + p.name + std::string(14 - std::min<size_t>(13, p.name.size()), ' ') + p.description + "\n";
    return s;
}

// CLI11's range check for a whole-number option, with the message in its words: "--steps: must be a whole
// number of at least 1, not -5". Without it a negative value would pass for "not given" (-1) and silently run
// the config's default.
template <class T>
CLI::Validator whole_number(T lo) {
    const T hi = std::numeric_limits<T>::max();
    const CLI::Range range(lo, hi);
    return CLI::Validator(
        [range, lo, hi](std::string& in) {
            if (range(in).empty()) return std::string{};
            long long v = 0;
            if (CLI::detail::lexical_cast(in, v) && v < static_cast<long long>(lo))
                return "must be a whole number of at least " + std::to_string(lo) + ", not " + in;
            return "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not " + in;
        },
        "");  // the range is in each option's help text
}

}  // namespace

int main(int argc, char** argv) {
    moe::configure_allocator();
    CLI::App app{"MoE Lab command line: train DeepSeekMoE and standard MoE models, inspect their routing, count parameters"};
    app.require_subcommand(1);

    moe::cli::TrainOptions train;
    auto* t = app.add_subcommand("train", "train a model and write a run folder");
    t->add_option("--preset", train.preset, "model preset (default: deepseek)");
    t->add_option("--config", train.config_file, "JSON file of config keys (applied after the preset)");
    t->add_option("--set", train.settings, "key=value, repeatable (applied last)")->allow_extra_args(false);
    t->add_option("--steps", train.steps, "training steps, 1 or more (default: the config's steps)")
        ->check(whole_number(1));
    t->add_option("--seed", train.seed, "random seed, 0 or more (default: the config's seed)")
        ->check(whole_number(0LL));
    t->add_option("--data", train.data_file, "train on this text file instead of the bundled corpus");
    t->add_option("--out", train.out_dir, "run folder to write (default: runs/PRESET-seedS)");
    t->add_option("--device", train.device,
                  "cpu (default), cuda (exits with a message when no GPU is usable), auto (CUDA when usable, else "
                  "the CPU), emulated (the GPU code path run on the CPU, for checking)");
    t->add_flag("--quiet", train.quiet, "no progress lines");
    t->add_flag("--overwrite", train.overwrite, "replace an existing, non-empty --out folder");
    t->footer(keys_help());

    moe::cli::SweepOptions sweep;
    auto* w = app.add_subcommand("sweep", "an ablation grid: presets x --vary values x seeds, with a summary table");
    w->add_option("--preset", sweep.presets, "a preset of the grid, repeatable (default: deepseek)");
    w->add_option("--config", sweep.config_file, "JSON file of config keys (applied after each preset)");
    w->add_option("--set", sweep.settings, "key=value for every run, repeatable")->allow_extra_args(false);
    w->add_option("--vary", sweep.vary, "key=v1,v2,...: one axis of the grid, repeatable")->allow_extra_args(false);
    w->add_option("--seeds", sweep.seeds, "seeds of every configuration, each 0 or more (default 1,2,3)")
        ->delimiter(',')
        ->check(whole_number(0LL));
    w->add_option("--steps", sweep.steps, "training steps of every run, 1 or more (default: the config's steps)")
        ->check(whole_number(1));
    w->add_option("--out", sweep.out_dir, "folder for the run folders and the tables (default: runs/sweep)");
    w->add_option("--device", sweep.device, "cpu (default), cuda, auto or emulated, as for train");
    w->add_option("--baseline", sweep.baseline,
                  "the configuration the others are compared with, seed by seed: its label or 0-based index "
                  "(default: the first)");
    w->add_flag("--quiet", sweep.quiet, "no progress lines (the final table is still printed)");
    w->add_flag("--overwrite", sweep.overwrite, "replace an existing, non-empty --out folder");
    w->footer(keys_help());

    moe::cli::InspectOptions inspect;
    auto* i = app.add_subcommand("inspect", "run a checkpoint on a text and dump what every MoE layer did");
    i->add_option("--checkpoint", inspect.checkpoint, "model.safetensors of a run")->required();
    i->add_option("--text", inspect.text, "the text, run as one sequence")->required();
    i->add_option("--out", inspect.out, "safetensors file to write")->required();

    moe::cli::ParamsOptions params;
    auto* p = app.add_subcommand("params", "total and activated parameters and FLOPs per token");
    p->add_option("--preset", params.preset, "model preset (default: deepseek)");
    p->add_option("--config", params.config_file, "JSON file of config keys");
    p->add_option("--set", params.settings, "key=value, repeatable")->allow_extra_args(false);
    p->add_flag("--all", params.all_presets, "every preset, one table each");
    p->add_flag("--json", params.json, "machine-readable output");
    p->footer(keys_help());

    moe::cli::ProbeCommandOptions probe;
    auto* pr = app.add_subcommand("probe", "DeepSeekMoE's probes on checkpoints: mask top-r experts, shared experts "
                                           "off, fewer activated experts k' (loss on the validation set)");
    pr->add_option("--checkpoint", probe.checkpoints, "model.safetensors of a run, repeatable (one model each)")
        ->required()
        ->allow_extra_args(false);
    pr->add_option("--out", probe.out_dir, "folder for probes.csv and probes.json")->required();
    pr->add_option("--r-max", probe.r_max, "mask top-r for r = 0..R, R 0 or more (default 4)")
        ->check(whole_number(0));
    pr->add_option("--data", probe.data_file, "evaluate on this text file instead of the checkpoint's dataset");
    pr->add_flag("--quiet", probe.quiet, "no progress lines (the tables are still printed)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (*t) return moe::cli::run_train(train);
        if (*w) return moe::cli::run_sweep(sweep);
        if (*i) return moe::cli::run_inspect(inspect);
        if (*p) return moe::cli::run_params(params);
        if (*pr) return moe::cli::run_probe(probe);
    } catch (const moe::InternalError& e) {
        // A bug, not a setting: its own code (EX_SOFTWARE), so scripts never take it for a configuration error.
        std::cerr << "moelab-cli: " << e.what() << "\n";
        return 70;
    } catch (const moe::ConfigError& e) {
        std::cerr << "moelab-cli: configuration error: " << e.what() << "\n";
        return 2;
    } catch (const moe::TrainingError& e) {
        std::cerr << "moelab-cli: " << e.what() << "\n";
        return 3;
    } catch (const moe::Error& e) {
        std::cerr << "moelab-cli: " << e.what() << "\n";
        return 4;
    } catch (const std::exception& e) {
        std::cerr << "moelab-cli: unexpected error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
