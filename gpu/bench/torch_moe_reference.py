#!/usr/bin/env python3
"""The seeds' reference DeepSeekMoE layer (MoEGate + DeepseekMoE training path) in PyTorch, timed on a GPU.

It is the baseline the CUDA backend's MoE layer is compared against (gpu/bench/moe_layer_bench prints the same
line for ours): forward + backward of one layer on random tokens, the mask-per-expert training path of the
reference code (y[topk_idx == i] = expert_i(x[topk_idx == i])), softmax gate with top-k, renormalised weights,
sequence-level balance loss, and the shared experts added. Not part of the tests.

    python3 gpu/bench/torch_moe_reference.py --tokens 16384 --hidden 512 --experts 64 --top-k 6 --inter 128 --shared 2
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Expert(nn.Module):
    """SwiGLU FFN as in the reference (gate_proj, up_proj, down_proj, no biases)."""

    def __init__(self, hidden, inter):
        super().__init__()
        self.gate_proj = nn.Linear(hidden, inter, bias=False)
        self.up_proj = nn.Linear(hidden, inter, bias=False)
        self.down_proj = nn.Linear(inter, hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Gate(nn.Module):
    def __init__(self, hidden, experts, top_k, alpha, seq_aux, norm_topk_prob):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(experts, hidden))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.experts, self.top_k, self.alpha = experts, top_k, alpha
        self.seq_aux, self.norm_topk_prob = seq_aux, norm_topk_prob

    def forward(self, h):
        bsz, seq_len, d = h.shape
        scores = F.linear(h.view(-1, d), self.weight).softmax(dim=-1)
        topk_weight, topk_idx = torch.topk(scores, k=self.top_k, dim=-1, sorted=False)
        if self.top_k > 1 and self.norm_topk_prob:
            topk_weight = topk_weight / (topk_weight.sum(dim=-1, keepdim=True) + 1e-20)
        aux = None
        if self.alpha > 0:
            idx = topk_idx.view(bsz, -1)
            if self.seq_aux:
                ce = torch.zeros(bsz, self.experts, device=h.device)
                ce.scatter_add_(1, idx, torch.ones(bsz, seq_len * self.top_k, device=h.device))
                ce.div_(seq_len * self.top_k / self.experts)
                aux = (ce * scores.view(bsz, seq_len, -1).mean(dim=1)).sum(dim=1).mean() * self.alpha
            else:
                ce = F.one_hot(idx.view(-1), num_classes=self.experts).float().mean(0)
                aux = (scores.mean(0) * ce * self.experts).sum() * self.alpha
        return topk_idx, topk_weight, aux


class DeepseekMoE(nn.Module):
    def __init__(self, hidden, inter, experts, top_k, shared, alpha=0.01, seq_aux=True):
        super().__init__()
        self.top_k = top_k
        self.experts = nn.ModuleList(Expert(hidden, inter) for _ in range(experts))
        self.gate = Gate(hidden, experts, top_k, alpha, seq_aux, True)
        self.shared = Expert(hidden, inter * shared) if shared > 0 else None

    def forward(self, h):
        identity, shape = h, h.shape
        topk_idx, topk_weight, aux = self.gate(h)
        x = h.view(-1, shape[-1]).repeat_interleave(self.top_k, dim=0)
        flat = topk_idx.view(-1)
        y = torch.empty_like(x)
        for i, expert in enumerate(self.experts):  # the reference training path: one boolean mask per expert
            y[flat == i] = expert(x[flat == i]).to(y.dtype)
        y = (y.view(*topk_weight.shape, -1) * topk_weight.unsqueeze(-1)).sum(dim=1).view(*shape)
        if self.shared is not None:
            y = y + self.shared(identity)
        return y, aux


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokens", type=int, default=16384)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--experts", type=int, default=64)
    p.add_argument("--top-k", type=int, default=6)
    p.add_argument("--inter", type=int, default=128)
    p.add_argument("--shared", type=int, default=2)
    p.add_argument("--iters", type=int, default=20)
    a = p.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("torch_moe_reference: no CUDA device visible to PyTorch")
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 like the CUDA backend
    dev = torch.device("cuda")
    torch.manual_seed(0)
    layer = DeepseekMoE(a.hidden, a.inter, a.experts, a.top_k, a.shared).to(dev)
    x = torch.randn(a.tokens // a.seq, a.seq, a.hidden, device=dev, requires_grad=True)

    def step():
        y, aux = layer(x)
        (y.square().mean() + (aux if aux is not None else 0)).backward()

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(a.iters):
        step()
    torch.cuda.synchronize()
    ms = (time.perf_counter() - start) / a.iters * 1e3
    print(f"torch-reference moe_layer tokens={a.tokens} hidden={a.hidden} experts={a.experts} top_k={a.top_k} "
          f"inter={a.inter} shared={a.shared}: {ms:.3f} ms per forward+backward, {a.tokens / ms * 1e3:.0f} tokens/s")


if __name__ == "__main__":
    main()
