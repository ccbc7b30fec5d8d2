#!/usr/bin/python3
"""Make real (base, checkpoint, fine-tune) safetensors pairs by training small GPTs.

Issue #17 (deltas against a base model) needs pairs of model files that differ the way
real training makes them differ, not by added noise. This script trains byte-level
GPT-2-style models on text found on any Debian machine and writes, per model config:

    OUTDIR/<config>/<dtype>/base.safetensors      checkpoint at pre-training step A
    OUTDIR/<config>/<dtype>/next.safetensors      same run, step A + NEXT_STEPS
                                                  (consecutive checkpoints)
    OUTDIR/<config>/<dtype>/next100.safetensors   same run, step A + NEAR_STEPS
    OUTDIR/<config>/<dtype>/finetune.safetensors  base (as stored in <dtype>) trained on
                                                  the other corpus at 1/10 of the peak LR
    OUTDIR/summary.json                           configs, losses, timings, corpora

and, with --extras (after the main run; for sensitivity studies, not the issue's pairs):

    OUTDIR/<config>/<dtype>/finetune-gentle.safetensors   as finetune, at peak LR / 100
    OUTDIR/<config>/bf16/finetune-purebf16.safetensors    as finetune (BF16), but with
                                  the weights kept in BF16 (no FP32 master copy): each
                                  step's result is rounded to BF16
    OUTDIR/<config>/bf16/finetune-lora.safetensors        rank-8 LoRA (alpha 16) on the
                                  attention projections at the peak LR, merged into the
                                  weights; the other tensors are the base's (also alone
                                  with --lora)

for <dtype> in bf16, fp16, fp32.

How the weights are made (what mixed-precision training runs do):
  * Pre-training keeps FP32 master weights and an FP32 AdamW state (compute in FP32 on
    CPU). A checkpoint in BF16 or FP16 is the FP32 master cast at save time
    (round-to-nearest-even, as torch's .to() does); the FP32 file is the master itself.
    base and next of all three dtypes therefore come from the same run.
  * The fine-tune of each dtype starts from the base *as stored in that dtype* (the
    released file, upcast to FP32 master weights: BF16/FP16 values are exact in FP32),
    with a fresh AdamW state, like a user fine-tuning a published checkpoint with
    mixed precision, and is saved cast to the same dtype. The three fine-tunes see the
    same batches in the same order.
  * Optimiser: AdamW, betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on matrices and
    embeddings (not on biases or LayerNorm), gradient clipping at 1.0.
    Pre-training: linear warm-up for WARMUP steps to the peak LR, then cosine decay
    towards PEAK/10 over a planned TOTAL steps; A = TOTAL/2, so base and next are
    mid-run checkpoints taken while the LR is still high (the harder case for deltas).
    Fine-tune: peak LR / 10, linear warm-up over 10% of its steps, cosine to 0.
  * Corpora: pre-training on English documentation (/usr/share/common-licenses,
    /usr/share/doc/**: copyright, *.txt, *.md, README*, changelogs *.gz decompressed);
    fine-tuning on Python source (the standard library under /usr/lib/python3.*).
    Files are read in sorted order, exact duplicates dropped, and the corpora capped;
    the last 2% of each is held out for the reported losses. The corpora depend on the
    packages installed, so their sizes and SHA-256 are recorded in summary.json.
  * Everything is seeded (torch.manual_seed, a torch.Generator for batches) and runs on
    one CPU thread, so a rerun on the same machine gives the same bytes.

Tensor names follow GPT-2 (transformer.wte.weight, transformer.h.0.attn.c_attn.weight,
..., transformer.ln_f.bias); lm_head is tied to wte and, as in GPT-2's files, not stored.
Linear weights are stored as [out, in] (torch's nn.Linear layout).

Usage:
    /usr/bin/python3 make_delta_pairs.py OUTDIR [--configs small,medium] [--quick]
    /usr/bin/python3 make_delta_pairs.py OUTDIR --extras [--configs ...]
    /usr/bin/python3 make_delta_pairs.py OUTDIR --lora [--configs ...]

Needs Debian's python3-torch (1.13 is enough) and python3-numpy; OpenBLAS
(libopenblas0-serial) makes CPU training ~15x faster than the reference BLAS. With it,
the default configs take about an hour on one core.
"""

import argparse
import gzip
import hashlib
import json
import math
import os
import struct
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 1234

# name: (n_layer, n_head, d_model, context, batch, peak_lr, total_planned_steps)
CONFIGS = {
    # ~3.3 M parameters, like the example in issue #17.
    "small": dict(n_layer=4, n_head=4, d_model=256, context=128, batch=16,
                  peak_lr=1e-3, total_steps=3000),
    # ~10.9 M parameters: deeper and wider, smaller batch, lower LR.
    "medium": dict(n_layer=6, n_head=6, d_model=384, context=128, batch=8,
                   peak_lr=6e-4, total_steps=1400),
}
WARMUP = 100            # pre-training warm-up steps
NEXT_STEPS = 300        # steps between base and next
NEAR_STEPS = 100        # steps between base and next100 (a closer checkpoint)
FINETUNE_STEPS = 300    # fine-tune length
WEIGHT_DECAY = 0.1
BETAS = (0.9, 0.95)
GRAD_CLIP = 1.0
EVAL_BATCHES = 16
PRETRAIN_CAP = 24 << 20
FINETUNE_CAP = 12 << 20
DTYPES = {"bf16": (torch.bfloat16, "BF16"), "fp16": (torch.float16, "F16"),
          "fp32": (torch.float32, "F32")}


# ---------------------------------------------------------------------------- corpora

def _read(path):
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except OSError:
            return b""
    return data


def _is_text(data):
    if not data or b"\0" in data[:4096]:
        return False
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def build_corpus(paths, cap):
    """Concatenate text files in the given order, dropping exact duplicates."""
    seen, parts, total = set(), [], 0
    for p in paths:
        try:
            data = _read(p)
        except OSError:
            continue
        if not _is_text(data):
            continue
        h = hashlib.sha256(data).digest()
        if h in seen:
            continue
        seen.add(h)
        parts.append(data)
        total += len(data)
        if total >= cap:
            break
    blob = b"\n".join(parts)[:cap]
    return blob, len(parts)


def english_docs():
    files = sorted(Path("/usr/share/common-licenses").glob("*"))
    doc = Path("/usr/share/doc")
    for p in sorted(doc.rglob("*")):
        if not p.is_file() or p.is_symlink():
            continue
        n = p.name.lower()
        if (n == "copyright" or n.endswith((".txt", ".md")) or n.startswith("readme")
                or n.startswith("changelog")):
            files.append(p)
    return files


def python_sources():
    files = []
    for root in sorted(Path("/usr/lib").glob("python3.*")):
        if root.is_dir():
            files += sorted(p for p in root.rglob("*.py")
                            if p.is_file() and "site-packages" not in p.parts
                            and "dist-packages" not in p.parts)
    return files


class Corpus:
    def __init__(self, name, blob, nfiles):
        self.name, self.nfiles = name, nfiles
        self.sha256 = hashlib.sha256(blob).hexdigest()
        data = torch.frombuffer(bytearray(blob), dtype=torch.uint8).long()
        cut = int(len(data) * 0.98)
        self.train, self.val = data[:cut], data[cut:]

    def batch(self, gen, batch, context, split="train"):
        data = self.train if split == "train" else self.val
        ix = torch.randint(len(data) - context - 1, (batch,), generator=gen)
        x = torch.stack([data[i:i + context] for i in ix.tolist()])
        y = torch.stack([data[i + 1:i + 1 + context] for i in ix.tolist()])
        return x, y

    def info(self):
        return dict(files=self.nfiles, bytes=len(self.train) + len(self.val),
                    sha256=self.sha256)


# ---------------------------------------------------------------------------- model

class Block(nn.Module):
    def __init__(self, d, n_head, context):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.Module()
        self.attn.c_attn = nn.Linear(d, 3 * d)
        self.attn.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Module()
        self.mlp.c_fc = nn.Linear(d, 4 * d)
        self.mlp.c_proj = nn.Linear(4 * d, d)
        mask = torch.full((context, context), float("-inf")).triu(1)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(C, dim=2)
        hs = C // self.n_head
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs)) + self.mask[:T, :T]
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.attn.c_proj(y)
        x = x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x))))
        return x


class GPT(nn.Module):
    def __init__(self, n_layer, n_head, d_model, context, vocab=256, **_):
        super().__init__()
        self.transformer = nn.Module()
        self.transformer.wte = nn.Embedding(vocab, d_model)
        self.transformer.wpe = nn.Embedding(context, d_model)
        self.transformer.h = nn.ModuleList(Block(d_model, n_head, context)
                                           for _ in range(n_layer))
        self.transformer.ln_f = nn.LayerNorm(d_model)
        # GPT-2 initialisation.
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif ".ln_" in name:
                nn.init.ones_(p)
            elif name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx, targets):
        t = self.transformer
        x = t.wte(idx) + t.wpe(torch.arange(idx.shape[1]))
        for block in t.h:
            x = block(x)
        logits = t.ln_f(x) @ t.wte.weight.t()          # tied lm_head
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def make_optimizer(model, lr):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=BETAS, eps=1e-8)


def cosine(step, warmup, total, peak, floor):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * t))


@torch.no_grad()
def evaluate(model, corpora, cfg):
    model.eval()
    out = {}
    for c in corpora:
        gen = torch.Generator().manual_seed(SEED + 7)
        losses = [model(*c.batch(gen, cfg["batch"], cfg["context"], "val")).item()
                  for _ in range(EVAL_BATCHES)]
        out[c.name] = round(sum(losses) / len(losses), 4)
    model.train()
    return out


def train(model, corpus, cfg, steps, lr_fn, gen, opt, start=0, log=None, post_step=None):
    model.train()
    ema = None
    for i in range(start, start + steps):
        lr = lr_fn(i)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = model(*corpus.batch(gen, cfg["batch"], cfg["context"]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        opt.step()
        if post_step:
            post_step(model)
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if log and (i + 1) % 100 == 0:
            log(f"  step {i + 1:5d}  lr {lr:.2e}  train loss (ema) {ema:.4f}")
    return ema


# ---------------------------------------------------------------------------- safetensors

def save_safetensors(path, state, dtype_key, metadata):
    tdtype, stname = DTYPES[dtype_key]
    header, blobs, off = {}, [], 0
    for name, t in state.items():
        b = t.detach().to(tdtype).contiguous().view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": stname, "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * (-len(hj) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def state_of(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


# ---------------------------------------------------------------------------- main

def run_config(name, cfg, pre, ft, outdir, log):
    A = cfg["total_steps"] // 2
    torch.manual_seed(SEED)
    model = GPT(**cfg)
    nparams = sum(p.numel() for p in model.parameters())
    log(f"[{name}] {nparams / 1e6:.2f} M parameters; pre-train {A} + {NEXT_STEPS} steps, "
        f"fine-tune {FINETUNE_STEPS} steps")
    peak = cfg["peak_lr"]
    lr_pre = lambda i: cosine(i, WARMUP, cfg["total_steps"], peak, peak / 10)
    opt = make_optimizer(model, peak)
    gen = torch.Generator().manual_seed(SEED + 1)
    info = dict(config=cfg, parameters=nparams, base_step=A, next_step=A + NEXT_STEPS,
                finetune_steps=FINETUNE_STEPS, finetune_peak_lr=peak / 10)
    t0 = time.time()
    ema = train(model, pre, cfg, A, lr_pre, gen, opt, 0, log)
    info["base"] = dict(train_loss_ema=round(ema, 4), lr=lr_pre(A - 1),
                        val_loss=evaluate(model, [pre, ft], cfg))
    base = state_of(model)
    ema = train(model, pre, cfg, NEAR_STEPS, lr_pre, gen, opt, A, log)
    near = state_of(model)
    ema = train(model, pre, cfg, NEXT_STEPS - NEAR_STEPS, lr_pre, gen, opt,
                A + NEAR_STEPS, log)
    info["next"] = dict(train_loss_ema=round(ema, 4), lr=lr_pre(A + NEXT_STEPS - 1),
                        val_loss=evaluate(model, [pre, ft], cfg))
    nxt = state_of(model)
    info["pretrain_seconds"] = round(time.time() - t0, 1)
    log(f"[{name}] base {info['base']['val_loss']}  next {info['next']['val_loss']}")

    common = dict(model=f"znn delta test GPT ({name})", seed=SEED,
                  config=json.dumps(cfg, sort_keys=True))
    for dk in DTYPES:
        d = outdir / name / dk
        save_safetensors(d / "base.safetensors", base, dk,
                         dict(common, kind="base", step=A, corpus=pre.name))
        save_safetensors(d / "next.safetensors", nxt, dk,
                         dict(common, kind="next", step=A + NEXT_STEPS, corpus=pre.name))
        save_safetensors(d / f"next{NEAR_STEPS}.safetensors", near, dk,
                         dict(common, kind="next", step=A + NEAR_STEPS, corpus=pre.name))

    info["finetune"] = {}
    for dk in DTYPES:
        info["finetune"][dk] = finetune(name, cfg, base, dk, peak / 10, pre, ft,
                                        outdir / name / dk / "finetune.safetensors",
                                        dict(common, base_step=A), log)
    return info


def round_to_bf16(model):
    """Pure-BF16 training: the weights live in BF16, so every step's result is rounded
    (updates below half a BF16 ulp are lost)."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.bfloat16).float())


def model_from_base(cfg, base, dk, seed):
    """A GPT holding the base as released in dtype dk, upcast (seed: for what is not copied)."""
    torch.manual_seed(seed)
    m = GPT(**cfg)
    with torch.no_grad():
        for n, p in m.named_parameters():
            p.copy_(base[n].to(DTYPES[dk][0]).float())
    return m


def finetune(name, cfg, base, dk, lr, pre, ft, path, meta, log, pure_bf16=False):
    """Fine-tune the base as released in dtype dk on the other corpus; save in dk."""
    t0 = time.time()
    m = model_from_base(cfg, base, dk, SEED + 2)
    opt = make_optimizer(m, lr)
    gen = torch.Generator().manual_seed(SEED + 3)
    wu = FINETUNE_STEPS // 10
    lr_ft = lambda i: cosine(i, wu, FINETUNE_STEPS, lr, 0.0)
    ema = train(m, ft, cfg, FINETUNE_STEPS, lr_ft, gen, opt, 0, log,
                round_to_bf16 if pure_bf16 else None)
    info = dict(train_loss_ema=round(ema, 4), val_loss=evaluate(m, [pre, ft], cfg),
                peak_lr=lr, pure_bf16=pure_bf16, seconds=round(time.time() - t0, 1))
    log(f"[{name}] {path.name} {dk}: {info['val_loss']}")
    save_safetensors(path, state_of(m), dk,
                     dict(meta, kind="finetune", steps=FINETUNE_STEPS, corpus=ft.name,
                          peak_lr=lr, pure_bf16=pure_bf16))
    return info


class LoRALinear(nn.Module):
    """A frozen nn.Linear plus a trainable low-rank update scale * B @ A (LoRA)."""

    def __init__(self, linear, rank, alpha):
        super().__init__()
        self.linear = linear
        self.A = nn.Parameter(torch.randn(rank, linear.in_features) / math.sqrt(linear.in_features))
        self.B = nn.Parameter(torch.zeros(linear.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.linear(x) + (x @ self.A.t() @ self.B.t()) * self.scale

    def merged(self):
        return self.linear.weight + self.scale * (self.B @ self.A)


def finetune_lora(name, cfg, base, dk, lr, pre, ft, path, meta, log, rank=8, alpha=16):
    """LoRA on every attention projection (c_attn, c_proj), the rest frozen; the
    adapters are merged into the weights before saving (a "merged LoRA" fine-tune)."""
    t0 = time.time()
    m = model_from_base(cfg, base, dk, SEED + 4)
    for p in m.parameters():
        p.requires_grad_(False)
    adapters = {}
    for i, blk in enumerate(m.transformer.h):
        for key in ("c_attn", "c_proj"):
            lora = LoRALinear(getattr(blk.attn, key), rank, alpha)
            setattr(blk.attn, key, lora)
            adapters[f"transformer.h.{i}.attn.{key}.weight"] = lora
    params = [p for a in adapters.values() for p in (a.A, a.B)]
    opt = torch.optim.AdamW(params, lr=lr, betas=BETAS, eps=1e-8, weight_decay=0.0)
    gen = torch.Generator().manual_seed(SEED + 3)
    wu = FINETUNE_STEPS // 10
    lr_ft = lambda i: cosine(i, wu, FINETUNE_STEPS, lr, 0.0)
    ema = train(m, ft, cfg, FINETUNE_STEPS, lr_ft, gen, opt, 0, log)
    info = dict(train_loss_ema=round(ema, 4), val_loss=evaluate(m, [pre, ft], cfg),
                peak_lr=lr, lora_rank=rank, lora_alpha=alpha,
                seconds=round(time.time() - t0, 1))
    state = {}
    for n, p in m.named_parameters():
        if n.endswith(".A") or n.endswith(".B"):
            continue
        n = n.replace(".linear.", ".")
        state[n] = adapters[n].merged().detach() if n in adapters else p.detach()
    log(f"[{name}] {path.name} {dk}: {info['val_loss']}")
    save_safetensors(path, state, dk,
                     dict(meta, kind="finetune-lora", steps=FINETUNE_STEPS, corpus=ft.name,
                          peak_lr=lr, lora_rank=rank, lora_alpha=alpha))
    return info


def load_fp32(path):
    """The tensors of an F32 safetensors file written by save_safetensors."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    hdr = json.loads(data[8:8 + n])
    hdr.pop("__metadata__", None)
    out = {}
    for name, t in hdr.items():
        b, e = t["data_offsets"]
        raw = bytearray(data[8 + n + b:8 + n + e])
        out[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(t["shape"]).clone()
    return out


def run_extras(name, cfg, pre, ft, outdir, log):
    """Extra fine-tunes of an existing base (for sensitivity, not the issue's pairs):
    finetune-gentle (peak LR / 100, every dtype) and finetune-purebf16 (peak LR / 10,
    weights kept in BF16 without FP32 master copy)."""
    base = load_fp32(outdir / name / "fp32" / "base.safetensors")
    A = cfg["total_steps"] // 2
    meta = dict(model=f"znn delta test GPT ({name})", seed=SEED,
                config=json.dumps(cfg, sort_keys=True), base_step=A)
    peak = cfg["peak_lr"]
    info = {}
    for dk in DTYPES:
        info[f"gentle-{dk}"] = finetune(name, cfg, base, dk, peak / 100, pre, ft,
                                        outdir / name / dk / "finetune-gentle.safetensors",
                                        meta, log)
    info["purebf16"] = finetune(name, cfg, base, "bf16", peak / 10, pre, ft,
                                outdir / name / "bf16" / "finetune-purebf16.safetensors",
                                meta, log, pure_bf16=True)
    info["lora"] = run_lora(name, cfg, pre, ft, outdir, log)
    return info


def run_lora(name, cfg, pre, ft, outdir, log):
    """finetune-lora (BF16): merged rank-8 LoRA on the attention projections, at the
    pre-training peak LR (LoRA adapters take larger LRs than full fine-tunes)."""
    base = load_fp32(outdir / name / "fp32" / "base.safetensors")
    meta = dict(model=f"znn delta test GPT ({name})", seed=SEED,
                config=json.dumps(cfg, sort_keys=True), base_step=cfg["total_steps"] // 2)
    return finetune_lora(name, cfg, base, "bf16", cfg["peak_lr"], pre, ft,
                         outdir / name / "bf16" / "finetune-lora.safetensors", meta, log)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--configs", default="small,medium",
                    help="comma-separated subset of: " + ", ".join(CONFIGS))
    ap.add_argument("--extras", action="store_true",
                    help="only the extra fine-tunes (gentle, pure BF16) of existing bases")
    ap.add_argument("--lora", action="store_true",
                    help="only the merged-LoRA fine-tune (BF16) of existing bases")
    ap.add_argument("--quick", action="store_true",
                    help="tiny step counts, to test the script (pairs are not realistic)")
    args = ap.parse_args()
    global NEXT_STEPS, NEAR_STEPS, FINETUNE_STEPS, WARMUP, EVAL_BATCHES
    torch.set_num_threads(1)
    configs = {}
    for c in args.configs.split(","):
        if c not in CONFIGS:
            sys.exit(f"unknown config {c!r}")
        configs[c] = dict(CONFIGS[c])
    if args.quick:
        NEXT_STEPS, NEAR_STEPS, FINETUNE_STEPS, WARMUP, EVAL_BATCHES = 10, 4, 10, 5, 2
        for c in configs.values():
            c["total_steps"] = 40

    def log(msg):
        print(msg, flush=True)

    t0 = time.time()
    pre_blob, n1 = build_corpus(english_docs(), PRETRAIN_CAP)
    ft_blob, n2 = build_corpus(python_sources(), FINETUNE_CAP)
    pre, ft = Corpus("english-docs", pre_blob, n1), Corpus("python-source", ft_blob, n2)
    log(f"corpora: {pre.info()}  {ft.info()}  ({time.time() - t0:.0f} s)")
    summary = dict(torch=torch.__version__, seed=SEED, warmup=WARMUP, betas=BETAS,
                   weight_decay=WEIGHT_DECAY, grad_clip=GRAD_CLIP,
                   corpora={pre.name: pre.info(), ft.name: ft.info()}, configs={})
    old = args.outdir / "summary.json"
    if old.exists():                      # keep configs made by an earlier run
        summary["configs"] = json.loads(old.read_text()).get("configs", {})
    for name, cfg in configs.items():
        t1 = time.time()
        if args.lora:
            extras = summary["configs"].setdefault(name, {}).setdefault("extras", {})
            extras["lora"] = run_lora(name, cfg, pre, ft, args.outdir, log)
        elif args.extras:
            summary["configs"].setdefault(name, {})["extras"] = run_extras(
                name, cfg, pre, ft, args.outdir, log)
            summary["configs"][name]["extras_seconds"] = round(time.time() - t1, 1)
        else:
            summary["configs"][name] = run_config(name, cfg, pre, ft, args.outdir, log)
            summary["configs"][name]["seconds"] = round(time.time() - t1, 1)
        args.outdir.mkdir(parents=True, exist_ok=True)
        (args.outdir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    log(f"done in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
