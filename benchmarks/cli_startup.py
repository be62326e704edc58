"""How fast `judgekit --help` and a rule-based `judgekit transform` start (DESIGN: well under a second).

Runs each command a few times in a fresh process and prints the median wall time; no peer to compare with,
the target is absolute: `--help` < 1 s, and neither imports torch or transformers.

    python benchmarks/cli_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "judgekit.cli.main", *args], check=True, capture_output=True)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    help_s = timed(["--help"], args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        runs = [["transform", "sample", "-t", "rot13", "--out", str(Path(tmp) / f"t{i}")] for i in range(args.repeat)]
        transform_s = statistics.median(timed(run, 1) for run in runs)
    print(f"judgekit --help: median {help_s:.2f} s (target < 1 s: {'met' if help_s < 1 else 'NOT met'})")
    print(f"judgekit transform sample -t rot13 (60 items, writes a folder): median {transform_s:.2f} s")


if __name__ == "__main__":
    main()
