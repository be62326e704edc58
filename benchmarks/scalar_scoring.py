"""Scalar reward-model scoring: judgekit's ScalarJudge vs a RewardBench-style loop, same model, same items.

Model: all-MiniLM-L6-v2 + a seeded num_labels=1 head (built from the embedded package into a temp folder).
Items: LLMBar (../shared/data/llmbar, RewardBench's Chat Hard) plus rule-based transforms of it.

Peer ("RewardBench-style"): each dataset (the original and every transformed set) goes through a
DataLoader of batch 8 in dataset order; each batch's chosen texts and rejected texts are scored by two
forward passes padded to the longest text in the batch. That is how RewardBench's run_rm.py scores
classifier reward models. judgekit: one call over all sets; unique texts only, sorted by length and
packed by a padded-token budget. Both format texts identically (the documented fallback, since MiniLM has
no chat template) and truncate from the left at 512 tokens, so scores must agree (checked, max |diff|).

Timing: model loading excluded, tokenization included, disk cache off, runs interleaved; median of N.
Throughput: useful GFLOP/s (real tokens only, no padding) of each, against a large fp32 matmul on the
same machine as the ceiling.

    python benchmarks/scalar_scoring.py [--runs 5] [--per-subset 20] [--transforms rot13,add-quotes,char-swap]

``--device cuda --dtype bfloat16`` runs both sides on a GPU (not measured yet: no GPU was lent to this project's
sessions so far).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LLMBAR = ROOT.parent / "shared" / "data" / "llmbar"


def load_items(per_subset: int, transforms: list[str], llmbar: Path = LLMBAR):
    from judgekit.eval.suite import Suite
    from judgekit.transforms.engine import run_transforms, select_transforms

    if not llmbar.is_dir():
        sys.exit(f"LLMBar not found at {llmbar} (the shared data folder beside the repo)")
    suite = Suite.model_validate({"data": [{"path": str(llmbar / "*.json"), "format": "llmbar"}],
                                  "limit_per_subset": per_subset})
    original = suite.load_data()
    outcomes = run_transforms(original, select_transforms(transforms), seed=0)
    return [("original", original)] + [(name, outcome.examples) for name, outcome in outcomes.items()]


def peer_scores(model, tokenizer, datasets, max_length: int, fmt, device: str = "cpu") -> tuple[list[float], int]:
    """RewardBench-style: per dataset, DataLoader(batch_size=8) in order, chosen and rejected per batch."""
    import torch
    from torch.utils.data import DataLoader

    scores: list[float] = []
    padded_tokens = 0
    for _, examples in datasets:
        rows = [{"text_chosen": fmt(e.prompt, e.chosen[0])[0], "text_rejected": fmt(e.prompt, e.rejected[0])[0]}
                for e in examples]
        special = fmt(examples[0].prompt, examples[0].chosen[0])[1]  # chat template given: its own special tokens
        loader = DataLoader(rows, batch_size=8, shuffle=False)
        with torch.inference_mode():
            for batch in loader:
                pair = []
                for key in ("text_chosen", "text_rejected"):
                    inputs = tokenizer(batch[key], padding="longest", truncation=True, max_length=max_length,
                                       return_tensors="pt", add_special_tokens=special).to(device)
                    padded_tokens += inputs["input_ids"].numel()
                    pair.append(model(**inputs).logits[:, 0].float().tolist())
                for c, r in zip(*pair, strict=True):
                    scores.extend([c, r])
    return scores, padded_tokens


def judgekit_scores(judge, datasets) -> list[float]:
    judge._memory.clear()  # a fresh run: nothing scored yet (and the disk cache is off)
    flat = [e for _, examples in datasets for e in examples]
    out = []
    for judgment in judge.judge(flat):
        out.extend([judgment.scores_chosen[0], judgment.scores_rejected[0]])
    return out


def useful_flops(token_lengths: list[int], config) -> float:
    """Forward FLOPs of a transformer over sequences of these lengths (matmuls only, no padding).

    Per layer and token: attention projections (q, o: d*d each; k, v: d*d_kv each) and the MLP (2 matrices
    for BERT, 3 for gated Llama MLPs), times 2 FLOPs per multiply-add, plus 4*n*d for the attention scores.
    """
    d, ff, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    heads = config.num_attention_heads
    kv = getattr(config, "num_key_value_heads", heads) or heads
    attention = 2 * d * d + 2 * d * d * kv // heads
    mlp = (3 if getattr(config, "model_type", "") == "llama" else 2) * d * ff
    total = 0.0
    for n in token_lengths:
        total += layers * (2 * n * (attention + mlp) + 4 * n * n * d)
    return total


def matmul_ceiling(size: int = 2048, repeats: int = 10, device: str = "cpu", dtype=None) -> float:
    import torch

    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    torch.mm(a, b)
    times = []
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        torch.mm(a, b)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(times) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--per-subset", type=int, default=6, help="LLMBar items per subset (5 subsets)")
    parser.add_argument("--transforms", default="rot13,add-quotes,char-swap,twitter-url")
    parser.add_argument("--token-budget", type=int, default=16384)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--data", type=Path, default=LLMBAR, help="folder of LLMBar *.json files")
    parser.add_argument("--max-length", type=int, default=512)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from judgekit.embedded import build_minilm_reward_model
    from judgekit.judges import JudgeSpec
    from judgekit.judges.scalar import ScalarJudge

    datasets = load_items(args.per_subset, args.transforms.split(","), args.data)
    n_pairs = sum(len(e) for _, e in datasets)
    dtype = getattr(torch, args.dtype)
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_minilm_reward_model(Path(tmp) / "minilm-rm", seed=0)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        tokenizer.truncation_side = "left"  # judgekit keeps the end of over-long inputs; match it
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = AutoModelForSequenceClassification.from_pretrained(folder, dtype=dtype).to(args.device).eval()
        judge = ScalarJudge(JudgeSpec(kind="scalar", model=str(folder), device=args.device, dtype=args.dtype, cache=False,
                                      max_length=args.max_length, token_budget=args.token_budget))
        judge.model  # load outside the timed region  # noqa: B018
        max_length = judge.max_length()
        fmt = judge.format
        # warm-up (one-off allocations, lazy init) on a few items, for both
        peer_scores(model, tokenizer, [("warm", datasets[0][1][:8])], max_length, fmt, args.device)
        judgekit_scores(judge, [("warm", datasets[0][1][:8])])

        peer_times, ours_times = [], []
        peer_out = ours_out = None
        padded = 0
        for run in range(args.runs):
            start = time.perf_counter()
            peer_out, padded = peer_scores(model, tokenizer, datasets, max_length, fmt, args.device)
            peer_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            ours_out = judgekit_scores(judge, datasets)
            ours_times.append(time.perf_counter() - start)
            print(f"run {run + 1}: RewardBench-style {peer_times[-1]:.2f} s, judgekit {ours_times[-1]:.2f} s", flush=True)

        stats = judge.stats()
        texts = [judge.format(e.prompt, r) for _, es in datasets for e in es for r in (e.chosen[0], e.rejected[0])]
        unique = list(dict.fromkeys(texts))
        lengths_all = [len(ids) for ids in judge._encode(texts)]
        lengths_unique = [len(ids) for ids in judge._encode(unique)]
        config = model.config

    diff = max(abs(a - b) for a, b in zip(peer_out, ours_out, strict=True))
    peer_t, ours_t = statistics.median(peer_times), statistics.median(ours_times)
    on_gpu = args.device.startswith("cuda")
    ceiling = matmul_ceiling(8192 if on_gpu else 2048, device=args.device, dtype=dtype)
    flops_all = useful_flops(lengths_all, config)
    flops_unique = useful_flops(lengths_unique, config)
    print()
    print(f"items: {n_pairs} pairs in {len(datasets)} sets (LLMBar x {args.per_subset}/subset + {args.transforms}); "
          f"{len(texts)} texts, {len(unique)} unique; torch threads {torch.get_num_threads()}")
    print(f"RewardBench-style loop: median {peer_t:.2f} s  ({len(texts) / peer_t:.1f} texts/s; padded tokens {padded}, "
          f"real {sum(lengths_all)})")
    print(f"judgekit ScalarJudge:   median {ours_t:.2f} s  ({len(texts) / ours_t:.1f} texts/s; "
          f"batches/run {stats['batches'] // (args.runs + 1)})")
    print(f"speed-up (median of {args.runs}): {peer_t / ours_t:.2f}x")
    tolerance = 1e-4 if dtype == torch.float32 else 0.1  # bf16 keeps ~3 significant digits; padding changes rounding
    print(f"scores identical: max |diff| = {diff:.2e} over {len(ours_out)} scores "
          f"({'OK' if diff < tolerance else 'MISMATCH'}, tolerance {tolerance:g} for {args.dtype})")
    print(f"useful GFLOP/s: RewardBench-style {flops_all / peer_t / 1e9:.1f}, judgekit {flops_unique / ours_t / 1e9:.1f} "
          f"(work it must do: {flops_unique / 1e9:.1f} GFLOP) vs {args.dtype} matmul ceiling {ceiling:.1f} GFLOP/s "
          f"-> judgekit at {100 * flops_unique / ours_t / 1e9 / ceiling:.0f}% of the ceiling")
    if diff >= tolerance:
        sys.exit(1)


if __name__ == "__main__":
    main()
