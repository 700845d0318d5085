#include "app/cli_commands.h"
#include "core/checkpoint.h"
#include "core/error.h"
#include "core/io/safetensors.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace moe::cli {

int run_inspect(const InspectOptions& o) {
    // --text is checked before the checkpoint is loaded: the dump stores it in JSON metadata, which must be UTF-8,
    // and a bad text found only at the save cost a whole forward pass and a message that did not name --text.
    if (o.text.empty()) throw ConfigError("--text is empty: give at least one character");
    try {
        (void)nlohmann::json(o.text).dump();
    } catch (const nlohmann::json::type_error&) {
        throw ConfigError("--text is not valid UTF-8: give the text in UTF-8 (the byte model reads any bytes, but the "
                          "dump stores the text as JSON)");
    }
    LoadedCheckpoint ck = load_checkpoint(o.checkpoint);
    if (!ck.language)
        throw ConfigError("inspect --text needs a language-model checkpoint; " + o.checkpoint + " is a 2-D classifier");
    // The text as one sequence: inputs are its bytes, targets the next byte (the last one has none: 0).
    Batch b;
    b.batch = 1;
    b.seq = static_cast<int>(o.text.size());
    for (size_t i = 0; i < o.text.size(); ++i) {
        b.inputs.push_back(static_cast<unsigned char>(o.text[i]));
        b.targets.push_back(i + 1 < o.text.size() ? static_cast<unsigned char>(o.text[i + 1]) : 0);
        b.domains.push_back(0);
    }
    ck.model->forward(b);

    SafetensorsFile dump;
    dump.metadata["text"] = o.text;
    dump.metadata["checkpoint"] = o.checkpoint;
    dump.metadata["config"] = config_to_json(ck.config).dump();
    const int64_t T = b.seq;
    for (const MoEProbe& p : ck.model->moe_probes()) {
        const std::string l = "layers." + std::to_string(p.layer) + ".moe.";
        const auto& r = p.cache->router;
        auto f32 = [](const Mat& m) {
            return make_tensor_f32({m.rows(), m.cols()}, std::span<const float>(m.data(), static_cast<size_t>(m.size())));
        };
        dump.add(l + "input", f32(*p.input));
        dump.add(l + "scores", f32(r.scores));
        std::vector<int64_t> idx(r.topk_idx.begin(), r.topk_idx.end());
        dump.add(l + "topk_idx", make_tensor_i64({T, p.top_k}, idx));
        dump.add(l + "topk_weight", f32(r.topk_weight));
        dump.add(l + "output", f32(*p.output));
        const float aux = static_cast<float>(r.aux_loss);
        dump.add(l + "aux_loss", make_tensor_f32({}, std::span<const float>(&aux, 1)));
    }
    save_safetensors(o.out, dump);
    std::cerr << "moelab-cli: wrote " << o.out << " (" << ck.model->moe_probes().size() << " MoE layers, " << T
              << " tokens)\n";
    return 0;
}

}  // namespace moe::cli
