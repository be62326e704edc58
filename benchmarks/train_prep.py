"""Training data preparation at scale: the streamed preparation `judgekit train` runs vs the in-memory one it
replaced (build_pairs + collect_variants + attach_variants over lists), on the same real items.

The input is the synthetic file of benchmarks/scale.py (real pairs from ../shared/data, cycled, ids suffixed);
each preparation runs in its own process (regularized objective, rewrites from add-quotes and twitter-url,
one per pair) and reports its wall time and peak RSS.

    python benchmarks/train_prep.py [--sizes 30000,300000] [--work /tmp/judgekit-scale]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import DEFAULT_DATA, build, pairs  # noqa: E402

_RUN = """
import resource, sys
from collections import Counter
from pathlib import Path
from judgekit.data.pairs import PairReport, attach_variants, build_pairs
from judgekit.data.selection import select_examples
from judgekit.train.config import load_config
from judgekit.train.prepared import prepare_pairs
from judgekit.train.variants import collect_variants

mode, source, work = sys.argv[1:4]
config = load_config({"base_model": "unused", "output": {"dir": work + "/out"}, "data": {"sources": [source]},
                      "objective": "regularized", "variants": {"transforms": ["add-quotes", "twitter-url"]}})
report = PairReport()
if mode == "streamed":
    prepared, _, _ = prepare_pairs(config, report, Path(work) / "prepared")
    count = len(prepared)
else:
    examples = list(select_examples(config.data))
    built = build_pairs(examples, config.pairs, seed=config.seed, report=report)
    sets = collect_variants(examples, config.variants, report.left_out)
    count = len(attach_variants(built, sets, seed=0, report=report))
print(count, report.pairs_with_variant, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(mode: str, source: Path, work: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _RUN, mode, str(source), str(work)], cwd=ROOT, capture_output=True,
                          text=True)
    if done.returncode != 0:
        sys.exit(done.stderr)
    count, with_variant, peak = (int(x) for x in done.stdout.split())
    return {"pairs": count, "with_variant": with_variant, "seconds": time.perf_counter() - started,
            "peak_mib": peak / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path("/tmp/judgekit-scale"))
    parser.add_argument("--sizes", default="30000,300000")
    parser.add_argument("--modes", default="in-memory,streamed")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    lines = pairs(args.data)
    print(f"{'items':>9} {'mode':>10} {'pairs':>9} {'seconds':>8} {'peak RSS':>10}")
    results: dict[tuple[str, int], dict] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        source = build(args.work, size, lines)
        for mode in args.modes.split(","):
            result = results[mode, size] = run(mode, source, args.work / f"train-prep-{mode}-{size}")
            print(f"{size:>9} {mode:>10} {result['pairs']:>9} {result['seconds']:>8.1f} {result['peak_mib']:>7.0f} MiB",
                  flush=True)
            subprocess.run(["rm", "-rf", str(args.work / f"train-prep-{mode}-{size}")], check=True)
    sizes = sorted({s for _, s in results})
    for mode in args.modes.split(","):
        if len(sizes) > 1 and (mode, sizes[0]) in results and (mode, sizes[-1]) in results:
            ratio = results[mode, sizes[-1]]["peak_mib"] / results[mode, sizes[0]]["peak_mib"]
            print(f"{mode}: peak RSS at {sizes[-1]:,} items = {ratio:.2f}x that at {sizes[0]:,}")


if __name__ == "__main__":
    main()
