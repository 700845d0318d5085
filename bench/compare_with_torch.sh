#!/usr/bin/env bash
# Our whole training step against its PyTorch twin, on the same shapes, in the same run.
#
# What it measures: for each preset (default: deepseek gshard; or the presets given as arguments) and each thread
# count (1 and 2), the milliseconds of one full training step of
#   - the PyTorch twin (bench/torch_twin.py: the same model, plain PyTorch on the CPU, float32), once with the
#     seed's mask-loop MoE ("seed") and once with the experts grouped by a sort ("grouped");
#   - our C++ step, moelab-bench's WholeStepUntimed/<preset>/threads:<T> (Google Benchmark, real time);
# and prints one table with the ratio best twin / ours (best = the faster twin at that thread count).
#
# Why: MoE Lab's claim is that its whole step is at least 20x faster than the best plain-PyTorch version of the same
# model on the same cores. Running both here, one cell after the other, keeps the comparison honest on a machine
# whose speed drifts. The twin trains on random bytes, ours on the corpus lesson's batches: the same shapes
# (batch 8 x 64 bytes) and the same work per step.
#
# Usage:  bench/compare_with_torch.sh [preset ...]
# Environment (all optional):
#   BUILD           build folder, relative to the repository root (default build): runs BUILD/bench/moelab-bench
#   PYTHON          the Python with PyTorch (default: python3, then Debian's /usr/bin/python3)
#   THREADS         thread counts (default "1 2")
#   TWIN_STEPS      timed twin steps per cell (default 20), TWIN_WARMUP untimed steps first (default 5)
#   BENCH_MIN_TIME  seconds Google Benchmark runs each of our cells (default 1)
#   OURS_NAME       our benchmark's name, {preset} and {threads} filled in
#                   (default 'WholeStepUntimed/{preset}/threads:{threads}')
#
# Needs PyTorch (Debian: apt-get install python3-torch; add libopenblas0-openmp, or PyTorch runs its matrix products
# on the slow reference BLAS). Without PyTorch the script says so and exits 0.
set -euo pipefail

OURS_NAME=${OURS_NAME:-'WholeStepUntimed/{preset}/threads:{threads}'}
BUILD=${BUILD:-build}
THREADS=${THREADS:-"1 2"}
TWIN_STEPS=${TWIN_STEPS:-20}
TWIN_WARMUP=${TWIN_WARMUP:-5}
BENCH_MIN_TIME=${BENCH_MIN_TIME:-1}

cd "$(dirname "$0")/.."

# The first Python that can import torch: $PYTHON if set, else python3, else the system's own interpreter (where
# Debian's python3-torch lives when another python3 comes first in PATH).
PY=""
for candidate in ${PYTHON:-python3 /usr/bin/python3}; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import torch' >/dev/null 2>&1; then
        PY=$candidate
        break
    fi
done
if [[ -z $PY ]]; then
    echo "skipped: PyTorch is not installed (apt-get install python3-torch)"
    exit 0
fi

BENCH=$BUILD/bench/moelab-bench
if [[ ! -x $BENCH ]]; then
    echo "$BENCH not found: build it first, e.g." >&2
    echo "  cmake -S . -B $BUILD -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD -j2 --target moelab-bench" >&2
    exit 1
fi
CLI=$BUILD/app/moelab-cli  # optional: its parameter count is checked against the twin's

if [[ $# -gt 0 ]]; then presets=("$@"); else presets=(deepseek gshard); fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for preset in "${presets[@]}"; do
    if [[ -x $CLI ]]; then
        "$CLI" params --preset "$preset" --json >"$out/params-$preset.json" 2>/dev/null || true
    fi
    for t in $THREADS; do
        for moe in seed grouped; do
            echo "twin  $preset, $t thread(s), moe $moe ..." >&2
            "$PY" bench/torch_twin.py --preset "$preset" --threads "$t" --moe "$moe" \
                --steps "$TWIN_STEPS" --warmup "$TWIN_WARMUP" --json >"$out/twin-$preset-$t-$moe.json"
        done
        name=${OURS_NAME//\{preset\}/$preset}
        name=${name//\{threads\}/$t}
        # Exactly this benchmark (Google Benchmark may append /real_time); regex characters in the name escaped.
        regex="^$(printf '%s' "$name" | sed 's/[.*^$()+?{|[]/\\&/g')(/|\$)"
        echo "ours  $name ..." >&2
        "$BENCH" --benchmark_filter="$regex" --benchmark_format=json --benchmark_min_time="$BENCH_MIN_TIME" \
            >"$out/ours-$preset-$t.json"
    done
done

"$PY" - "$out" "$OURS_NAME" "$THREADS" "${presets[@]}" <<'EOF'
import json
import os
import sys

out, ours_name, threads, presets = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.load(f)


def ours_ms(preset, t):
    data = load("ours-%s-%s.json" % (preset, t))
    for b in (data or {}).get("benchmarks", []):
        if b.get("run_type", "iteration") == "iteration" and "error_occurred" not in b:
            return b["real_time"] * TO_MS[b.get("time_unit", "ns")]
    return None


def fmt(ms):
    return "%.2f" % ms if ms is not None else "n/a"


missing, blas = [], ""
for preset in presets:
    twin = load("twin-%s-%s-grouped.json" % (preset, threads[0]))
    ours = load("params-%s.json" % preset)
    line = "%s: N_r %d routed + K_s %d shared experts, top-%d, width %d; twin %d parameters" % (
        preset, twin["n_routed_experts"], twin["n_shared_experts"], twin["num_experts_per_tok"],
        twin["moe_intermediate_size"], twin["parameters"])
    if ours is not None:
        same = "same" if ours["total"] == twin["parameters"] else "DIFFERENT"
        line += ", ours %d (%s)" % (ours["total"], same)
    line += "; twin initial loss %.3f (ln 256 = 5.545)" % twin["initial_loss"]
    print(line)
    blas = twin.get("blas", "")
if "openblas" not in blas.lower() and "blis" not in blas.lower() and "mkl" not in blas.lower():
    print("warning: PyTorch's BLAS is %s, not OpenBLAS: the twin's matrix products are slower than they can be "
          "(apt-get install libopenblas0-openmp)" % (blas or "unknown"))
print()

header = ("preset", "threads", "twin seed ms/step", "twin grouped ms/step", "ours ms/step", "best twin / ours")
rows = []
for preset in presets:
    for t in threads:
        seed = load("twin-%s-%s-seed.json" % (preset, t))["ms_per_step"]
        grouped = load("twin-%s-%s-grouped.json" % (preset, t))["ms_per_step"]
        ours = ours_ms(preset, t)
        name = ours_name.replace("{preset}", preset).replace("{threads}", t)
        if ours is None:
            missing.append(name)
        ratio = "%.1fx" % (min(seed, grouped) / ours) if ours else "n/a"
        rows.append((preset, t, fmt(seed), fmt(grouped), fmt(ours), ratio))
widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
for r in [header] + rows:
    print("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
if missing:
    print("\nno result for %s: see the names with moelab-bench --benchmark_list_tests (or set OURS_NAME)"
          % ", ".join(missing))
EOF
