"""judgekit transform at scale: 100k and 1M items in flat memory, vs nlpaug, and Ray vs local.

A synthetic JSONL is built under --work (not the repository) from ../shared/data: every chosen x rejected
pair of every item, cycled, ids ``folder/file/id#i-j@copy``. Each run is a whole process (the CLI), timed from start
to exit, with its memory sampled every 0.2 s: peak RSS of the main process and peak PSS summed over the
process and all its descendants (workers; for --engine ray, the Ray instance it starts). Medians of
--runs runs are printed side by side with each target, and the load of the machine around them.

    python benchmarks/scale.py [--sizes 100000,1000000] [--runs 1] [--nlpaug-items 10000] [--skip ray,nlpaug]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's judgekit, as the CLI runs below (cwd ROOT) import it
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SELECTED = "char-swap,add-quotes,rot13"
GIB = 1 << 30


# -- the input ---------------------------------------------------------------------------------------------
def pairs(data: Path) -> list[str]:
    from judgekit.data import read_examples

    lines = []
    for path in sorted(p for p in data.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file()):
        for example in read_examples(str(path)):
            for i, chosen in enumerate(example.chosen):
                for j, rejected in enumerate(example.rejected):
                    pair = example.replace(id=f"{path.parent.name}/{path.stem}/{example.id}#{i}-{j}",
                                           chosen=(chosen,), rejected=(rejected,))
                    lines.append(json.dumps(pair.to_dict(), ensure_ascii=False))
    if not lines:
        sys.exit(f"no .json/.jsonl data under {data} (pass --data)")
    return lines


def build(work: Path, items: int, lines: list[str]) -> Path:
    path = work / f"pairs-{items}.jsonl"
    if path.exists():
        with open(path, "rb") as handle:
            if sum(1 for _ in handle) == items:
                return path
    return write_pairs(path, items, lines)


def write_pairs(path: Path, items: int, lines: list[str]) -> Path:
    """``items`` records cycled from ``lines``, ids suffixed with the cycle (``id@k``) so they stay unique."""
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(items):
            record = json.loads(lines[n % len(lines)])
            record["id"] = f"{record['id']}@{n // len(lines)}"
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


# -- one whole-process run, with its memory ---------------------------------------------------------------
def measure(command: list[str], env: dict[str, str] | None = None) -> dict:
    import psutil

    # As an ordinary install runs: compiled modules cached (some sandboxes set PYTHONDONTWRITEBYTECODE, which
    # makes every process compile judgekit's sources again; site-packages are compiled at install either way).
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    main = psutil.Process(process.pid)
    peak_rss = peak_total = 0
    loads = []
    while process.poll() is None:
        try:
            members = [main, *main.children(recursive=True)]
            peak_rss = max(peak_rss, main.memory_info().rss)
            total = 0
            for member in members:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    total += member.memory_full_info().pss
            peak_total = max(peak_total, total)
        except psutil.NoSuchProcess:
            pass
        loads.append(os.getloadavg()[0])
        with contextlib.suppress(subprocess.TimeoutExpired):  # a sample every 0.2 s; the end seen at once
            process.wait(timeout=0.2)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr[-3000:]}")
    return {"seconds": seconds, "rss": peak_rss, "total": peak_total, "load": statistics.mean(loads or [0.0]),
            "stdout": stdout}


def transform(source: Path, out: Path, selected: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "judgekit.cli.main", "transform", str(source), "-t", selected, "--out", str(out),
            *extra]


def median_run(command_for, runs: int, out: Path, env=None) -> dict:
    results = []
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        results.append(measure(command_for(), env))
        shutil.rmtree(out, ignore_errors=True)
    return {key: statistics.median(r[key] for r in results) for key in ("seconds", "rss", "total", "load")}


def mib(n: float) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


def row(name: str, items: int, result: dict) -> None:
    print(f"{name:<38} {items:>9,} {result['seconds']:>9.1f} {items / result['seconds']:>10,.0f} "
          f"{mib(result['rss']):>12} {mib(result['total']):>12} {result['load']:>6.1f}", flush=True)


def header() -> None:
    print(f"{'run':<38} {'items':>9} {'wall s':>9} {'items/s':>10} {'main RSS':>12} {'all PSS':>12} {'load':>6}")


# -- the nlpaug peer: the same file, char swap on every response, JSONL out ---------------------------------
def nlpaug_peer(source: str, target: str) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    import nlpaug.augmenter.char as nac

    # the parameters of benchmarks/transforms_vs_nlpaug.py: one character in 10% of the words
    augmenter = nac.RandomCharAug(action="swap", aug_word_p=0.1, aug_word_min=1, aug_word_max=10**9,
                                  aug_char_min=1, aug_char_max=1, aug_char_p=1.0, min_char=3)

    def swap(text: str) -> str:
        try:
            out = augmenter.augment(text)
        except Exception:  # nlpaug raises on some texts: kept unchanged, as a user's loop would
            return text
        return out[0] if isinstance(out, list) else out

    with open(source, encoding="utf-8") as reader, open(target, "w", encoding="utf-8") as writer:
        for line in reader:
            record = json.loads(line)
            record["chosen"] = [swap(t) for t in record["chosen"]]
            record["rejected"] = [swap(t) for t in record["rejected"]]
            writer.write(json.dumps(record, ensure_ascii=False) + "\n")


# -- duplicate ids: the compact set vs a Python set ---------------------------------------------------------
def id_memory(items: int) -> None:
    """RSS added by remembering ``items`` ids: the compact set, and a Python set of the id strings (what
    the in-memory reader keeps)."""
    import gc

    import psutil

    from judgekit.data.idset import IdSet

    process = psutil.Process()

    def ids(start: int, stop: int):
        return (f"dataset/file/item-{n:09d}#0-0@{n % 7}" for n in range(start, stop))

    gc.collect()
    before = process.memory_info().rss
    id_set = IdSet()
    for item_id in ids(0, items):
        id_set.add(item_id)
    compact = process.memory_info().rss - before
    gc.collect()
    before = process.memory_info().rss
    plain = set(ids(0, items))
    python = process.memory_info().rss - before
    print(f"\nduplicate ids at {items:,}: IdSet {mib(id_set.nbytes)} of arrays (RSS +{mib(compact)}); "
          f"a Python set of the id strings RSS +{mib(python)} ({len(plain):,} ids)")


def others() -> str:
    import psutil

    mine = {os.getpid()}
    busy = []
    for process in psutil.process_iter(["pid", "name", "cpu_percent"]):
        if process.pid not in mine:
            busy.append(process)
    time.sleep(1)
    rows = []
    for process in busy:
        try:
            rows.append((process.cpu_percent(None), process.name()))
        except Exception:
            continue
    rows = sorted(rows, reverse=True)[:5]
    return ", ".join(f"{name} {cpu:.0f}%" for cpu, name in rows if cpu > 5) or "nothing above 5% CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path("/tmp/judgekit-scale"))
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nlpaug-items", type=int, default=10000)
    parser.add_argument("--skip", default="", help="comma-separated: local, ray, nlpaug, pool, ids")
    parser.add_argument("--nlpaug-peer", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.nlpaug_peer:
        nlpaug_peer(*args.nlpaug_peer)
        return
    skip = set(filter(None, args.skip.split(",")))
    sizes = [int(s) for s in args.sizes.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)
    lines = pairs(args.data)
    print(f"{len(lines)} pairs from {args.data}, cycled; {os.cpu_count()} CPUs; load {os.getloadavg()}; "
          f"busy before: {others()}")
    files = {n: build(args.work, n, lines) for n in [*sizes, args.nlpaug_items]}
    for path in files.values():
        print(f"  {path} ({path.stat().st_size / 1e9:.2f} GB)")
    out = args.work / "out"
    workers = ["--workers", str(args.workers)]
    env = dict(os.environ, RAY_AUTH_MODE=os.environ.get("RAY_AUTH_MODE", "disabled"))
    results: dict[str, dict] = {}
    print(f"\ntransform -t {SELECTED}, median of {args.runs} run(s), whole process:")
    header()
    for n in sizes:
        if "local" not in skip:
            results[f"local-{n}"] = median_run(lambda n=n: transform(files[n], out, SELECTED, *workers), args.runs, out)
            row(f"local --workers {args.workers}", n, results[f"local-{n}"])
        if "ray" not in skip and n == max(sizes):
            results[f"ray-{n}"] = median_run(lambda n=n: transform(files[n], out, SELECTED, *workers, "--engine", "ray"),
                                             args.runs, out, env)
            row(f"ray (local instance) --workers {args.workers}", n, results[f"ray-{n}"])
    small, large = min(sizes), max(sizes)
    if "local" not in skip and small != large:
        ratio = results[f"local-{large}"]["total"] / results[f"local-{small}"]["total"]
        rss_ratio = results[f"local-{large}"]["rss"] / results[f"local-{small}"]["rss"]
        print(f"\nmemory {large:,} vs {small:,}: all processes {ratio:.2f}x, main process {rss_ratio:.2f}x "
              f"(target <= 1.2x: {'met' if ratio <= 1.2 else 'NOT met'}); peak at {large:,}: "
              f"{mib(results[f'local-{large}']['total'])} (target < 1 GiB: "
              f"{'met' if results[f'local-{large}']['total'] < GIB else 'NOT met'})")
    if "ray" not in skip and "local" not in skip:
        overhead = results[f"ray-{large}"]["seconds"] / results[f"local-{large}"]["seconds"]
        print(f"Ray vs local at {large:,}: {overhead:.2f}x the wall time (target <= 1.5x: "
              f"{'met' if overhead <= 1.5 else 'NOT met'})")
    if "nlpaug" not in skip:
        n = args.nlpaug_items
        print(f"\nchar swap on every response of the same {n:,}-item file, both writing JSONL, whole process:")
        header()
        ours = median_run(lambda: transform(files[n], out, "char-swap", *workers), args.runs, out)
        row(f"judgekit -t char-swap --workers {args.workers}", n, ours)
        single = median_run(lambda: transform(files[n], out, "char-swap"), args.runs, out)
        row("judgekit -t char-swap --workers 1", n, single)
        target = args.work / "nlpaug-out.jsonl"
        peer = median_run(lambda: [sys.executable, __file__, "--nlpaug-peer", str(files[n]), str(target)], args.runs, out)
        target.unlink(missing_ok=True)
        row("nlpaug RandomCharAug(swap), one process", n, peer)
        print(f"nlpaug / judgekit wall time: {peer['seconds'] / ours['seconds']:.1f}x with {args.workers} workers, "
              f"{peer['seconds'] / single['seconds']:.1f}x with 1 (target >= 10x: "
              f"{'met' if peer['seconds'] / ours['seconds'] >= 10 else 'NOT met'})")
    if "pool" not in skip:
        n = small
        result = measure(transform(files[n], out, "ignore-above", *workers, "--chunk-size", "1000"))
        first = next((line for line in result["stdout"].splitlines() if line.startswith("first pass")), "")
        print(f"\nignore-above at {n:,} (borrows prompts: a first pass builds the compact pool): "
              f"{result['seconds']:.1f} s in all, peak {mib(result['total'])} all processes; {first}")
        shutil.rmtree(out, ignore_errors=True)
    if "ids" not in skip:
        id_memory(large)
    print(f"\nload after: {os.getloadavg()}; busy after: {others()}")


if __name__ == "__main__":
    main()
