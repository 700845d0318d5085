#!/usr/bin/env bash
# The CUDA backend's benchmark (issue "CUDA backend", point 5): training steps/s on the GPU vs the CPU for the
# default lesson's model and for a larger one, then the MoE layer alone against the seeds' reference layer in
# PyTorch on the same GPU. Numbers come from the tools' own timing lines. Run from the repository root after a
# Release build with CUDA:  bash gpu/bench/run_gpu_bench.sh [build-dir]
set -euo pipefail
build=${1:-build}
cli=$build/app/moelab-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

train() {  # label device steps settings...
    local label=$1 device=$2 steps=$3
    shift 3
    local args=()
    for s in "$@"; do args+=(--set "$s"); done
    "$cli" train --device "$device" --steps "$steps" --out "$out/$label-$device" "${args[@]}" 2>&1 |
        grep -E '^done:' | sed "s/^/$label $device: /"
}

# The default lesson's model A (deepseek preset, batch 8 x 64 tokens).
lesson=(preset=deepseek batch_size=8 seq_len=64 eval_interval=100000)
train default-lesson cpu 200 "${lesson[@]}"
train default-lesson cuda 200 "${lesson[@]}"

# Larger: d_model 512, 64 routed experts (seed-default: 2 shared + top-6 of 64 of width F/4), batch 64 x 256.
large=(preset=seed-default hidden_size=512 num_attention_heads=8 ffn_base_width=1024 batch_size=64 seq_len=256
       max_position_embeddings=256 eval_interval=100000)
train large cpu 3 "${large[@]}"
train large cuda 20 "${large[@]}"

# The MoE layer alone, the same shape, ours and the PyTorch reference (skipped when PyTorch is missing).
if [ -x "$build/gpu/moelab-gpu-bench" ]; then
    "$build/gpu/moelab-gpu-bench" --tokens 16384 --hidden 512 --experts 64 --top-k 6 --inter 256 --shared 2
fi
if python3 -c 'import torch' 2>/dev/null; then
    python3 gpu/bench/torch_moe_reference.py --tokens 16384 --hidden 512 --experts 64 --top-k 6 --inter 256 --shared 2
else
    echo "torch-reference: PyTorch is not installed here; install it (pip install torch) to compare"
fi
