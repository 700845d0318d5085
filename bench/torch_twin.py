#!/usr/bin/env python3
"""PyTorch twin of MoE Lab's byte-level DeepSeekMoE language model, for timing whole training steps.

What it measures: the wall-clock time of one full training step of the same model that MoE Lab trains (the
ladder lesson's shapes: batch 8 x 64 bytes), written in plain PyTorch on the CPU in float32:

    forward + cross-entropy (+ the routers' balance loss) + backward + clip_grad_norm_ + AdamW step + zero_grad

Why: MoE Lab claims its C++ training step is many times faster than a careful PyTorch implementation of the same
model on the same cores. This script is that PyTorch implementation; bench/compare_with_torch.sh runs it next to
our benchmark (moelab-bench, WholeStepUntimed/<preset>/threads:<T>) in the same run and prints the ratio.

The model follows the Hugging Face DeepSeek-MoE architecture as MoE Lab implements it (core/model/language_model.cpp,
core/layers/*, core/moe/*, core/train/optimizer.cpp):

    embed_tokens [256, d] -> L x [ x += attn(RMSNorm(x)); x += MoE(RMSNorm(x)) ] -> RMSNorm -> lm_head [256, d]
    attention: causal, H heads, q/k/v/o [d, d] without bias, RoPE (rotate-half, theta 1e4) on q and k
    MoE: softmax router over N_r routed SwiGLU experts (down(silu(gate x) * up x), width I), top-k, weights
         renormalised when k > 1, sequence-level balance loss alpha * mean_b sum_i f_i P_i added to the loss;
         K_s shared experts stored as one SwiGLU of width K_s * I, added with weight 1
    AdamW (betas 0.9 / 0.95, eps 1e-8, weight decay 0.1 on matrices only), global grad-norm clip 1.0,
    linear warmup + cosine learning rate

Two ways to run the routed experts (--moe), the same function:
    seed     the reference code's training path: for every expert a boolean mask over the token-slots,
             gather, run the expert, scatter back (y[flat_topk_idx == i] = expert(x[flat_topk_idx == i]))
    grouped  the token-slots sorted by expert once (argsort + bincount), each expert runs on its contiguous
             slice, results weighted and added back with one index_add_

Speed choices that do not change the function (the twin should be the best plain PyTorch 1.13 can do): q, k, v
in one [3d, d] matmul; each expert's gate and up projections in one [2I, d] matmul; routed experts' weights
stacked into three tensors (few parameters for the optimizer, one unbind per layer per step); the attention
scale and causal mask folded into one baddbmm; AdamW with foreach=True; zero_grad(set_to_none=True).

Usage:
    python3 bench/torch_twin.py --preset deepseek --threads 1 --moe grouped --steps 30 --warmup 5 [--json]
    python3 bench/torch_twin.py --preset deepseek --verify     # seed and grouped give the same loss and grads

PyTorch must be importable (Debian: apt-get install python3-torch, with libopenblas0-openmp for a fast BLAS).
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

# The presets of core/presets.cpp, at ffn_base_width F (default 128). Ladder presets derive their experts from a
# conventional MoE of N = 16 experts of width F, top K = 2, segmented m ways with K_s shared experts
# (core/config.cpp derive_ladder):  N_r = m N - K_s,  k = m K - K_s,  I = F / m.
LADDER_EXPERTS = 16
LADDER_TOP_K = 2


def preset_sizes(preset, ffn_base_width=128):
    """n_routed_experts, n_shared_experts, num_experts_per_tok, moe_intermediate_size, norm_topk_prob and the
    dense intermediate_size of a preset, as core/presets.cpp sets them."""
    F = ffn_base_width

    def ladder(m, shared):
        return dict(n_routed=m * LADDER_EXPERTS - shared, n_shared=shared, top_k=m * LADDER_TOP_K - shared,
                    inter=F // m, norm_topk_prob=True, dense_inter=256)

    def direct(routed, shared, top_k, width, norm, dense_inter=256):
        return dict(n_routed=routed, n_shared=shared, top_k=top_k, inter=width, norm_topk_prob=norm,
                    dense_inter=dense_inter)

    table = {
        "deepseek": lambda: ladder(4, 1),
        "gshard": lambda: ladder(1, 0),
        "shared": lambda: ladder(1, 1),
        "fine2": lambda: ladder(2, 1),
        "gshard-x1.5": lambda: direct(16, 0, 2, F * 3 // 2, True),
        "seed-default": lambda: direct(64, 2, 6, F // 4, True),
        "switch": lambda: direct(16, 0, 1, 2 * F, False),
        "dense": lambda: direct(0, 0, 0, F, True, dense_inter=2 * F),
    }
    if preset not in table:
        raise SystemExit("unknown preset %r: choose one of %s" % (preset, ", ".join(table)))
    return table[preset]()


def parse_args():
    p = argparse.ArgumentParser(description="Time whole training steps of the PyTorch twin of MoE Lab's model.")
    p.add_argument("--preset", default="deepseek", help="deepseek, gshard, shared, fine2, seed-default, ...")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--moe", choices=["seed", "grouped"], default="grouped", help="how routed experts run")
    p.add_argument("--steps", type=int, default=30, help="timed steps after the warm-up (default 30)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first (default 5)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--hidden-size", type=int, default=64)
    p.add_argument("--layers", type=int, default=2, help="num_hidden_layers")
    p.add_argument("--heads", type=int, default=4, help="num_attention_heads")
    p.add_argument("--ffn-base-width", type=int, default=128, help="F of the presets")
    p.add_argument("--seed", type=int, default=1, help="torch.manual_seed for weights and batches")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--verify", action="store_true",
                   help="check that seed and grouped give the same loss and gradients, then exit")
    args = p.parse_args()
    if args.threads < 1 or args.steps < 1 or args.warmup < 0:
        p.error("--threads and --steps must be at least 1, --warmup at least 0")
    return args


args = parse_args()
# The thread counts must be fixed before torch (and its OpenMP and BLAS runtimes) start.
os.environ["OMP_NUM_THREADS"] = str(args.threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("skipped: PyTorch is not installed (apt-get install python3-torch)", file=sys.stderr)
    sys.exit(2)
torch.set_num_interop_threads(1)
torch.set_num_threads(args.threads)

# MoE Lab's defaults (core/config.h) for the keys the lesson does not set.
VOCAB = 256
ROPE_THETA = 10000.0
RMS_EPS = 1e-6
AUX_ALPHA = 0.01
SEQ_AUX = True
INIT_STD = 0.02
FIRST_K_DENSE = 0
LR, MIN_LR_RATIO, WARMUP_STEPS, TOTAL_STEPS = 3e-3, 0.1, 30, 500
WEIGHT_DECAY, BETAS, ADAM_EPS, GRAD_CLIP = 0.1, (0.9, 0.95), 1e-8, 1.0


def normal(*shape):
    return torch.nn.Parameter(torch.empty(*shape).normal_(0.0, INIT_STD))


def swiglu(x, w_gate_up, w_down):
    """down(silu(gate x) * up x), with gate and up stacked as w_gate_up [2I, d]."""
    g, u = F.linear(x, w_gate_up).chunk(2, dim=-1)
    return F.linear(F.silu(g) * u, w_down)


class RMSNorm(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS) * self.weight


class Attention(torch.nn.Module):
    """Causal multi-head self-attention with RoPE; q_proj, k_proj, v_proj stacked in qkv [3d, d]."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.qkv = normal(3 * d, d)
        self.o = normal(d, d)

    def forward(self, x, rope_cos, rope_sin, mask_bias):
        B, T, d = x.shape
        H, hd = self.heads, self.head_dim
        qkv = F.linear(x, self.qkv).view(B, T, 3, H, hd).permute(2, 0, 3, 1, 4)  # [3, B, H, T, hd]
        qk, v = qkv[:2], qkv[2]
        # Rotate-half RoPE on q and k at once: p' = p cos + rotate_half(p) sin, rotate_half(p) = (-p2, p1).
        p1, p2 = qk.chunk(2, dim=-1)
        qk = qk * rope_cos + torch.cat((-p2, p1), dim=-1) * rope_sin
        q = qk[0].reshape(B * H, T, hd)
        k = qk[1].reshape(B * H, T, hd)
        # scores = mask + q k^T / sqrt(hd) in one call; the mask is 0 on and below the diagonal, -inf above.
        scores = torch.baddbmm(mask_bias.expand(B * H, T, T), q, k.transpose(1, 2), alpha=1.0 / math.sqrt(hd))
        ctx = torch.bmm(scores.softmax(dim=-1), v.reshape(B * H, T, hd))
        ctx = ctx.view(B, H, T, hd).transpose(1, 2).reshape(B, T, d)
        return F.linear(ctx, self.o)


class DenseFFN(torch.nn.Module):
    def __init__(self, d, inter):
        super().__init__()
        self.gate_up = normal(2 * inter, d)
        self.down = normal(d, inter)

    def forward(self, x):
        return swiglu(x, self.gate_up, self.down), None


class MoE(torch.nn.Module):
    """DeepseekMoE: router + N_r routed experts (stacked: expert e is w_gate_up[e], w_down[e]) + shared experts."""

    def __init__(self, d, sizes, moe_impl):
        super().__init__()
        E, I, S = sizes["n_routed"], sizes["inter"], sizes["n_shared"]
        self.n_routed, self.top_k, self.norm_topk_prob = E, sizes["top_k"], sizes["norm_topk_prob"]
        self.moe_impl = moe_impl
        # The router's kaiming_uniform_(a=sqrt(5)) on [N_r, d]: uniform in +-1/sqrt(d).
        bound = 1.0 / math.sqrt(d)
        self.gate = torch.nn.Parameter(torch.empty(E, d).uniform_(-bound, bound))
        self.w_gate_up = normal(E, 2 * I, d)
        self.w_down = normal(E, d, I)
        if S > 0:
            self.s_gate_up = normal(2 * S * I, d)
            self.s_down = normal(d, S * I)
        else:
            self.s_gate_up = self.s_down = None

    def route(self, h, B, T):
        """MoEGate: topk_idx [N, k], topk_weight [N, k] and the sequence-level balance loss."""
        E, k = self.n_routed, self.top_k
        scores = F.linear(h, self.gate).softmax(dim=-1)  # [N, E]
        topk_weight, topk_idx = torch.topk(scores, k=k, dim=-1, sorted=False)
        if k > 1 and self.norm_topk_prob:
            topk_weight = topk_weight / (topk_weight.sum(dim=-1, keepdim=True) + 1e-20)
        aux = None
        if AUX_ALPHA > 0.0:
            if SEQ_AUX:
                ce = torch.zeros(B, E).scatter_add_(1, topk_idx.view(B, -1), torch.ones(B, T * k))
                ce.div_(T * k / E)
                aux = (ce * scores.view(B, T, E).mean(dim=1)).sum(dim=1).mean() * AUX_ALPHA
            else:
                fi = F.one_hot(topk_idx.view(-1), num_classes=E).float().mean(0) * E
                aux = (scores.mean(0) * fi).sum() * AUX_ALPHA
        return topk_idx, topk_weight, aux

    def routed_seed(self, h, topk_idx, topk_weight, w_gu, w_dn):
        N, d = h.shape
        flat_idx = topk_idx.view(-1)
        x = h.repeat_interleave(self.top_k, dim=0)
        y = torch.empty_like(x)
        for e in range(self.n_routed):
            mask = flat_idx == e
            y[mask] = swiglu(x[mask], w_gu[e], w_dn[e])
        return (y.view(N, self.top_k, d) * topk_weight.unsqueeze(-1)).sum(dim=1)

    def routed_grouped(self, h, topk_idx, topk_weight, w_gu, w_dn):
        flat_idx = topk_idx.view(-1)
        order = flat_idx.argsort()  # slots sorted by expert
        counts = torch.bincount(flat_idx, minlength=self.n_routed).tolist()
        token = torch.div(order, self.top_k, rounding_mode="floor")  # the token of each sorted slot
        xs = h.index_select(0, token)
        outs = [swiglu(xe, w_gu[e], w_dn[e]) for e, xe in enumerate(xs.split(counts)) if counts[e] > 0]
        ys = torch.cat(outs) * topk_weight.view(-1).index_select(0, order).unsqueeze(1)
        return torch.zeros_like(h).index_add_(0, token, ys)

    def forward(self, x):
        B, T, d = x.shape
        h = x.reshape(B * T, d)
        topk_idx, topk_weight, aux = self.route(h, B, T)
        w_gu, w_dn = self.w_gate_up.unbind(0), self.w_down.unbind(0)  # one view per expert, one backward node
        routed = self.routed_seed if self.moe_impl == "seed" else self.routed_grouped
        y = routed(h, topk_idx, topk_weight, w_gu, w_dn)
        if self.s_gate_up is not None:
            y = y + swiglu(h, self.s_gate_up, self.s_down)
        return y.view(B, T, d), aux


class Block(torch.nn.Module):
    def __init__(self, d, heads, layer, sizes, moe_impl):
        super().__init__()
        self.input_layernorm = RMSNorm(d)
        self.self_attn = Attention(d, heads)
        self.post_attention_layernorm = RMSNorm(d)
        if sizes["n_routed"] > 0 and layer >= FIRST_K_DENSE:
            self.mlp = MoE(d, sizes, moe_impl)
        else:
            self.mlp = DenseFFN(d, sizes["dense_inter"])

    def forward(self, x, rope_cos, rope_sin, mask_bias):
        x = x + self.self_attn(self.input_layernorm(x), rope_cos, rope_sin, mask_bias)
        y, aux = self.mlp(self.post_attention_layernorm(x))
        return x + y, aux


class LanguageModel(torch.nn.Module):
    def __init__(self, d, layers, heads, seq_len, sizes, moe_impl):
        super().__init__()
        self.embed_tokens = normal(VOCAB, d)
        self.layers = torch.nn.ModuleList(Block(d, heads, l, sizes, moe_impl) for l in range(layers))
        self.norm = RMSNorm(d)
        self.lm_head = normal(VOCAB, d)
        hd = d // heads
        inv_freq = ROPE_THETA ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        angles = torch.outer(torch.arange(seq_len, dtype=torch.float64), inv_freq)
        angles = torch.cat((angles, angles), dim=-1)  # [T, hd]: the pair (i, i + hd/2) shares an angle
        self.register_buffer("rope_cos", angles.cos().float())
        self.register_buffer("rope_sin", angles.sin().float())
        self.register_buffer("mask_bias", torch.full((seq_len, seq_len), float("-inf")).triu(1))

    def forward(self, inputs, targets):
        x = F.embedding(inputs, self.embed_tokens)
        aux_total = None
        for block in self.layers:
            x, aux = block(x, self.rope_cos, self.rope_sin, self.mask_bias)
            if aux is not None:
                aux_total = aux if aux_total is None else aux_total + aux
        logits = F.linear(self.norm(x), self.lm_head)
        ce = F.cross_entropy(logits.view(-1, VOCAB), targets.reshape(-1))
        return ce, aux_total


def learning_rate_at(step):
    """core/train/optimizer.cpp learning_rate_at: linear warmup, then cosine to LR * MIN_LR_RATIO."""
    if step < WARMUP_STEPS:
        return LR * (step + 1) / WARMUP_STEPS
    progress = min(1.0, (step - WARMUP_STEPS) / max(1, TOTAL_STEPS - WARMUP_STEPS))
    floor = LR * MIN_LR_RATIO
    return floor + (LR - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def build(moe_impl, sizes):
    torch.manual_seed(args.seed)
    model = LanguageModel(args.hidden_size, args.layers, args.heads, args.seq_len, sizes, moe_impl)
    model.train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]  # the norms' weights
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=BETAS, eps=ADAM_EPS, foreach=True)
    return model, opt


def random_batch(generator):
    data = torch.randint(0, VOCAB, (args.batch_size, args.seq_len + 1), generator=generator)
    return data[:, :-1], data[:, 1:]


def train_step(model, opt, params, step, batch):
    inputs, targets = batch
    ce, aux = model(inputs, targets)
    loss = ce if aux is None else ce + aux
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP)
    lr = learning_rate_at(step)
    for group in opt.param_groups:
        group["lr"] = lr
    opt.step()
    opt.zero_grad(set_to_none=True)
    return ce.item(), 0.0 if aux is None else aux.item()


def blas_library():
    """The BLAS library this process loaded (from /proc/self/maps), or '' where that cannot be read."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    try:
        with open("/proc/self/maps") as maps:
            names = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    except OSError:
        return ""
    return ", ".join(sorted(os.path.realpath(n) for n in names))


def verify(sizes):
    """Same weights and batch through both MoE paths: the losses and every gradient must agree."""
    batch = random_batch(torch.Generator().manual_seed(args.seed))
    results = {}
    for impl in ("seed", "grouped"):
        model, _ = build(impl, sizes)
        ce, aux = model(*batch)
        (ce if aux is None else ce + aux).backward()
        results[impl] = (ce.item(), 0.0 if aux is None else aux.item(),
                         {n: p.grad.clone() for n, p in model.named_parameters()})
    (ce_s, aux_s, g_s), (ce_g, aux_g, g_g) = results["seed"], results["grouped"]
    worst = max((g_s[n] - g_g[n]).abs().max().item() / max(g_s[n].abs().max().item(), 1e-30) for n in g_s)
    ok = abs(ce_s - ce_g) < 1e-5 and abs(aux_s - aux_g) < 1e-6 and worst < 1e-4
    print("verify %s: ce seed %.6f grouped %.6f, aux seed %.6f grouped %.6f, "
          "largest gradient difference %.2e of the gradient's max: %s"
          % (args.preset, ce_s, ce_g, aux_s, aux_g, worst, "ok" if ok else "MISMATCH"))
    return ok


def main():
    sizes = preset_sizes(args.preset, args.ffn_base_width)
    if args.verify:
        sys.exit(0 if verify(sizes) else 1)
    model, opt = build(args.moe, sizes)
    params = list(model.parameters())
    n_params = sum(p.numel() for p in params)
    gen = torch.Generator().manual_seed(args.seed)
    times, first = [], None
    for step in range(args.warmup + args.steps):
        batch = random_batch(gen)
        start = time.perf_counter()
        ce, aux = train_step(model, opt, params, step, batch)
        elapsed = time.perf_counter() - start
        if first is None:
            first = (ce, aux)
        if step >= args.warmup:
            times.append(elapsed)
    ms = 1e3 * statistics.median(times)
    result = {
        "preset": args.preset, "moe": args.moe, "threads": args.threads,
        "batch_size": args.batch_size, "seq_len": args.seq_len, "hidden_size": args.hidden_size,
        "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
        "n_routed_experts": sizes["n_routed"], "n_shared_experts": sizes["n_shared"],
        "num_experts_per_tok": sizes["top_k"], "moe_intermediate_size": sizes["inter"],
        "parameters": n_params, "initial_loss": first[0], "initial_aux_loss": first[1], "final_loss": ce,
        "steps": args.steps, "warmup": args.warmup,
        "ms_per_step": ms, "ms_min": 1e3 * min(times), "steps_per_s": 1e3 / ms,
        "torch": torch.__version__, "blas": blas_library(),
    }
    if args.json:
        print(json.dumps(result))
        return
    print("preset %s: hidden %d, layers %d, heads %d; N_r %d routed + K_s %d shared experts, top-%d, width %d"
          % (args.preset, args.hidden_size, args.layers, args.heads, sizes["n_routed"], sizes["n_shared"],
             sizes["top_k"], sizes["inter"]))
    print("parameters %d; initial loss %.4f (ln 256 = %.4f) + balance loss %.4f; loss after %d steps %.4f"
          % (n_params, first[0], math.log(VOCAB), first[1], args.warmup + args.steps, ce))
    print("torch %s, %d thread(s), BLAS %s" % (torch.__version__, args.threads, result["blas"] or "unknown"))
    print("moe %s: %.2f ms/step (median of %d, min %.2f), %.1f steps/s"
          % (args.moe, ms, args.steps, result["ms_min"], result["steps_per_s"]))


if __name__ == "__main__":
    main()
