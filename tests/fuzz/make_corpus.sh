#!/usr/bin/env bash
# Remakes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/) from what MoE Lab itself writes: a tiny run of
# moelab-cli (its config.json, CSVs and model.safetensors), the bundled lessons and each preset's resolved config;
# and the crash reproducers (tests/fuzz/crashes/<target>/), hostile files that once crashed or hung a reader.
#   tests/fuzz/make_corpus.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cli=${1:?usage: make_corpus.sh BUILD_DIR}/app/moelab-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$here/corpus" "$here/crashes"
for t in safetensors checkpoint config lesson run_folder; do mkdir -p "$here/corpus/fuzz_$t" "$here/crashes/fuzz_$t"; done

# A tiny run: small enough that its files make a quick corpus, with every kind of run file.
tiny=(--set hidden_size=16 --set num_attention_heads=2 --set num_hidden_layers=2 --set first_k_dense_replace=1
      --set n_routed_experts=4 --set num_experts_per_tok=2 --set moe_intermediate_size=8
      --set batch_size=2 --set seq_len=8 --set eval_interval=2 --set eval_sequences=1)
"$cli" train --preset gshard "${tiny[@]}" --steps 4 --seed 1 --out "$tmp/run" --quiet
"$cli" train --preset gshard "${tiny[@]}" --set devices=2 --set device_limit=1 --steps 4 --seed 1 \
       --out "$tmp/run-devices" --quiet
"$cli" train --preset gshard --set dataset=spirals --set hidden_size=8 --set num_attention_heads=1 \
       --set n_routed_experts=4 --set num_experts_per_tok=2 --set moe_intermediate_size=4 \
       --set batch_size=8 --set points=64 --set eval_interval=2 --steps 4 --seed 1 --out "$tmp/run-2d" --quiet

n=0
for run in "$tmp"/run*; do
  n=$((n + 1))
  cp "$run/model.safetensors" "$here/corpus/fuzz_safetensors/run$n.safetensors"
  cp "$run/model.safetensors" "$here/corpus/fuzz_checkpoint/run$n.safetensors"
  cp "$run/config.json" "$here/corpus/fuzz_config/run$n.json"
  # A run folder as one input: its files in fuzz_run_folder.cpp's order, cut at "--8<--" lines.
  out="$here/corpus/fuzz_run_folder/run$n.txt"
  : > "$out"
  first=1
  for f in config.json metrics.csv routing.csv traffic.csv val_routing.csv coactivation.csv; do
    [ $first -eq 1 ] || printf '\n--8<--\n' >> "$out"
    first=0
    # Long CSVs are cut to their header and a few rows: the fuzzer mutates rows, it does not need hundreds.
    [ -f "$run/$f" ] && head -c 6000 "$run/$f" >> "$out"
  done
done
for lesson in "$root"/ui/lessons/*.json; do cp "$lesson" "$here/corpus/fuzz_lesson/"; done

# Crash reproducers: each once crashed, hung or exhausted memory in a reader.
deep() { python3 -c "import sys; d=int(sys.argv[1]); print('{\"hidden_size\": ' + '['*d + ']'*d + '}')" "$1"; }
deep 50000 > "$here/crashes/fuzz_config/deep-nesting.json"
echo '{"adam_eps": 1e408}' > "$here/crashes/fuzz_config/number-overflow.json"
echo '{"segmentation": 3, "ladder_experts": 1431655770, "ladder_top_k": 2, "ffn_base_width": 24}' \
  > "$here/crashes/fuzz_config/ladder-overflow.json"
echo '{"hidden_size": 65536, "num_hidden_layers": 64, "n_routed_experts": 2000000}' \
  > "$here/crashes/fuzz_config/huge-model.json"
python3 - "$here/crashes/fuzz_lesson" <<'PY'
import sys, json
d = sys.argv[1]
open(d + "/deep-nesting.json", "w").write('{"model_a": ' + '[' * 50000 + ']' * 50000 + '}')
open(d + "/number-overflow.json", "w").write('{"model_a": {"preset": "deepseek"}, "model_b": {"preset": "gshard"}, "shared": {"adam_eps": 1e408}}')
PY
# Checkpoints whose stored config claims a bigger model than their tensors (the tiny run's) hold: claim SRC OUT JSON.
claim() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys, json, struct
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
config = json.loads(header["__metadata__"]["config"])
config.update(json.loads(sys.argv[3]))
header["__metadata__"]["config"] = json.dumps(config)
text = json.dumps(header).encode()
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + data[8 + n:])
PY
}
# Beyond the size limits (once 16.8 GB before any error), and within them but far larger than the file.
claim "$tmp/run/model.safetensors" "$here/crashes/fuzz_checkpoint/huge-claim.safetensors" \
      '{"hidden_size": 65536, "num_hidden_layers": 64}'
claim "$tmp/run/model.safetensors" "$here/crashes/fuzz_checkpoint/large-claim.safetensors" \
      '{"hidden_size": 2048, "num_hidden_layers": 8, "num_attention_heads": 2}'
cp "$here/crashes/fuzz_checkpoint/huge-claim.safetensors" "$here/crashes/fuzz_safetensors/"
python3 - "$here/corpus/fuzz_run_folder/run1.txt" "$here/crashes/fuzz_run_folder/huge-step.txt" <<'PY'
import sys
text = open(sys.argv[1]).read()
parts = text.split("\n--8<--\n")
lines = parts[1].split("\n")
first = lines[1].split(",")
first[0] = "11111111110"
lines[1] = ",".join(first)
parts[1] = "\n".join(lines)
open(sys.argv[2], "w").write("\n--8<--\n".join(parts))
PY
du -sh "$here/corpus" "$here/crashes"
