"""reWordBench in miniature: standard vs consistency-regularised vs augmented reward-model training.

Trains three MiniLM-L6 reward models (train/minilm-standard.yaml, minilm-regularized.yaml,
minilm-augmented.yaml: same RM-Bench pairs, same seed) and evaluates all three with the `rewordbench`
suite on held-out LLMBar (RewardBench's Chat Hard data), under the transforms the regularised and
augmented models were trained with ("seen") and under transforms they never saw: other controlled
transforms and the whole naturalistic family. Question: does consistency training on some transforms
reduce the accuracy drop on transforms it never saw? The numbers are printed and written to
``<out>/results.json`` / ``results.md``, whatever they are.

    python benchmarks/rewordbench_experiment.py [--pairs 320] [--max-length 128] [--eval-per-subset 30]

Sizes default to what 2 CPU cores manage in a sensible time; timings are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
# the training configs name THU-KEG/RM-Bench: read it from the local mirror of the shared data
os.environ.setdefault("JUDGEKIT_DATA_MIRROR", str(SHARED))
OBJECTIVES = ("standard", "regularized", "augmented")
SEEN = ("add-quotes", "punct-spaces", "twitter-handle", "twitter-url")
UNSEEN = ("stress-test", "ignore-above", "ignore-below", "rot13",
          "char-swap", "char-sub", "char-insert", "char-delete", "homoglyph", "word-delete")


def train_all(args: argparse.Namespace, out: Path) -> dict[str, dict]:
    from judgekit.train.config import load_config
    from judgekit.train.run import train_reward_model

    trained = {}
    for objective in args.objectives:
        overrides = [f"output.dir={out / objective}", "output.overwrite=true", f"pairs.limit={args.pairs}",
                     f"max_length={args.max_length}",
                     f"optim.epochs={args.epochs}", f"optim.batch_size={args.batch_size}", f"seed={args.seed}",
                     f"optim.learning_rate={args.learning_rate}"]
        if objective != "standard":
            names = ", ".join(f"{{name: {n}}}" for n in args.train_transforms)
            overrides += [f"variants.transforms=[{names}]", f"variants.seed={args.seed}"]
        if objective == "regularized":
            overrides.append(f"alpha={args.alpha}")
        config = load_config(ROOT / "train" / f"minilm-{objective}.yaml", overrides=overrides)
        manifest = _reusable(config) if args.reuse else None
        if manifest is not None:
            print(f"== reusing {config.output.dir} (trained with the same config) ==", flush=True)
        else:
            print(f"== training {objective} ==", flush=True)
            manifest = train_reward_model(config, progress=lambda line: print("  " + line, flush=True)).manifest
        trained[objective] = {"folder": config.output.dir, "seconds": manifest.training["seconds"],
                              "steps": manifest.training["steps"], "train_loss": manifest.training["train_loss"],
                              "pairs": manifest.data["pairs"], "pairs_with_variant": manifest.data["pairs_with_variant"]}
    return trained


def _reusable(config):
    """The manifest of an earlier run of exactly this config, if its folder is there."""
    from judgekit.train.manifest import MANIFEST_NAME, read_manifest

    folder = Path(config.output.dir)
    if not (folder / MANIFEST_NAME).is_file():
        return None
    manifest = read_manifest(folder)
    return manifest if manifest.config == config.model_dump(mode="json") else None


def evaluate_all(args: argparse.Namespace, out: Path, trained: dict[str, dict]):
    from judgekit.eval import run_suite

    judges = [{"kind": "scalar", "name": name, "model": info["folder"], "device": "auto", "max_length": args.max_length}
              for name, info in trained.items()]
    data = [str(SHARED / "llmbar" / f"{name}.json") for name in args.eval_sets]
    print(f"== evaluating with the rewordbench suite on {', '.join(args.eval_sets)} (LLMBar, held out) ==", flush=True)
    return run_suite("rewordbench", judges, out_dir=out / "eval", overwrite=True, data=data, limit_per_subset=args.eval_per_subset,
                     transforms=[*args.train_transforms, *args.unseen_transforms], seed=args.seed,
                     progress=lambda line: print("  " + line, flush=True))


def summarize(report, args: argparse.Namespace) -> dict:
    families = {t["name"]: t.get("family") for t in report.data["transforms"]}
    rows = {}
    for entry in report.data["results"]:
        robust = entry.get("robustness") or {}
        rows.setdefault(entry["variant"], {})[entry["judge"]] = {
            "accuracy": entry["accuracy"], "n": entry["n_items"],
            "drop": robust.get("drop"), "drop_ci": robust.get("drop_ci"), "n_paired": robust.get("n_paired"),
            "flip": _sum(robust.get("flip_right_to_wrong"), robust.get("flip_wrong_to_right")),
            "shift": robust.get("score_shift")}
    groups = {
        "seen (trained on)": list(args.train_transforms),
        "unseen controlled": [t for t in args.unseen_transforms if families.get(t) == "controlled"],
        "unseen naturalistic": [t for t in args.unseen_transforms if families.get(t) == "naturalistic"],
        "all unseen": list(args.unseen_transforms),
    }
    means: dict[str, dict] = {}
    for metric in ("drop", "flip", "shift"):
        means[metric] = {}
        for group, names in groups.items():
            means[metric][group] = {}
            for judge in args.objectives:
                values = [rows[n][judge][metric] for n in names if n in rows and rows[n][judge][metric] is not None]
                means[metric][group][judge] = statistics.fmean(values) if values else None
    return {"families": families, "rows": rows, "groups": groups, "means": means}


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def render(summary: dict, trained: dict, args: argparse.Namespace, seconds: dict) -> str:
    names = list(args.objectives)

    def pct(value):
        return "n/a" if value is None else f"{100 * value:5.1f}"

    lines = ["# reWordBench in miniature: MiniLM-L6 reward models on held-out LLMBar", "",
             f"Training: {next(iter(trained.values()))['pairs']} RM-Bench pairs (chat, code, safety; one sampled style pair "
             f"per prompt), max_length {args.max_length}, {args.epochs} epoch(s), batch {args.batch_size}, "
             f"lr {args.learning_rate}, seed {args.seed}; rewrites for regularized/augmented from "
             f"{', '.join(args.train_transforms)}; alpha {args.alpha}.",
             f"Evaluation: LLMBar {', '.join(args.eval_sets)}, first {args.eval_per_subset} items per subset; "
             "accuracy in %, drop = original - transformed accuracy on the same items, in points, 95% paired "
             "bootstrap CI.", "",
             "| transform | family | seen | " + " | ".join(f"{j} acc | {j} drop [CI]" for j in names) + " |",
             "|---|---|---|" + "---|---|" * len(names)]
    for variant, per_judge in summary["rows"].items():
        seen = "-" if variant == "original" else ("yes" if variant in args.train_transforms else "no")
        cells = []
        for judge in names:
            r = per_judge.get(judge, {})
            ci = r.get("drop_ci") or [None, None]
            drop = "" if r.get("drop") is None else f"{pct(r['drop'])} [{pct(ci[0])}, {pct(ci[1])}]"
            cells += [pct(r.get("accuracy")), drop]
        lines.append(f"| {variant} | {summary['families'].get(variant, '-')} | {seen} | " + " | ".join(cells) + " |")
    titles = {"drop": "accuracy drop (points)", "flip": "items whose verdict flipped (%, either direction)",
              "shift": "mean |score change| of changed responses / std of original scores"}
    for metric, title in titles.items():
        lines += ["", f"Mean {title}, by transform group:", "",
                  "| group | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for group, values in summary["means"][metric].items():
            shown = [("n/a" if values[j] is None else f"{values[j]:.3f}") if metric == "shift" else pct(values[j])
                     for j in names]
            lines.append(f"| {group} | " + " | ".join(shown) + " |")
    lines += ["", "Time (2 CPU cores unless noted): " + ", ".join(
        f"train {j} {trained[j]['seconds']}s ({trained[j]['steps']} steps)" for j in names)
        + f", evaluation {seconds['eval']:.0f}s, total {seconds['total']:.0f}s."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "runs" / "rewordbench-experiment"))
    parser.add_argument("--pairs", type=int, default=320, help="RM-Bench training pairs (seeded subset)")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--alpha", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-transforms", nargs="+", default=list(SEEN))
    parser.add_argument("--unseen-transforms", nargs="+", default=list(UNSEEN))
    parser.add_argument("--eval-sets", nargs="+", default=["natural", "neighbor", "gptinst", "gptout", "manual"])
    parser.add_argument("--eval-per-subset", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--objectives", nargs="+", choices=OBJECTIVES, default=list(OBJECTIVES))
    parser.add_argument("--reuse", action="store_true",
                        help="skip training a model whose folder holds a run of the same config (to re-evaluate)")
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"the shared data is not at {SHARED}: this experiment trains on RM-Bench and tests on LLMBar")

    import torch
    from transformers.utils import logging

    torch.set_num_threads(args.threads)
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    trained = train_all(args, out)
    eval_start = time.perf_counter()
    report = evaluate_all(args, out, trained)
    seconds = {"eval": time.perf_counter() - eval_start, "total": time.perf_counter() - started}
    summary = summarize(report, args)
    text = render(summary, trained, args, seconds)
    (out / "results.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps({"args": vars(args), "trained": trained, "seconds": seconds,
                                                  **summary}, indent=2, default=str), encoding="utf-8")
    print(text)
    print(f"run folder: {out / 'eval'} (report.html); results: {out / 'results.md'}")


if __name__ == "__main__":
    main()
