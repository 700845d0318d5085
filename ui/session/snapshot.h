// What the GUI shows, as an immutable value the trainer thread publishes at a bounded rate. Widgets only read
// snapshots (std::shared_ptr<const Snapshot>); they never touch a trainer, so the GUI never waits on a step.
#pragma once

#include "core/accounting.h"
#include "core/config.h"
#include "core/train/metrics.h"

#include <QString>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace moe::ui {

struct Series {
    std::vector<double> x, y;
};

// The mean of a series' finite values over its last `window` steps (x > last x - window), NaN when it has none: the
// score board's train loss and the Balance view's dropped share average the last 50 steps, as one step is noisy.
double recent_mean(const Series& s, double window = 50);

// How many of the latest routing samples the utilisation bars average.
constexpr int kUtilisationWindow = 10;

// One MoE layer of one model.
struct LayerSnapshot {
    int layer = 0;
    int n_routed = 0, n_shared = 0, top_k = 0;
    std::vector<double> load_fraction;  // [N_r] share of token-slots in the latest routing sample (sums to 1)
    std::vector<double> mean_prob;      // [N_r] mean gate probability
    std::vector<bool> dead;             // [N_r] no token in the latest sample
    // The same over the last window_samples routing samples (at most kUtilisationWindow, routing_interval steps apart):
    // what the utilisation bars show, so they do not flicker with every batch. Dead: no token in the whole window.
    std::vector<double> window_load_fraction, window_mean_prob;
    int window_samples = 0;
    LayerBalance balance;
    std::vector<std::vector<double>> domain_load;  // [domain][expert] token-slots, accumulated since reset
    std::vector<double> util_steps;                // utilisation over time: step of each row
    std::vector<std::vector<double>> util_rows;    // [time][expert] load fraction
    std::vector<double> bias_steps;                // noaux_tc's selection bias over time: step of each row
    std::vector<std::vector<double>> bias_rows;    // [time][expert] b_i (empty without noaux_tc)
    // Simulated expert parallelism (devices > 1), latest routing sample.
    std::vector<std::vector<double>> traffic;  // [D][D] token-copies sent src -> dst on dispatch (combine: transpose)
    std::vector<double> device_load;           // [D] token-expert pairs processed on each device
};

// The probe text through one MoE layer (LM only).
struct ProbeLayer {
    int layer = 0;
    std::vector<std::vector<float>> scores;    // [T][N_r] softmax gate probabilities
    std::vector<std::vector<int>> topk_idx;    // [T][k]
    std::vector<std::vector<float>> topk_weight;  // [T][k]
    std::vector<float> shared_share;           // [T] |shared| / (|shared| + |routed|), 0 when K_s = 0
};

// The 2-D input plane (classifier only): a grid over [x0,x1] x [y0,y1], row-major from y0 up.
struct PlaneSnapshot {
    int grid = 0;
    double x0 = -1.5, x1 = 1.5, y0 = -1.5, y1 = 1.5;
    std::vector<std::vector<int>> top1_expert;  // [MoE layer][grid*grid]
    std::vector<int> predicted_class;           // [grid*grid]
    std::vector<float> points;                  // [n*2] training points
    std::vector<int> labels;                    // [n]
    int n_classes = 0;
};

// One MoE layer measured on the fixed validation set (core/train/evaluation.h), over the evaluation steps.
struct LayerEvalSnapshot {
    int layer = 0;
    int n_routed = 0, top_k = 0;
    Series max_violation;          // MaxVio_global: max load / mean load - 1 over the validation set
    Series balance_statistic;      // N_r * sum_i f_i P_i over the validation set (1 = balanced)
    Series domain_specialisation;  // I(domain; expert) / H(domain)
    Series byte_specialisation;    // NaN on 2-D sets
    Series saturation;             // share of each token's top-k unchanged since the previous evaluation
    // The latest evaluation's tables.
    std::vector<double> top_expert_relative_load;   // [domain]
    std::vector<std::vector<double>> domain_load;   // [domain][expert] token-slots on the validation set
    std::vector<double> coactivation;               // [N_r * N_r] N(i,j) / N(i)
};

// The model on the fixed validation set: the same held-out sequences for every model, seed and run.
struct EvalSnapshot {
    int last_step = 0;          // step of the latest evaluation (0: none yet)
    int64_t tokens = 0;         // validation tokens (points) per evaluation
    double loss = 0;            // latest validation loss (NaN before the first)
    double accuracy = 0;        // latest validation accuracy
    std::vector<double> domain_loss;  // latest, [domain]
    Series accuracy_curve;
    std::vector<Series> domain_loss_curves;  // [domain]
    std::vector<LayerEvalSnapshot> layers;   // MoE layers
};

struct ModelSnapshot {
    QString label;
    QString device = "CPU";  // where it trains: "CPU", "CUDA (<GPU name>)", ...
    Config config;
    Accounting accounting;
    bool language = true;
    std::vector<std::string> domain_names;
    Series loss, val_loss, aux_loss, lr, grad_norm, accuracy;
    Series z_loss;  // the router z-loss added to the loss, summed over the MoE layers (StepMetrics::z_loss)
    Series dropped;  // capacity_factor > 0: share of token-slots dropped over capacity, mean over the MoE layers
    // Per step, the mean over the MoE layers of LayerBalance::balance_statistic (N_r * sum_i f_i P_i, unweighted by
    // alpha: 1 when balanced) and of LayerBalance::max_violation (MaxVio_batch = max load / mean load - 1: 0 when
    // balanced). The mean keeps the neutral levels of one layer; empty for a dense model or an old run folder.
    Series balance_statistic, max_violation;
    // Per step, means over the MoE layers on the training batch, against their baselines: the routing entropy per
    // token over ln N_r (1 = a uniform gate, 0 = one expert takes all the probability) and the share of routed experts
    // that got no token (0 = none dead). Empty for a dense model.
    Series routing_entropy, dead_share;
    // Simulated expert parallelism, per step (devices > 1 only): bytes sent on dispatch summed over the MoE layers
    // (combine sends the same back), and distinct remote devices a token visits (mean over tokens and layers).
    int devices = 1;
    Series dispatch_bytes, remote_devices;
    std::vector<LayerSnapshot> layers;  // MoE layers only
    std::string probe_text;
    std::vector<ProbeLayer> probe;
    PlaneSnapshot plane;
    double final_val_loss = 0;  // latest validation loss (NaN before the first)
    EvalSnapshot eval;
};

struct Snapshot {
    int step = 0;
    int target_steps = 0;
    bool running = false;
    double steps_per_second = 0;  // measured
    uint64_t serial = 0;          // increases with every published snapshot
    std::array<ModelSnapshot, 2> models;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// One point of the 2-D plane run through a model on request (clicking the plane).
struct PointInspection {
    int model = 0;
    double x = 0, y = 0;
    std::vector<ProbeLayer> layers;  // each with T = 1
    std::vector<float> class_probs;
};

}  // namespace moe::ui
