"""LLM stages at scale: synth through a local server near the concurrency bound, and runs with faults.

Every run is a whole `judgekit` process (the CLI), timed from start to exit, with the peak memory of it
and its children sampled every 0.2 s; the server (tests/fake_openai.py) runs in its own process and
reports the most requests it ever had in flight (its own count). Medians of --runs runs, printed side by
side with their targets, and what else was running on the machine.

    python benchmarks/scale_llm.py throughput [--requests 100000] [--concurrency 64] [--latency 0.1]
    python benchmarks/scale_llm.py faults [--items 100] [--runs 3]

throughput: `synth` paraphrasing every chosen and rejected response of N/2 pairs (N requests, one attempt,
no similarity model), locally and on a local Ray instance with 2 workers sharing one request budget.
Bound: N x latency / concurrency. Target: >= 90% of the bound, flat memory (peak at N vs at N/10).

faults: the 100-item `synth` (paraphrase of chosen and rejected, similarity 0.7, 3 attempts: its
resamples) and a 100-item `eval` (rot13 + paraphrase variants, a pairwise API judge in both orders),
200 ms latency, concurrency 16, with 20% of attempts failing (429, 500, 30 s stalls against a 5 s client
timeout, malformed and empty bodies) vs none. Target: within 2x of the same run without faults.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_throughput import server_stats as stats  # noqa: E402  (the fake server in its own process)
from api_throughput import start_server as fake_server  # noqa: E402
from scale import measure, mib, others, pairs, write_pairs  # noqa: E402  (the transform benchmark's helpers)

DATA = ROOT.parent / "shared" / "data"


def start_server(*args: str) -> tuple[subprocess.Popen, str]:
    """The fake server answering with a rewrite of the text it was given."""
    return fake_server("--reply", "rewrite", *args)


def synth_command(recipe: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "judgekit.cli.main", "synth", str(recipe), "--out", str(out), "--no-cache", *extra]


def recipe_file(work: Path, name: str, source: Path, url: str, concurrency: int, transforms: list, **extra) -> Path:
    import yaml

    spec = {"name": name, "data": {"sources": [str(source)]},
            "backend": {"backend": "openai", "model": "fake", "base_url": url, "concurrency": concurrency,
                        "timeout": 5.0, "max_backoff": 2.0}, "transforms": transforms, **extra}
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


# -- throughput ------------------------------------------------------------------------------------------
def throughput(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="jk-llm-"))
    lines = pairs(DATA)
    print(f"{os.cpu_count()} CPUs; load {os.getloadavg()}; busy before: {others()}")
    env = {**os.environ, "JUDGEKIT_CACHE": str(work / "cache"), "RAY_AUTH_MODE": "disabled"}
    transforms = [{"name": "paraphrase", "args": {"min_similarity": 0, "max_attempts": 1, "max_length_ratio": 3}}]
    bound = args.requests * args.latency / args.concurrency
    print(f"\nsynth: paraphrase of {args.requests:,} texts ({args.requests // 2:,} pairs), concurrency "
          f"{args.concurrency}, {args.latency * 1000:.0f} ms per request: bound {bound:.0f} s")
    print(f"{'run':<34} {'requests':>9} {'wall s':>8} {'of bound':>9} {'peak PSS':>10} {'server max in flight':>21}")
    for label, n, extra in (("local (threads)", args.requests // 10, ()), ("local (threads)", args.requests, ()),
                            ("ray, 2 workers, one budget", args.requests, ("--engine", "ray", "--set", "workers=2"))):
        if "ray" in label and args.skip_ray:
            continue
        server, url = start_server("--latency", str(args.latency))
        try:
            source = write_pairs(work / f"items-{n}.jsonl", n // 2, lines)
            recipe = recipe_file(work, "tp", source, url, args.concurrency, transforms)
            out = work / "out"
            shutil.rmtree(out, ignore_errors=True)
            result = measure(synth_command(recipe, out, *extra), env)
            seen = stats(url)
        finally:
            server.terminate()
            server.wait()
        its_bound = n * args.latency / args.concurrency
        print(f"{label:<34} {seen['requests']:>9,} {result['seconds']:>8.1f} {its_bound / result['seconds']:>8.0%} "
              f"{mib(result['total']):>10} {seen['max_in_flight']:>21}", flush=True)
    print(f"\ntarget: >= 90% of the bound with flat memory; load after {os.getloadavg()}; busy after: {others()}")
    shutil.rmtree(work, ignore_errors=True)


# -- faults ----------------------------------------------------------------------------------------------
def faults(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="jk-faults-"))
    lines = pairs(DATA)
    source = write_pairs(work / "items.jsonl", args.items, lines)
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    print(f"{os.cpu_count()} CPUs; load {os.getloadavg()}; busy before: {others()}")
    synth_transforms = [{"name": "paraphrase", "args": {"max_attempts": 3, "min_similarity": 0.7}}]
    rows = []
    for kind in ("synth", "eval"):
        results = {}
        for rate in (0.0, 0.2):
            times, sent = [], []
            for run in range(args.runs):
                server, url = start_server("--latency", "0.2", "--fault-rate", str(rate), "--hang-seconds", "30",
                                           "--retry-after", "0.2", "--seed", str(run))
                env["JUDGEKIT_CACHE"] = str(work / f"cache-{kind}-{rate}-{run}")
                out = work / "out"
                shutil.rmtree(out, ignore_errors=True)
                try:
                    if kind == "synth":
                        recipe = recipe_file(work, "f", source, url, 16, synth_transforms)
                        command = synth_command(recipe, out)
                    else:
                        command = eval_command(work, source, url, out)
                    result = measure(command, env)
                    seen = stats(url)
                finally:
                    server.terminate()
                    server.wait()
                times.append(result["seconds"])
                sent.append(seen["completed"])
            results[rate] = (statistics.median(times), statistics.median(sent))
        clean, faulty = results[0.0], results[0.2]
        bound = clean[1] * 0.2 / 16
        rows.append((kind, clean, faulty, bound))
    print(f"\n{args.items} items, 200 ms latency, concurrency 16, median of {args.runs} run(s), whole process:")
    print(f"{'run':<8} {'no faults s':>12} {'20% faults s':>13} {'ratio':>7} {'target':>8} {'bound s':>8} {'answered':>9}")
    for kind, clean, faulty, bound in rows:
        ratio = faulty[0] / clean[0]
        print(f"{kind:<8} {clean[0]:>12.1f} {faulty[0]:>13.1f} {ratio:>6.2f}x {'<= 2x':>8} {bound:>8.1f} "
              f"{int(clean[1]):>9,}  ({'met' if ratio <= 2 else 'NOT met'})")
    print(f"load after {os.getloadavg()}; busy after: {others()}")
    shutil.rmtree(work, ignore_errors=True)


def eval_command(work: Path, source: Path, url: str, out: Path) -> list[str]:
    import yaml

    judge = {"kind": "generative", "name": "api-pairwise", "mode": "pairwise",
             "backend": {"backend": "openai", "model": "fake", "base_url": url, "concurrency": 16, "timeout": 5.0,
                         "max_backoff": 2.0}}
    suite = {"name": "faults", "data": {"sources": [str(source)]},
             "backend": judge["backend"], "judges": [judge],
             "transforms": ["rot13", {"name": "paraphrase", "args": {"max_attempts": 3, "min_similarity": 0.7}}]}
    path = work / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return [sys.executable, "-m", "judgekit.cli.main", "eval", str(path), "--out", str(out)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="which", required=True)
    tp = sub.add_parser("throughput")
    tp.add_argument("--requests", type=int, default=100_000)
    tp.add_argument("--concurrency", type=int, default=64)
    tp.add_argument("--latency", type=float, default=0.1)
    tp.add_argument("--skip-ray", action="store_true")
    fa = sub.add_parser("faults")
    fa.add_argument("--items", type=int, default=100)
    fa.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    throughput(args) if args.which == "throughput" else faults(args)


if __name__ == "__main__":
    main()
