// Checkpoints: Hugging Face DeepSeek-MoE names and config metadata, exact save/load, clear errors on bad files.
#include "core/checkpoint.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"
#include "core/train/trainer.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace moe {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
    fs::path p = fs::temp_directory_path() / ("moelab-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

Config tiny(const std::string& preset) {
    return resolve_config(preset, "", {"hidden_size=32", "num_attention_heads=2", "ffn_base_width=32", "seq_len=16",
                                       "batch_size=2", "corpus_bytes_per_domain=5000", "steps=3"});
}

TEST(Checkpoint, SaveThenLoadGivesTheSameModelExactly) {
    const fs::path dir = temp_dir("ckpt");
    for (const char* preset : {"deepseek", "seed-default", "dense", "deepseek-v3"}) {
        Trainer t(tiny(preset));
        t.train_step();
        t.train_step();
        const fs::path path = dir / (std::string(preset) + ".safetensors");
        save_checkpoint(path, t.model(), true, 256);
        LoadedCheckpoint back = load_checkpoint(path);
        EXPECT_EQ(config_to_json(back.config), config_to_json(t.config())) << preset;
        ASSERT_EQ(back.model->params().size(), t.model().params().size());
        for (size_t i = 0; i < back.model->params().size(); ++i)
            EXPECT_TRUE(back.model->params()[i].w == t.model().params()[i].w) << t.model().params()[i].name;
        // Same outputs on a batch.
        const Batch b = t.dataset().val_batch(0, 2, 16);
        EXPECT_EQ(back.model->forward(b).loss, t.model().forward(b).loss);
    }
    fs::remove_all(dir);
}

TEST(Checkpoint, UsesHuggingFaceNamesAndConfigMetadata) {
    const fs::path dir = temp_dir("names");
    Trainer t(tiny("seed-default"));
    save_checkpoint(dir / "m.safetensors", t.model(), true, 256);
    const SafetensorsFile f = load_safetensors(dir / "m.safetensors");
    const int d = 32, I = t.config().model.moe_intermediate_size, E = 64, S = 2;
    auto shape = [&](const std::string& n) {
        const Tensor* x = f.find(n);
        EXPECT_NE(x, nullptr) << n;
        return x ? x->shape : std::vector<int64_t>{};
    };
    EXPECT_EQ(shape("model.layers.1.mlp.gate.weight"), (std::vector<int64_t>{E, d}));
    EXPECT_EQ(shape("model.layers.1.mlp.experts.0.gate_proj.weight"), (std::vector<int64_t>{I, d}));
    EXPECT_EQ(shape("model.layers.1.mlp.experts.63.down_proj.weight"), (std::vector<int64_t>{d, I}));
    EXPECT_EQ(shape("model.layers.0.mlp.shared_experts.up_proj.weight"), (std::vector<int64_t>{S * I, d}));
    EXPECT_EQ(shape("model.layers.0.mlp.shared_experts.down_proj.weight"), (std::vector<int64_t>{d, S * I}));
    EXPECT_EQ(shape("model.layers.0.input_layernorm.weight"), (std::vector<int64_t>{d}));
    EXPECT_EQ(f.find("model.layers.1.mlp.experts.64.up_proj.weight"), nullptr);
    const auto cfg = nlohmann::json::parse(f.metadata.at("config"));
    for (const char* key : {"hidden_size", "num_hidden_layers", "moe_intermediate_size", "n_routed_experts",
                            "n_shared_experts", "num_experts_per_tok", "norm_topk_prob", "scoring_func",
                            "aux_loss_alpha", "seq_aux", "first_k_dense_replace", "model_type"})
        EXPECT_TRUE(cfg.contains(key)) << key;
    EXPECT_EQ(cfg["n_routed_experts"], 64);
    EXPECT_EQ(cfg["scoring_func"], "softmax");
    // Expert e's slice is stored under its own name: compare with the stacked parameter.
    for (const Param& p : t.model().params()) {
        if (p.name != "model.layers.1.mlp.experts.{e}.up_proj.weight") continue;
        const auto v = tensor_to_f32(*f.find("model.layers.1.mlp.experts.5.up_proj.weight"), "expert 5");
        for (int i = 0; i < I; ++i)
            for (int j = 0; j < d; ++j) EXPECT_EQ(v[i * d + j], p.w(5 * I + i, j));
    }
    fs::remove_all(dir);
}

// noaux_tc's selection bias is stored as Hugging Face DeepSeek-V3 stores it, one [N_r] tensor per MoE layer, with the
// values it has after training (moved by the update rule, not zero), and comes back exactly.
TEST(Checkpoint, TheV3SelectionBiasKeepsItsHuggingFaceName) {
    const fs::path dir = temp_dir("bias");
    Trainer t(tiny("deepseek-v3"));
    for (int s = 0; s < 3; ++s) t.train_step();
    save_checkpoint(dir / "v3.safetensors", t.model(), true, 256);
    const SafetensorsFile f = load_safetensors(dir / "v3.safetensors");
    const int E = t.config().model.n_routed_experts;
    LoadedCheckpoint back = load_checkpoint(dir / "v3.safetensors");
    for (int l = 0; l < t.config().model.num_hidden_layers; ++l) {
        const std::string name = "model.layers." + std::to_string(l) + ".mlp.gate.e_score_correction_bias";
        const Tensor* b = f.find(name);
        ASSERT_NE(b, nullptr) << name;
        EXPECT_EQ(b->shape, (std::vector<int64_t>{E}));
        const std::vector<float> v = tensor_to_f32(*b, name);
        const Param* trained = t.model().ffn_layers()[size_t(l)]->selection_bias();
        const Param* loaded = back.model->ffn_layers()[size_t(l)]->selection_bias();
        ASSERT_NE(trained, nullptr);
        ASSERT_NE(loaded, nullptr);
        float moved = 0;
        for (int e = 0; e < E; ++e) {
            EXPECT_EQ(v[size_t(e)], trained->w(0, e));
            EXPECT_EQ(loaded->w(0, e), trained->w(0, e));
            moved = std::max(moved, std::abs(v[size_t(e)]));
        }
        EXPECT_GT(moved, 0.0f) << "the bias never moved: the test would not see a bias lost on save";
    }
    fs::remove_all(dir);
}

TEST(Checkpoint, CorruptOrForeignFilesGiveAClearError) {
    const fs::path dir = temp_dir("corrupt");
    Trainer t(tiny("gshard"));
    const fs::path good = dir / "good.safetensors";
    save_checkpoint(good, t.model(), true, 256);
    const std::string bytes = read_file(good);
    // Truncated.
    write_file_atomic(dir / "cut.safetensors", bytes.substr(0, bytes.size() / 2));
    EXPECT_THROW(load_checkpoint(dir / "cut.safetensors"), FileError);
    // Missing.
    try {
        load_checkpoint(dir / "missing.safetensors");
        FAIL();
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("missing.safetensors"), std::string::npos) << e.what();
    }
    // A valid safetensors file without our config, and one lacking a tensor.
    SafetensorsFile foreign;
    const float x = 1.0f;
    foreign.add("w", make_tensor_f32({1}, std::span<const float>(&x, 1)));
    save_safetensors(dir / "foreign.safetensors", foreign);
    EXPECT_THROW(load_checkpoint(dir / "foreign.safetensors"), FileError);
    SafetensorsFile partial = load_safetensors(good);
    partial.tensors.pop_back();
    save_safetensors(dir / "partial.safetensors", partial);
    try {
        load_checkpoint(dir / "partial.safetensors");
        FAIL();
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("lacks tensor"), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
}

}  // namespace
}  // namespace moe
