"""judgekit's rule-based noise vs nlpaug, on every response in ../shared/data, in one process.

For each operation both libraries perturb the same texts at the same rate (one character in ~10% of the
words; 10% of the words deleted), timed as the median of --runs runs; the script prints the throughput of
each and the ratio. Then it times the whole rule-based catalog (`judgekit transform --transforms all`)
over every dataset in ../shared/data with --workers 2 (and 1, for reference), writing the sets and manifests.

    python benchmarks/transforms_vs_nlpaug.py [--data ../shared/data] [--runs 5] [--rate 0.1] [--only char-swap,...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"

# judgekit name -> (nlpaug augmenter kind, action)
PAIRS = {
    "char-swap": ("char", "swap"),
    "char-insert": ("char", "insert"),
    "char-sub": ("char", "substitute"),
    "char-delete": ("char", "delete"),
    "word-delete": ("word", "delete"),
}


def dataset_files(data: Path) -> list[Path]:
    files = sorted(p for p in data.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
    if not files:
        sys.exit(f"no .json/.jsonl files under {data} (pass --data)")
    return files


def load_all(data: Path):
    from judgekit.data import read_examples

    datasets = {}
    for path in dataset_files(data):
        datasets[path] = list(read_examples(str(path)))
    return datasets


def nlpaug_augmenter(kind: str, action: str, rate: float):
    import nlpaug.augmenter.char as nac
    import nlpaug.augmenter.word as naw

    if kind == "char":
        # one character in `rate` of the words (3+ characters), no cap on the number of words
        return nac.RandomCharAug(action=action, aug_word_p=rate, aug_word_min=1, aug_word_max=10**9,
                                 aug_char_min=1, aug_char_max=1, aug_char_p=1.0, min_char=3)
    return naw.RandomWordAug(action=action, aug_p=rate, aug_min=1, aug_max=10**9)


def time_nlpaug(augmenter, texts: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, texts nlpaug raised on)."""
    errors = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        try:
            augmenter.augment(text)
        except Exception:  # counted and reported, not hidden
            errors += 1
    return time.perf_counter() - wall, time.process_time() - cpu, errors


def time_judgekit(transform, texts: list[str]) -> tuple[float, float, int]:
    from judgekit.transforms.base import item_rng

    name = transform.display_name()
    wall, cpu = time.perf_counter(), time.process_time()
    for index, text in enumerate(texts):
        transform.perturb(text, item_rng(0, name, str(index)))
    return time.perf_counter() - wall, time.process_time() - cpu, 0


def median_run(fn, runs: int) -> tuple[float, float, int]:
    """Median wall time and median CPU time over ``runs`` runs (the machine may be shared: CPU time is
    what the code itself costs, wall time includes waiting for a core)."""
    results = [fn() for _ in range(runs)]
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results),
            max(r[2] for r in results))


def compare(texts: list[str], rate: float, runs: int, only: list[str]) -> list[float]:
    from judgekit.transforms.engine import build_transform

    chars = sum(len(t) for t in texts)
    print(f"\n{len(texts)} responses, {chars / 1e6:.2f} M characters; rate {rate}; median of {runs} runs\n")
    print(f"{'operation':<12} {'judgekit resp/s':>16} {'nlpaug resp/s':>14} {'judgekit MB/s':>14} "
          f"{'nlpaug MB/s':>12} {'ratio (wall)':>13} {'ratio (CPU)':>12}  nlpaug errors")
    ratios = []
    for name, (kind, action) in PAIRS.items():
        if only and name not in only:
            continue
        transform = build_transform({"name": name, "args": {"rate": rate}})
        augmenter = nlpaug_augmenter(kind, action, rate)
        ours_wall, ours_cpu, _ = median_run(lambda t=transform: time_judgekit(t, texts), runs)
        theirs_wall, theirs_cpu, errors = median_run(lambda a=augmenter: time_nlpaug(a, texts), runs)
        ratio, cpu_ratio = theirs_wall / ours_wall, theirs_cpu / ours_cpu
        ratios.append(ratio)
        print(f"{name:<12} {len(texts) / ours_wall:>16,.0f} {len(texts) / theirs_wall:>14,.0f} "
              f"{chars / ours_wall / 1e6:>14.2f} {chars / theirs_wall / 1e6:>12.2f} {ratio:>12.1f}x "
              f"{cpu_ratio:>11.1f}x  {errors}", flush=True)
    print(f"\nratio (nlpaug wall time / judgekit wall time): min {min(ratios):.1f}x, "
          f"median {statistics.median(ratios):.1f}x (target >= 10x: {'met' if min(ratios) >= 10 else 'NOT met'})")
    return ratios


def time_catalog(datasets, workers: int) -> float:
    from judgekit.provenance import input_record
    from judgekit.transforms.engine import run_transforms, select_transforms
    from judgekit.transforms.manifest import write_run

    transforms = select_transforms("all")
    before = os.times()
    start = time.perf_counter()
    counts = {"transformed": 0, "not_applicable": 0, "failed": 0}
    with tempfile.TemporaryDirectory(prefix="judgekit-bench-") as out:
        for path, examples in datasets.items():
            outcomes = run_transforms(examples, transforms, seed=0, workers=workers)
            folder = Path(out) / path.stem
            folder.mkdir()
            manifest = write_run(folder, examples, outcomes, inputs=[input_record(str(path), path=str(path))], seed=0)
            for entry in manifest.transforms:
                for key in counts:
                    counts[key] += getattr(entry, key)
    seconds = time.perf_counter() - start
    after = os.times()
    parent = after.user - before.user + after.system - before.system
    children = after.children_user - before.children_user + after.children_system - before.children_system
    items = sum(len(e) for e in datasets.values())
    print(f"  workers={workers}: {seconds:.2f} s for {len(transforms)} transforms x {items} items "
          f"({len(transforms) * items / seconds:,.0f} item-transforms/s; transformed {counts['transformed']}, "
          f"n/a {counts['not_applicable']}, failed {counts['failed']}; CPU: main process {parent:.1f} s, "
          f"workers {children:.1f} s)", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(PAIRS)}")
    parser.add_argument("--no-catalog", action="store_true", help="skip timing the whole catalog")
    args = parser.parse_args()
    only = [name for name in args.only.split(",") if name]
    unknown = set(only) - set(PAIRS)
    if unknown:
        parser.error(f"unknown operation(s) {sorted(unknown)}: choose from {', '.join(PAIRS)}")
    warnings.filterwarnings("ignore")

    datasets = load_all(args.data)
    texts = [t for examples in datasets.values() for e in examples for t in (*e.chosen, *e.rejected)]
    print(f"data: {args.data} ({len(datasets)} files, {sum(len(e) for e in datasets.values())} items)")
    compare(texts, args.rate, args.runs, only)
    if args.no_catalog:
        return
    print("\nwhole rule-based catalog (judgekit transform --transforms all), every dataset, sets + manifests written:")
    time_catalog(datasets, workers=2)
    time_catalog(datasets, workers=1)


if __name__ == "__main__":
    main()
