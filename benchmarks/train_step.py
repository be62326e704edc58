"""Step time: the paraphrase-consistency regulariser (4 sequences per pair) vs the Bradley-Terry step (2).

Both steps run on the same pairs, with the same MiniLM reward model (all-MiniLM-L6-v2 + a fresh score
head), through judgekit's real path: `PairCollator` builds one concatenated batch, one forward pass,
`objective_loss`, backward, AdamW step. The rewrites come from a rule-based meaning-preserving
transform; each batch is padded to its own longest sequence, as in training. Target: regularised /
Bradley-Terry <= 2.2 (median over repeats, the kinds interleaved). Also reported: the
regularised step done the naive way (four separate forward passes), to show what concatenation buys.

    python benchmarks/train_step.py [--pairs 8] [--max-length 256] [--repeats 7] [--data PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "rm-bench" / "chat.json"


def _pairs(data: str, n: int, transform: str, seed: int):
    from judgekit.data import load_examples
    from judgekit.data.pairs import PairingSpec, attach_variants, build_pairs
    from judgekit.train.config import VariantConfig
    from judgekit.train.variants import collect_variants

    examples = load_examples(data)
    pairs = build_pairs(examples, PairingSpec(pairing="diagonal", limit=n * 4), seed=seed)
    wanted = {p.id.rpartition("#")[0] for p in pairs}
    variants = collect_variants([e for e in examples if e.id in wanted],
                                VariantConfig(transforms=[transform], seed=seed))
    pairs = [p for p in attach_variants(pairs, variants, seed=seed) if p.variants][:n]
    if len(pairs) < n:
        sys.exit(f"only {len(pairs)} pairs got a '{transform}' rewrite; pass --pairs {len(pairs)} or another --transform")
    return pairs


def _step(model, optimizer, batch: dict, objective: str, separate: bool = False) -> tuple[float, float]:
    import torch

    from judgekit.train.losses import objective_loss

    batch = dict(batch)
    extras = {k: batch.pop(k) for k in ("n_pairs", "variant_rows", "margin", "chosen_targets", "rejected_targets")}
    start, cpu = time.perf_counter(), time.process_time()
    optimizer.zero_grad(set_to_none=True)
    if separate:
        size = int(extras["n_pairs"])
        chunks = [model(**{k: v[i:i + size] for k, v in batch.items()}).logits.squeeze(-1)
                  for i in range(0, batch["input_ids"].shape[0], size)]
        rewards = torch.cat(chunks)
    else:
        rewards = model(**batch).logits.squeeze(-1)
    loss, _ = objective_loss(rewards.float(), n_pairs=int(extras["n_pairs"]), variant_rows=extras["variant_rows"],
                             objective=objective, margin=extras["margin"])
    loss.backward()
    optimizer.step()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA) if DEFAULT_DATA.exists() else "sample")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--transform", default="punct-spaces")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (GPU)")
    parser.add_argument("--default-allocator", action="store_true",
                        help="skip the allocator settings judgekit train applies on the CPU (judgekit.train.memory)")
    args = parser.parse_args()

    import contextlib

    import torch
    from transformers.utils import logging

    from judgekit.embedded import minilm_dir
    from judgekit.train.collate import PairCollator
    from judgekit.train.run import load_reward_model, on_cpu_keep_freed_memory

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    tuned = False if args.default_allocator else on_cpu_keep_freed_memory()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else ("cpu" if args.device == "auto" else args.device)
    pairs = _pairs(args.data, args.pairs, args.transform, seed=0)
    tokenizer, model = load_reward_model(minilm_dir())
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    full = PairCollator(tokenizer, args.max_length)(pairs)
    # Each batch padded to its own longest sequence, as in training (rewrites may be a little longer).
    plain = PairCollator(tokenizer, args.max_length, with_variants=False)(pairs)
    width = (plain["input_ids"].shape[1], full["input_ids"].shape[1])
    to = lambda b: {k: v.to(device) for k, v in b.items()}  # noqa: E731
    full, plain = to(full), to(plain)
    autocast = torch.autocast(device, dtype=torch.bfloat16) if args.bf16 else contextlib.nullcontext()
    kinds = {"bradley-terry": (plain, "standard", False), "regularized": (full, "regularized", False),
             "regularized, 4 separate passes": (full, "regularized", True)}
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
    with autocast:
        for batch, objective, separate in kinds.values():  # warm-up
            _step(model, optimizer, batch, objective, separate)
        for _ in range(args.repeats):  # interleaved rounds: load changes hit every kind alike
            for name, (batch, objective, separate) in kinds.items():
                times[name].append(_step(model, optimizer, batch, objective, separate))

    print(f"MiniLM-L6 reward model, {args.pairs} pairs from {args.data}, rewrites by '{args.transform}', "
          f"padded widths {width[0]} / {width[1]} tokens (max_length {args.max_length}), device {device}"
          f"{' bf16' if args.bf16 else ' fp32'}, {args.threads} threads, {args.repeats} rounds, "
          f"{'judgekit allocator settings' if tuned else 'default allocator'}")
    print(f"  {'step':<32} {'seqs':>4}  {'wall ms (median)':>16}  {'cpu ms (median)':>15}")
    for name, values in times.items():
        sequences = full["input_ids"].shape[0] if name.startswith("regularized") else plain["input_ids"].shape[0]
        wall = statistics.median(v[0] for v in values) * 1000
        cpu = statistics.median(v[1] for v in values) * 1000
        print(f"  {name:<32} {sequences:>4}  {wall:16.1f}  {cpu:15.1f}")

    def ratio(name: str, which: int) -> float:
        # per-round ratios (steps measured back to back), then the median: robust to a busy machine
        return statistics.median(a[which] / b[which] for a, b in zip(times[name], times["bradley-terry"], strict=True))

    wall, cpu = ratio("regularized", 0), ratio("regularized", 1)
    print(f"ratio regularized / bradley-terry (median of per-round ratios): wall {wall:.2f}x, cpu time {cpu:.2f}x "
          f"(target <= 2.2x: {'PASS' if wall <= 2.2 else 'FAIL'})")
    print(f"ratio regularized with 4 separate forward passes / bradley-terry: wall "
          f"{ratio('regularized, 4 separate passes', 0):.2f}x")

if __name__ == "__main__":
    main()
