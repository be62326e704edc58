"""reWordBench in miniature, with the power to say something: does paraphrase-consistency training (alpha = 10)
make a reward model move less under meaning-preserving rewrites, seen in training and unseen?

Protocol (issue "Science"):
1. RM-Bench (THU-KEG/RM-Bench; offline from JUDGEKIT_DATA_MIRROR) is split by item id into train and test, so
   the model is tested in distribution first; LLMBar (allenai/reward-bench Chat Hard) and JudgeBench are tested
   out of distribution. Training uses all chosen x rejected style pairs of the training items (a seeded subset).
2. Three objectives (standard, regularized, augmented) x several seeds, the same pairs and rewrites.
3. Seen rewrites: the rule-based meaning-preserving transforms trained on, plus the prompt paraphrases the
   embedded SmolLM2 writes and the filters keep (--paraphrase-items). Unseen: the other controlled and the
   naturalistic transforms, and ranking-preserving judge attacks.
4. Accuracy on the originals comes first, with its CI; a test set where a model's CI includes 50% is reported as
   "not meaningful" for robustness. Transforms the model cannot see (its input token ids unchanged, the
   `visibility` metric) are flagged and left out of every mean.
5. Per transform group: score shift and flip rate (paired, most power) and accuracy drop, per objective and as
   differences between objectives on the same items, with bootstrap CIs over items and the spread over seeds.

    python benchmarks/rewordbench_experiment.py [--seeds 0 1 2] [--pairs 1200] [--test-items 150]

Writes <out>/results.json and results.md (and a judgekit run folder per test set with report.html).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
os.environ.setdefault("JUDGEKIT_DATA_MIRROR", str(SHARED))  # the configs name hub ids: read the local mirror
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rewordbench_stats import (  # noqa: E402
    METRICS,
    Cell,
    accuracy_ci,
    difference,
    item_table,
    objective_metric,
)

OBJECTIVES = ("standard", "regularized", "augmented")
SEEN = ("add-quotes", "punct-spaces", "twitter-handle", "twitter-url")
# Evaluated transforms, chosen to fit the 2-core budget: punct-spaces stays (it is trained on) to show it is
# invisible to WordPiece; ignore-above/below prepend or append a whole other prompt, which left truncation at
# 128 tokens mostly cuts away (invisible too), so they are left out.
EVAL_SEEN = ("add-quotes", "punct-spaces", "twitter-handle", "twitter-url")
GROUPS = {
    "unseen controlled": ("stress-test", "rot13"),
    "unseen naturalistic": ("char-swap", "homoglyph", "word-delete"),
    "unseen judge attacks (ranking-preserving)": ("self-praise", "verbosity-pad"),
}
TEST_SETS = {  # name -> data selection (limits applied from the command line)
    "rm-bench (in distribution)": None,  # the held-back split, written by the script
    "llmbar (out of distribution)": {"sources": ["allenai/reward-bench"], "subsets": ["llmbar-*"]},
    "judgebench (out of distribution)": {"sources": ["ScalerLab/JudgeBench"]},
}
ALL_TRANSFORMS = [*EVAL_SEEN, *(t for group in GROUPS.values() for t in group)]


def say(text: str) -> None:
    print(text, flush=True)


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def split_rm_bench(out: Path, test_fraction: float) -> tuple[Path, Path, dict[str, int]]:
    """RM-Bench items split by a hash of their id (independent of every training seed). Test items become one
    chosen-vs-rejected pair each, the style pair drawn by a hash of the id (easy, normal and hard pairs all
    occur): 2 responses to score per item instead of 6, which is what lets 2 cores evaluate enough items."""
    from judgekit.data import select_examples, write_examples

    items = list(select_examples({"sources": ["THU-KEG/RM-Bench"]}))
    test = [e for e in items if _hash(e.id) % 1000 < 1000 * test_fraction]
    test_ids = {e.id for e in test}
    train = [e for e in items if e.id not in test_ids]
    test = sorted(test, key=lambda e: _hash("order" + e.id))  # --test-items takes a mix of domains
    pairs = []
    for item in test:
        i, j = divmod(_hash("pair" + item.id) % 9, 3)
        pairs.append(item.replace(chosen=(item.chosen[i],), rejected=(item.rejected[j],),
                                  meta={**dict(item.meta), "styles": None, "style_pair": [i, j]}))
    test = pairs
    folder = out / "split"
    folder.mkdir(parents=True, exist_ok=True)
    write_examples(train, folder / "train.jsonl")
    write_examples(test, folder / "test.jsonl")
    return folder / "train.jsonl", folder / "test.jsonl", {"train": len(train), "test": len(test)}


def paraphrases(train: Path, out: Path, items: int) -> tuple[Path | None, dict]:
    """Prompt paraphrases of the first training items by the embedded SmolLM2, kept only if they pass the
    filters (MiniLM similarity >= 0.7, length, not a refusal); cached, so reruns are free."""
    if items <= 0:
        return None, {}
    from judgekit.outputs import prepare_output
    from judgekit.synth import load_recipe, run_recipe

    recipe = load_recipe("demo-paraphrase", [f"data.sources=[{train}]", f"data.limit={items}",
                                             f"output.dir={out / 'paraphrases'}", "output.overwrite=true"])
    say(f"== paraphrasing the prompts of {items} training items with the embedded SmolLM2 ==")
    result = run_recipe(recipe, target=prepare_output(out / "paraphrases", command="synth", overwrite=True))
    entry = result.manifest.transforms[0]
    return out / "paraphrases", {"items": items, "kept": entry.kept, "dropped": entry.dropped,
                                 "reasons": entry.dropped_reasons, "seconds": result.manifest.elapsed_s}


def train_all(args: argparse.Namespace, out: Path, train: Path, rewrites: Path | None) -> dict[str, dict]:
    from judgekit.outputs import prepare_output
    from judgekit.train.config import load_config
    from judgekit.train.manifest import MANIFEST_NAME, read_manifest
    from judgekit.train.run import train_reward_model

    trained = {}
    for seed in args.seeds:
        for objective in args.objectives:
            name = f"{objective}-s{seed}"
            folder = out / "models" / name
            overrides = [f"data.sources=[{train}]", "pairs.pairing=sample", f"pairs.pairs_per_item={args.pairs_per_item}",
                         f"pairs.limit={args.pairs}", f"max_length={args.max_length}", f"seed={seed}",
                         f"optim.epochs={args.epochs}", f"optim.batch_size={args.batch_size}",
                         f"optim.learning_rate={args.learning_rate}", f"base_model={args.base_model}",
                         f"output.dir={folder}", "output.overwrite=true"]
            if objective != "standard":
                overrides += [f"variants.transforms=[{', '.join(SEEN)}]", f"variants.seed={seed}"]
                if rewrites is not None:
                    overrides.append(f"variants.sources=[{rewrites}]")
            if objective == "regularized":
                overrides.append(f"alpha={args.alpha}")
            config = load_config(ROOT / "train" / f"minilm-{objective}.yaml", overrides=overrides)
            if args.reuse and (folder / MANIFEST_NAME).is_file() and \
                    read_manifest(folder).config == config.model_dump(mode="json"):
                manifest = read_manifest(folder)
                say(f"== reusing {name} ==")
            else:
                say(f"== training {name} ==")
                result = train_reward_model(config, progress=lambda line: say("  " + line),
                                            target=prepare_output(folder, command="train", overwrite=True))
                manifest = result.manifest
            trained[name] = {"folder": str(folder), "objective": objective, "seed": seed,
                             "seconds": manifest.training["seconds"], "steps": manifest.training["steps"],
                             "pairs": manifest.data["pairs"], "pairs_with_variant": manifest.data["pairs_with_variant"]}
    return trained


def evaluate(args: argparse.Namespace, out: Path, test: Path, trained: dict[str, dict]):
    """Every model on every test set under every transform; returns {set: RunResult} (run folders written)."""
    from judgekit.eval.report import build_report
    from judgekit.eval.runner import execute, prepare, write_run
    from judgekit.outputs import prepare_output

    transforms = ALL_TRANSFORMS if args.transforms is None else args.transforms
    judges = [{"kind": "scalar", "name": name, "model": info["folder"], "device": "cpu", "max_length": args.max_length}
              for name, info in trained.items()]
    results = {}
    for label, data in TEST_SETS.items():
        if label.split()[0] not in args.test_sets:
            continue
        selection = {"sources": [str(test)], "limit": args.test_items} if data is None else \
            {**data, "limit_per_subset": args.ood_per_subset}
        suite = {"name": label.split()[0], "data": selection, "transforms": transforms, "seed": 0,
                 "options": {"sections": "none"}}
        say(f"== evaluating {len(judges)} models on {label} ==")
        started = time.perf_counter()
        resolved, built, transform_objects = prepare(suite, judges)
        result = execute(resolved, built, transforms=transform_objects, progress=None)
        report = build_report(result)
        write_run(result, report, prepare_output(out / "eval" / suite["name"], command="eval", overwrite=True))
        say(f"  {len(result.examples)} items, {time.perf_counter() - started:.0f} s")
        results[label] = (result, report)
    return results


def analyse(args: argparse.Namespace, results: dict, trained: dict[str, dict]) -> dict:
    """Accuracy on the originals, then per transform group: each objective's metrics and the differences."""
    import numpy as np

    from judgekit.eval.metrics import response_pairs
    from judgekit.eval.report import item_values
    from judgekit.eval.sections import is_matrix

    out: dict = {"test_sets": {}}
    for label, (result, report) in results.items():
        matrix = {e.id: is_matrix(e) for e in result.examples}
        before = {e.id: e for e in result.examples}
        accuracy, competent = {}, True
        for name in trained:
            values = item_values(result.judgments[name]["original"], matrix, result.suite.options)
            mean, low, high = accuracy_ci([v for v in values.values() if v is not None], resamples=args.resamples,
                                          rng_seed=0)
            accuracy[name] = {"accuracy": mean, "ci": [low, high]}
            competent = competent and low > 0.5
        visibility = {r["variant"]: r["robustness"].get("input_unchanged") for r in report.data["results"]
                      if r.get("robustness") and r["judge"] == next(iter(trained))}
        cells: dict[str, Cell] = {}
        for record in result.transforms:
            cell = Cell(input_unchanged=visibility.get(record.name))
            cell.visible = cell.input_unchanged is None or cell.input_unchanged < 0.95
            after = {e.id: e for e in record.examples}
            for name, info in trained.items():
                original = result.judgments[name]["original"]
                transformed = result.judgments[name][record.name]
                scores = [s for j in original for s in (*(j.scores_chosen or []), *(j.scores_rejected or []))
                          if s is not None]
                scale = float(np.std(scores)) or 1.0
                by_o = {j.id: j for j in original}
                shifts = {}
                for judgment in transformed:
                    xs, ys = response_pairs(by_o[judgment.id], judgment, before[judgment.id], after[judgment.id])
                    shifts[judgment.id] = (sum(abs(x - y) for x, y in zip(xs, ys, strict=True)) / len(xs) / scale
                                           if xs else None)
                cell.tables[(info["objective"], info["seed"])] = item_table(
                    item_values(original, matrix, result.suite.options),
                    item_values(transformed, matrix, result.suite.options), shifts)
            cells[record.name] = cell
        groups = {"seen (trained on)": EVAL_SEEN, **GROUPS}
        summary: dict = {"items": len(result.examples), "accuracy": accuracy, "meaningful": competent,
                         "invisible": sorted(n for n, c in cells.items() if not c.visible), "groups": {},
                         "transforms": {}}
        for group, names in groups.items():
            chosen = [cells[n] for n in names if n in cells and cells[n].visible]
            entry: dict = {"transforms": [n for n in names if n in cells and cells[n].visible]}
            for metric in METRICS:
                entry[metric] = {o: objective_metric(chosen, o, args.seeds, metric, resamples=args.resamples,
                                                     rng_seed=1).to_dict() for o in args.objectives}
                entry[metric + "_difference"] = {
                    f"{o} - standard": difference(chosen, o, "standard", args.seeds, metric,
                                                  resamples=args.resamples, rng_seed=2).to_dict()
                    for o in args.objectives if o != "standard" and "standard" in args.objectives}
            summary["groups"][group] = entry
        for name, cell in cells.items():
            summary["transforms"][name] = {
                "visible": cell.visible, "input_unchanged": cell.input_unchanged,
                **{m: {o: objective_metric([cell], o, args.seeds, m, resamples=200, rng_seed=3).to_dict()
                       for o in args.objectives} for m in METRICS}}
        out["test_sets"][label] = summary
    return out


def _fmt(estimate: dict, scale: float = 100.0, digits: int = 1) -> str:
    value, (low, high) = estimate["value"], estimate["ci"]
    if value is None:
        return "n/a"
    text = f"{scale * value:+.{digits}f} [{scale * low:+.{digits}f}, {scale * high:+.{digits}f}]"
    return text + (f" (seed sd {scale * estimate['seed_sd']:.{digits}f})" if estimate.get("seed_sd") is not None else "")


def render(args: argparse.Namespace, analysis: dict, trained: dict, extra: dict) -> str:
    lines = ["# reWordBench in miniature: consistency-regularised reward models", "",
             f"Base model {args.base_model}; RM-Bench split by item id ({extra['split']['train']} train / "
             f"{extra['split']['test']} test items); {args.pairs} training pairs (style pairs sampled "
             f"{args.pairs_per_item} per item); seeds {', '.join(map(str, args.seeds))}; alpha {args.alpha}; "
             f"max_length {args.max_length}; {args.epochs} epoch(s), batch {args.batch_size}, lr {args.learning_rate}. "
             f"Seen rewrites: {', '.join(SEEN)}" + (f", plus {extra['paraphrases']['kept']} SmolLM2 prompt "
                                                    f"paraphrases kept of {extra['paraphrases']['items']}"
                                                    if extra.get("paraphrases") else "") + ".",
             "Score shift: mean |r - r~| of changed responses in std of the model's original scores; flip: share of "
             "items whose value changed; drop: accuracy points. Means over visible transforms of a group and over "
             "seeds; 95% bootstrap CI over items; seed sd = spread of the per-seed values.", ""]
    for label, summary in analysis["test_sets"].items():
        lines += [f"## {label}: {summary['items']} items", ""]
        lines += ["| model | accuracy on originals % [95% CI] |", "|---|---|"]
        for name, acc in summary["accuracy"].items():
            lines.append(f"| {name} | {100 * acc['accuracy']:.1f} [{100 * acc['ci'][0]:.1f}, {100 * acc['ci'][1]:.1f}] |")
        lines += ["", "Robustness numbers below are **meaningful**: every model is above chance here." if
                  summary["meaningful"] else "**Not meaningful for robustness**: some model's accuracy CI includes "
                  "50% here, so its drops and flips measure noise; shown for completeness.", ""]
        if summary["invisible"]:
            lines += [f"Invisible to the model (input token ids unchanged), left out of every mean: "
                      f"{', '.join(summary['invisible'])}.", ""]
        for metric, title, scale, digits in (("shift", "score shift (std units)", 1.0, 3),
                                             ("flip", "flip rate %", 100.0, 1), ("drop", "accuracy drop, points", 100.0, 1)):
            names = list(args.objectives)
            diffs = [k for k in next(iter(summary["groups"].values()))[metric + "_difference"]]
            lines += [f"### {title}", "", "| group | " + " | ".join(names + diffs) + " |",
                      "|---|" + "---|" * (len(names) + len(diffs))]
            for group, entry in summary["groups"].items():
                cells = [_fmt(entry[metric][o], scale, digits) for o in names]
                cells += [_fmt(entry[metric + "_difference"][d], scale, digits) for d in diffs]
                lines.append(f"| {group} | " + " | ".join(cells) + " |")
            lines.append("")
    lines += ["Time: " + ", ".join(f"{k} {v:.0f} s" for k, v in extra["seconds"].items()) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "runs" / "rewordbench-experiment"))
    parser.add_argument("--base-model", default="embedded:minilm")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--objectives", nargs="+", choices=OBJECTIVES, default=list(OBJECTIVES))
    parser.add_argument("--pairs", type=int, default=300, help="training pairs (a seeded subset)")
    parser.add_argument("--pairs-per-item", type=int, default=3, help="style pairs sampled per training item")
    parser.add_argument("--test-fraction", type=float, default=0.25)
    parser.add_argument("--test-items", type=int, default=150, help="held-back RM-Bench items evaluated")
    parser.add_argument("--ood-per-subset", type=int, default=10, help="LLMBar / JudgeBench items per subset")
    parser.add_argument("--paraphrase-items", type=int, default=12, help="training prompts SmolLM2 paraphrases")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--alpha", type=float, default=10.0)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--test-sets", nargs="+", choices=[k.split()[0] for k in TEST_SETS],
                        default=[k.split()[0] for k in TEST_SETS], help="which test sets to evaluate")
    parser.add_argument("--transforms", nargs="*", choices=ALL_TRANSFORMS, default=None,
                        help="evaluate only these transforms (none given: originals only, e.g. a cost probe); "
                             "default all")
    parser.add_argument("--reuse", action="store_true", help="reuse trained folders of the same config")
    args = parser.parse_args()
    if not SHARED.is_dir() and "JUDGEKIT_DATA_MIRROR" not in os.environ:
        raise SystemExit(f"no local copy of RM-Bench/LLMBar/JudgeBench: set JUDGEKIT_DATA_MIRROR (looked at {SHARED})")

    import torch
    from transformers.utils import logging

    torch.set_num_threads(args.threads)
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    train, test, split = split_rm_bench(out, args.test_fraction)
    rewrites, paraphrase_info = paraphrases(train, out, args.paraphrase_items)
    seconds["paraphrases"] = time.perf_counter() - started
    mark = time.perf_counter()
    trained = train_all(args, out, train, rewrites)
    seconds["training"] = time.perf_counter() - mark
    mark = time.perf_counter()
    results = evaluate(args, out, test, trained)
    seconds["evaluation"] = time.perf_counter() - mark
    analysis = analyse(args, results, trained)
    seconds["total"] = time.perf_counter() - started
    extra = {"split": split, "paraphrases": paraphrase_info, "seconds": seconds}
    text = render(args, analysis, trained, extra)
    (out / "results.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps({"args": vars(args), "trained": trained, **extra, **analysis},
                                                 indent=2, default=lambda x: None if isinstance(x, float) and
                                                 math.isnan(x) else str(x)), encoding="utf-8")
    say(text)
    say(f"results: {out / 'results.md'}; reports: {out / 'eval'}/*/report.html")


if __name__ == "__main__":
    main()
