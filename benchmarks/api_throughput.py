"""Throughput of judgekit's openai backend vs a 10-thread pool, against a local server with fixed latency.

The peer is RewardBench's generative runner approach (rewardbench/generative.py + scripts/run_generative.py):
a `ThreadPoolExecutor(max_workers=10)` whose tasks each build an `openai.OpenAI()` client and make one
blocking `chat.completions.create` call. Both sides hit the same server (tests/fake_openai.py, run in its
own process, 200 ms per request) with the same requests. Bound at concurrency 32: 32 / 0.2 s = 160 req/s.

    python benchmarks/api_throughput.py [--requests 800] [--runs 3] [--latency 0.2]

Prints req/s per run, medians, and the ratios: judgekit vs the 160 req/s bound (target >= 0.9), judgekit vs
the thread pool (target >= 5x), and the request count of a cached rerun (target 0).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def start_server(*args: str) -> tuple[subprocess.Popen, str]:
    """tests/fake_openai.py in its own process (``args``: its command-line options); (process, base URL)."""
    process = subprocess.Popen([sys.executable, "-m", "tests.fake_openai", *args], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if not line.startswith("READY "):
        raise RuntimeError(f"server did not start: {line!r}")
    return process, line.split(" ", 1)[1]


def server_stats(base_url: str) -> dict:
    """The fake server's own counts (requests, completed, max_in_flight, ...)."""
    with urllib.request.urlopen(f"{base_url}/_stats") as response:
        return json.loads(response.read())


def server_requests(base_url: str) -> int:
    return server_stats(base_url)["requests"]


def messages(run: str, n: int) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": f"{run} request {i}: say something"}] for i in range(n)]


def judgekit_run(base_url: str, convs, concurrency: int, *, cache_path: str | None = None) -> float:
    from judgekit.backends import ChatRequest, load_backend

    spec = {"backend": "openai", "model": "fake", "base_url": base_url, "concurrency": concurrency,
            "cache": cache_path is not None}
    if cache_path:
        spec["cache_path"] = cache_path
    backend = load_backend(spec)
    requests = [ChatRequest.from_messages(c, max_tokens=32) for c in convs]
    start = time.perf_counter()
    out = backend.generate(requests)
    elapsed = time.perf_counter() - start
    failed = sum(not g.ok for g in out)
    if failed:
        raise RuntimeError(f"judgekit: {failed} requests failed")
    return len(convs) / elapsed


def thread_pool_run(base_url: str, convs, workers: int = 10, *, shared_client: bool = False) -> float:
    import openai

    shared = openai.OpenAI(base_url=base_url, api_key="not-needed") if shared_client else None

    def one(conv):  # as rewardbench's chat_completion_openai: a client per call, one blocking request
        client = shared or openai.OpenAI(base_url=base_url, api_key="not-needed")
        response = client.chat.completions.create(model="fake", messages=conv, n=1, temperature=0, max_tokens=32)
        return response.choices[0].message.content

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outputs = list(pool.map(one, convs))
    elapsed = time.perf_counter() - start
    assert all(outputs)
    return len(convs) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1600)
    parser.add_argument("--pool-requests", type=int, default=250)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--extra-concurrency", type=int, nargs="*", default=[64, 128],
                        help="also measure judgekit at these concurrencies")
    args = parser.parse_args()
    server, base_url = start_server("--latency", str(args.latency))
    try:
        bound = args.concurrency / args.latency
        ours, peer, peer_shared, extra = [], [], [], {c: [] for c in args.extra_concurrency}
        judgekit_run(base_url, messages("warmup", 64), args.concurrency)
        for run in range(args.runs):
            ours.append(judgekit_run(base_url, messages(f"jk{run}", args.requests), args.concurrency))
            peer.append(thread_pool_run(base_url, messages(f"tp{run}", args.pool_requests)))
            peer_shared.append(thread_pool_run(base_url, messages(f"ts{run}", args.pool_requests), shared_client=True))
            for c in args.extra_concurrency:
                extra[c].append(judgekit_run(base_url, messages(f"jk{c}-{run}", args.requests * c // 32), c))
            print(f"run {run + 1}: judgekit@{args.concurrency} {ours[-1]:.1f} req/s | thread pool x10 {peer[-1]:.1f} req/s"
                  f" | thread pool x10, one shared client {peer_shared[-1]:.1f} req/s"
                  + "".join(f" | judgekit@{c} {extra[c][-1]:.1f} req/s" for c in extra), flush=True)
        jk, tp = statistics.median(ours), statistics.median(peer)
        print(f"\nlatency {args.latency * 1000:.0f} ms, median of {args.runs} runs")
        print(f"judgekit @ concurrency {args.concurrency}: {jk:.1f} req/s = {jk / bound:.2f} of the {bound:.0f} req/s bound "
              f"(target >= 0.90)")
        print(f"thread pool of 10 (rewardbench approach): {tp:.1f} req/s (its own bound: {10 / args.latency:.0f} req/s)")
        print(f"ratio judgekit@{args.concurrency} / thread pool: {jk / tp:.2f}x (target >= 5x; the arithmetic ceiling at "
              f"concurrency {args.concurrency} is {bound / (10 / args.latency):.1f}x)")
        ts = statistics.median(peer_shared)
        print(f"a kinder peer, thread pool of 10 sharing one client: {ts:.1f} req/s; judgekit@{args.concurrency} / it: "
              f"{jk / ts:.2f}x")
        for c, values in extra.items():
            value = statistics.median(values)
            print(f"ratio judgekit@{c} / thread pool: {value / tp:.2f}x ({value:.1f} req/s, bound {c / args.latency:.0f})")
        with tempfile.TemporaryDirectory() as tmp:
            cache = os.path.join(tmp, "bench.sqlite")
            convs = messages("cached", 200)
            judgekit_run(base_url, convs, args.concurrency, cache_path=cache)
            before = server_requests(base_url)
            judgekit_run(base_url, convs, args.concurrency, cache_path=cache)
            print(f"cached rerun of 200 requests sent {server_requests(base_url) - before} requests (target 0)")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
