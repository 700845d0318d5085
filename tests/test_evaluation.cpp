// Evaluation on the fixed validation set (core/train/evaluation.h): the same set for every seed and model, exact
// per-domain losses, the same numbers for any thread count and as a plain loop over the model's forward, router
// saturation against the previous evaluation, the eval_sequences key, and the run folder's new columns and files.
#include "core/config.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/train/evaluation.h"
#include "core/train/run.h"
#include "core/train/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace moe {
namespace {

Config tiny(const std::string& preset, std::vector<std::string> extra = {}) {
    std::vector<std::string> s = {"hidden_size=32",   "num_attention_heads=2", "ffn_base_width=32",
                                  "seq_len=32",       "batch_size=4",          "steps=6",
                                  "eval_interval=3",  "eval_sequences=3",      "corpus_bytes_per_domain=6000",
                                  "routing_interval=3"};
    s.insert(s.end(), extra.begin(), extra.end());
    return resolve_config(preset, "", s);
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_same_set(const std::vector<Batch>& a, const std::vector<Batch>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].batch, b[i].batch);
        EXPECT_EQ(a[i].inputs, b[i].inputs);
        EXPECT_EQ(a[i].targets, b[i].targets);
        EXPECT_EQ(a[i].points, b[i].points);
        EXPECT_EQ(a[i].domains, b[i].domains);
    }
}

// Every number of two evaluations, bit for bit (NaN equal to NaN).
void expect_identical(const Evaluation& a, const Evaluation& b) {
    EXPECT_TRUE(same_bits(a.loss, b.loss)) << a.loss << " vs " << b.loss;
    EXPECT_TRUE(same_bits(a.accuracy, b.accuracy));
    EXPECT_EQ(a.tokens, b.tokens);
    EXPECT_EQ(a.domain_tokens, b.domain_tokens);
    ASSERT_EQ(a.domain_loss.size(), b.domain_loss.size());
    for (size_t d = 0; d < a.domain_loss.size(); ++d) {
        EXPECT_TRUE(same_bits(a.domain_loss[d], b.domain_loss[d]));
        EXPECT_TRUE(same_bits(a.domain_accuracy[d], b.domain_accuracy[d]));
    }
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (size_t l = 0; l < a.layers.size(); ++l) {
        const LayerEvaluation &x = a.layers[l], &y = b.layers[l];
        EXPECT_EQ(x.load, y.load);
        EXPECT_EQ(x.mean_prob, y.mean_prob);
        EXPECT_TRUE(same_bits(x.max_violation, y.max_violation));
        EXPECT_TRUE(same_bits(x.balance_statistic, y.balance_statistic));
        EXPECT_TRUE(same_bits(x.domain_specialisation, y.domain_specialisation));
        EXPECT_TRUE(same_bits(x.byte_specialisation, y.byte_specialisation));
        EXPECT_TRUE(same_bits(x.saturation, y.saturation));
        EXPECT_EQ(x.domain_load, y.domain_load);
        EXPECT_EQ(x.coactivation, y.coactivation);
        EXPECT_EQ(a.routing[l].topk, b.routing[l].topk);
        EXPECT_EQ(a.routing[l].prob_sum, b.routing[l].prob_sum);
    }
}

TEST(Evaluation, FixedSetIsTheSameForEverySeedAndEveryModel) {
    Trainer a(tiny("deepseek", {"seed=1"})), b(tiny("deepseek", {"seed=7"})), c(tiny("gshard", {"seed=3"}));
    ASSERT_FALSE(a.validation_set().empty());
    expect_same_set(a.validation_set(), b.validation_set());
    expect_same_set(a.validation_set(), c.validation_set());
    // The seed still changes the training data, and so the model that is scored.
    EXPECT_NE(a.dataset().train_batch(0, 4, 32).inputs, b.dataset().train_batch(0, 4, 32).inputs);
    EXPECT_FALSE(same_bits(a.evaluate()->loss, b.evaluate()->loss));
}

TEST(Evaluation, DomainLossesAverageToTheTotalWithTokenWeights) {
    Trainer t(tiny("deepseek", {"steps=30", "warmup_steps=0"}));
    for (int s = 0; s < 30; ++s) t.train_step();
    const auto e = t.evaluate();
    const int domains = static_cast<int>(t.dataset().domain_names().size());
    ASSERT_EQ(e->domain_loss.size(), static_cast<size_t>(domains));
    ASSERT_EQ(e->domain_tokens.size(), static_cast<size_t>(domains));
    int64_t tokens = 0;
    double weighted = 0.0;
    for (int d = 0; d < domains; ++d) {
        // Every domain has the same number of validation tokens: eval_sequences windows of seq_len.
        EXPECT_EQ(e->domain_tokens[static_cast<size_t>(d)], 3 * 32) << d;
        tokens += e->domain_tokens[static_cast<size_t>(d)];
        weighted += static_cast<double>(e->domain_tokens[static_cast<size_t>(d)]) * e->domain_loss[static_cast<size_t>(d)];
    }
    EXPECT_EQ(tokens, e->tokens);
    EXPECT_NEAR(weighted / static_cast<double>(tokens), e->loss, 1e-12 * e->loss);
    // The domains are scored on their own tokens: once the model knows their bytes, dna (4 letters) is easier
    // than prose.
    double lo = e->domain_loss[0], hi = e->domain_loss[0];
    for (double x : e->domain_loss) lo = std::min(lo, x), hi = std::max(hi, x);
    EXPECT_GT(hi - lo, 0.05);
}

TEST(Evaluation, IdenticalForOneAndThreeThreads) {
    std::shared_ptr<const Evaluation> e[2];
    const int threads[2] = {1, 3};
    for (int r = 0; r < 2; ++r) {
        Trainer t(tiny("deepseek", {"threads=" + std::to_string(threads[r]), "seed=5"}));
        for (int s = 0; s < 2; ++s) t.train_step();
        t.evaluate();
        t.train_step();
        e[r] = t.evaluate();  // with a saturation reference
    }
    ASSERT_EQ(e[0]->layers.size(), 2u);
    EXPECT_FALSE(std::isnan(e[0]->layers[0].saturation));
    expect_identical(*e[0], *e[1]);
}

TEST(Evaluation, EqualsAHandLoopOverTheModelsForward) {
    Trainer t(tiny("gshard"));
    for (int s = 0; s < 3; ++s) t.train_step();
    const int domains = static_cast<int>(t.dataset().domain_names().size());
    const Evaluation e = evaluate_model(t.model(), t.validation_set(), domains);

    double loss_sum = 0.0;
    int64_t tokens = 0, correct = 0;
    std::vector<std::vector<int64_t>> load;  // per MoE layer, [expert]
    std::vector<std::vector<std::vector<int64_t>>> domain_load;
    for (const Batch& b : t.validation_set()) {
        const ForwardResult r = t.model().forward(b);
        loss_sum += r.loss * static_cast<double>(r.tokens);
        tokens += r.tokens;
        correct += r.correct;
        const std::vector<RoutingStats> stats = t.model().routing_stats(domains);
        load.resize(stats.size());
        domain_load.resize(stats.size());
        for (size_t l = 0; l < stats.size(); ++l) {
            load[l].resize(stats[l].load.size(), 0);
            domain_load[l].resize(stats[l].domain_load.size(), std::vector<int64_t>(stats[l].load.size(), 0));
            for (size_t x = 0; x < stats[l].load.size(); ++x) load[l][x] += stats[l].load[x];
            for (size_t d = 0; d < stats[l].domain_load.size(); ++d)
                for (size_t x = 0; x < stats[l].load.size(); ++x) domain_load[l][d][x] += stats[l].domain_load[d][x];
        }
    }
    EXPECT_EQ(e.tokens, tokens);
    // The model sums float exponentials in double, the evaluation works in double throughout.
    EXPECT_NEAR(e.loss, loss_sum / static_cast<double>(tokens), 1e-5);
    EXPECT_EQ(e.accuracy, static_cast<double>(correct) / static_cast<double>(tokens));
    ASSERT_EQ(e.layers.size(), load.size());
    for (size_t l = 0; l < load.size(); ++l) {
        EXPECT_EQ(e.layers[l].load, load[l]) << "layer " << l;
        EXPECT_EQ(e.layers[l].domain_load, domain_load[l]) << "layer " << l;
        EXPECT_EQ(e.routing[l].tokens(), tokens);
        EXPECT_NEAR(e.layers[l].max_violation, max_violation(load[l]), 1e-15);
    }
}

TEST(Evaluation, SaturationIsNaNAtTheFirstEvaluationThenAShareOfUnchangedChoices) {
    Trainer t(tiny("deepseek", {"warmup_steps=0"}));
    const auto first = t.evaluate();
    ASSERT_EQ(first->layers.size(), 2u);
    for (const LayerEvaluation& l : first->layers) EXPECT_TRUE(std::isnan(l.saturation));
    // Nothing changed: every token keeps its top-k.
    const auto again = t.evaluate();
    for (const LayerEvaluation& l : again->layers) EXPECT_EQ(l.saturation, 1.0);
    t.train_step();
    t.train_step();
    const auto later = t.train_step().eval;  // step 3 evaluates (eval_interval 3), against `again`
    ASSERT_TRUE(later);
    bool moved = false;
    for (const LayerEvaluation& l : later->layers) {
        EXPECT_GE(l.saturation, 0.0);
        EXPECT_LE(l.saturation, 1.0);
        moved |= l.saturation < 1.0;
    }
    EXPECT_TRUE(moved) << "three steps at the full learning rate moved no token's routing";
    // A reference of another set is not compared with.
    const Evaluation other = evaluate_model(t.model(), {t.validation_set().front()}, 5, &later->routing);
    for (const LayerEvaluation& l : other.layers) EXPECT_TRUE(std::isnan(l.saturation));
}

TEST(Evaluation, TrainerEvaluatesAtEvaluationStepsOnly) {
    Trainer t(tiny("deepseek"));
    for (int s = 1; s <= 6; ++s) {
        const StepMetrics m = t.train_step();
        if (s % 3 == 0) {
            ASSERT_TRUE(m.eval) << "step " << s;
            EXPECT_TRUE(same_bits(m.val_loss, m.eval->loss));
            EXPECT_EQ(m.eval->layers.size(), m.balance.size());
        } else {
            EXPECT_FALSE(m.eval) << "step " << s;
            EXPECT_TRUE(std::isnan(m.val_loss));
        }
    }
}

TEST(Evaluation, EvaluatingDoesNotChangeTraining) {
    Trainer often(tiny("deepseek", {"eval_interval=1", "warmup_steps=0"}));
    Trainer never(tiny("deepseek", {"eval_interval=100", "warmup_steps=0"}));
    for (int s = 1; s <= 6; ++s) {
        const StepMetrics a = often.train_step(), b = never.train_step();
        ASSERT_TRUE(a.eval);
        EXPECT_EQ(static_cast<bool>(b.eval), s == 6);  // the last step always evaluates
        EXPECT_TRUE(same_bits(a.loss, b.loss)) << "step " << s;
        EXPECT_TRUE(same_bits(a.grad_norm, b.grad_norm)) << "step " << s;
    }
}

TEST(Evaluation, ToySetScoresEveryValidationPointWithoutByteMeasures) {
    Trainer t(tiny("fine2", {"dataset=spirals", "classes=3", "points=300", "batch_size=16"}));
    t.train_step();
    const auto e = t.evaluate();
    const auto* toy = &t.dataset();
    int64_t points = 0;
    for (const Batch& b : t.validation_set()) points += b.batch;
    EXPECT_EQ(e->tokens, points);
    EXPECT_GT(points, 0);
    ASSERT_FALSE(e->layers.empty());
    EXPECT_TRUE(std::isnan(e->layers[0].byte_specialisation));
    EXPECT_FALSE(std::isnan(e->layers[0].domain_specialisation));
    ASSERT_EQ(e->domain_loss.size(), static_cast<size_t>(toy->num_outputs()));
}

TEST(EvalSequencesKey, RangeIsCheckedAndTheLegacyKeyOfStoredConfigsIsIgnored) {
    // The default keeps an evaluation under a tenth of the training time at eval_interval 50 (batch 8, seq 64).
    EXPECT_EQ(Config{}.train.eval_sequences, 16);
    EXPECT_THROW(tiny("deepseek", {"eval_sequences=0"}), ConfigError);
    EXPECT_THROW(tiny("deepseek", {"eval_sequences=" + std::to_string(kMaxEvalSequences + 1)}), ConfigError);
    // A typed --set eval_batches is an unknown key, named as such...
    EXPECT_THROW(tiny("deepseek", {"eval_batches=4"}), ConfigError);
    // ... but a run folder's config.json from before the fixed set still loads.
    nlohmann::json stored = config_to_json(tiny("deepseek", {"eval_sequences=5"}));
    stored.erase("eval_sequences");
    stored["eval_batches"] = 4;
    const Config c = config_from_json(stored);
    EXPECT_EQ(c.train.eval_sequences, Config{}.train.eval_sequences);
    EXPECT_EQ(c.model.hidden_size, 32);
}

// A CSV file as a header and rows of cells (the run writer never quotes).
struct Csv {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    int column(const std::string& name) const {
        for (size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return static_cast<int>(i);
        return -1;
    }
};

std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    std::istringstream in(line);
    while (std::getline(in, cell, ',')) out.push_back(cell);
    if (!line.empty() && line.back() == ',') out.push_back("");
    return out;
}

Csv read_csv(const std::filesystem::path& path) {
    Csv csv;
    std::istringstream in(read_file(path));
    std::string line;
    std::getline(in, line);
    csv.header = cells(line);
    while (std::getline(in, line)) csv.rows.push_back(cells(line));
    return csv;
}

TEST(EvaluationRunFolder, MetricsHaveTheEvaluationColumnsAndTheFilesTheirTables) {
    const auto dir = std::filesystem::temp_directory_path() / "moelab-test-evaluation-run";
    std::filesystem::remove_all(dir);
    const Config config = tiny("deepseek");
    const RunOutcome o = train_run(config, dir.string());
    ASSERT_TRUE(o.final_eval);
    EXPECT_TRUE(o.final_eval->routing.empty());  // kept small for sweeps
    EXPECT_EQ(o.final_eval->loss, o.final_val_loss);

    const Csv m = read_csv(dir / "metrics.csv");
    ASSERT_EQ(m.rows.size(), 6u);
    std::vector<std::string> eval_columns = {"val_loss", "val_accuracy"};
    for (const char* d : {"prose", "code", "arithmetic", "dna", "markup"}) eval_columns.push_back(std::string("val_loss_") + d);
    for (int l : {0, 1})
        for (const char* s : {"val_max_violation", "val_balance_statistic", "domain_specialisation",
                              "byte_specialisation"})
            eval_columns.push_back("layer" + std::to_string(l) + "_" + s);
    for (const std::string& c : eval_columns) {
        const int i = m.column(c);
        ASSERT_GE(i, 0) << c;
        for (size_t r = 0; r < m.rows.size(); ++r) {
            ASSERT_EQ(m.rows[r].size(), m.header.size()) << "row " << r;
            const std::string& cell = m.rows[r][static_cast<size_t>(i)];
            if ((r + 1) % 3 == 0) {
                ASSERT_FALSE(cell.empty()) << c << " step " << r + 1;
                EXPECT_TRUE(std::isfinite(std::stod(cell))) << c;
            } else {
                EXPECT_TRUE(cell.empty()) << c << " step " << r + 1 << ": " << cell;
            }
        }
    }
    // The batch measures are on every row; saturation is empty at the first evaluation, a share at the second.
    for (int l : {0, 1}) {
        const std::string p = "layer" + std::to_string(l) + "_";
        for (const char* s : {"max_violation", "balance_statistic"}) {
            const int i = m.column(p + s);
            ASSERT_GE(i, 0) << p + s;
            for (const auto& row : m.rows) EXPECT_TRUE(std::isfinite(std::stod(row[static_cast<size_t>(i)])));
        }
        const int sat = m.column(p + "saturation");
        ASSERT_GE(sat, 0);
        EXPECT_TRUE(m.rows[2][static_cast<size_t>(sat)].empty());
        const double later = std::stod(m.rows[5][static_cast<size_t>(sat)]);
        EXPECT_GE(later, 0.0);
        EXPECT_LE(later, 1.0);
    }
    EXPECT_NEAR(std::stod(m.rows[5][static_cast<size_t>(m.column("val_loss"))]), o.final_val_loss, 1e-12);

    // val_routing.csv: at steps 3 and 6, every layer's domain x expert loads add up to its token-slots.
    const Csv v = read_csv(dir / "val_routing.csv");
    EXPECT_EQ(v.header, (std::vector<std::string>{"step", "layer", "domain", "expert", "load"}));
    const int k = config.model.num_experts_per_tok, n_routed = config.model.n_routed_experts;
    std::map<std::pair<int, int>, int64_t> slots;
    for (const auto& row : v.rows) slots[{std::stoi(row[0]), std::stoi(row[1])}] += std::stoll(row[4]);
    EXPECT_EQ(v.rows.size(), 2u * 2u * 5u * static_cast<size_t>(n_routed));
    for (int step : {3, 6})
        for (int l : {0, 1}) EXPECT_EQ((slots[{step, l}]), o.final_eval->tokens * k) << step << " " << l;

    // coactivation.csv: the last evaluation only, N_r x N_r per layer, the diagonal 1 for used experts.
    const Csv c = read_csv(dir / "coactivation.csv");
    EXPECT_EQ(c.header, (std::vector<std::string>{"step", "layer", "expert_i", "expert_j", "value"}));
    ASSERT_EQ(c.rows.size(), 2u * static_cast<size_t>(n_routed * n_routed));
    for (const auto& row : c.rows) {
        EXPECT_EQ(row[0], "6");
        const double x = std::stod(row[4]);
        EXPECT_GE(x, 0.0);
        EXPECT_LE(x, 1.0);
        const int layer = std::stoi(row[1]), i = std::stoi(row[2]), j = std::stoi(row[3]);
        ASSERT_LT(layer, static_cast<int>(o.final_eval->layers.size()));
        const LayerEvaluation& le = o.final_eval->layers[static_cast<size_t>(layer)];
        ASSERT_EQ(le.layer, layer);
        EXPECT_EQ(x, le.coactivation[static_cast<size_t>(i * n_routed + j)]);
        if (i == j && le.load[static_cast<size_t>(i)] > 0) {
            EXPECT_EQ(x, 1.0);
        }
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace moe
