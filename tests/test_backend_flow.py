"""Requests one at a time (`Backend.submit`), several endpoints, and processes that share a cache: each
request is sent once, even by two processes at the same time, and a dead process's claims are taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import wait

import pytest

from judgekit.backends import ChatRequest, load_backend
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAI

pytestmark = pytest.mark.api

SCRIPT = """
import json, sys
from judgekit.backends import ChatRequest, load_backend
from judgekit.backends.cache import CachedBackend, ResponseCache
url, cache, n, lease = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
inner = load_backend({"backend": "openai", "model": "fake", "base_url": url, "cache": False, "concurrency": 16})
backend = CachedBackend(inner, ResponseCache(cache), lease=lease)
out = backend.generate([ChatRequest.from_messages(f"q{i}", max_tokens=8) for i in range(n)])
print(json.dumps({"ok": sum(g.ok for g in out), "hits": backend.usage.cache_hits, "sent": backend.usage.sent,
                  "waited": backend._flow.waited}))
backend.close()
"""


def _run(url: str, cache: str, n: int, lease: float = 30.0) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", SCRIPT, url, cache, str(n), str(lease)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_two_processes_sharing_a_cache_send_each_request_once(tmp_path):
    """The report: two processes sharing one cache sent 778 requests for 504 unique ones."""
    with FakeOpenAI(latency=0.05) as server:
        runs = [_run(server.base_url, str(tmp_path / "shared.sqlite"), 300) for _ in range(2)]
        results = []
        for run in runs:
            stdout, stderr = run.communicate(timeout=300)
            assert run.returncode == 0, stderr[-2000:]
            results.append(json.loads(stdout))
        keys = [entry.key for entry in server.log]
    assert len(keys) == len(set(keys)) == 300  # every request sent once, by one process or the other
    assert all(r["ok"] == 300 for r in results)
    assert sum(r["sent"] for r in results) == 300 and sum(r["hits"] for r in results) == 300
    assert sum(r["waited"] for r in results) > 0  # they did want the same requests at the same time


def test_a_killed_processs_claims_run_out_and_are_taken_over(tmp_path):
    cache = str(tmp_path / "shared.sqlite")
    with FakeOpenAI(latency=0.3) as server:
        first = _run(server.base_url, cache, 64, lease=1.0)
        deadline = time.monotonic() + 60
        while len(server.log) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(first.pid, signal.SIGKILL)  # kill -9 with requests claimed and in flight
        first.wait()
        second = _run(server.base_url, cache, 64, lease=1.0)
        stdout, stderr = second.communicate(timeout=300)
        assert second.returncode == 0, stderr[-2000:]
        counts = {}
        for entry in server.log:
            counts[entry.key] = counts.get(entry.key, 0) + 1
    assert json.loads(stdout)["ok"] == 64
    assert len(counts) == 64 and max(counts.values()) <= 2  # only what the dead process had in flight is sent twice


def test_submitted_requests_come_back_as_each_completes_and_identical_ones_are_sent_once(tmp_path):
    slow = "slow one"

    def reply(body):
        if slow in body["messages"][-1]["content"]:
            time.sleep(1.0)
        return "ok " + body["messages"][-1]["content"]

    with FakeOpenAI(reply=reply) as server:
        backend = load_backend({"backend": "openai", "model": "fake", "base_url": server.base_url,
                                "cache_path": str(tmp_path / "c.sqlite")})
        stalled = backend.submit(ChatRequest.from_messages(slow))
        twins = [backend.submit(ChatRequest.from_messages("twin")) for _ in range(3)]
        quick = [backend.submit(ChatRequest.from_messages(f"q{i}")) for i in range(20)]
        wait(quick + twins, timeout=30)
        assert not stalled.done()  # the stalled request holds itself up, nobody else
        assert [f.result().text for f in twins] == ["ok twin"] * 3
        assert stalled.result(timeout=30).text == f"ok {slow}"
        backend.close()
    assert len(server.log) == 22  # the three twins went out once


def test_requests_are_spread_over_several_endpoints():
    with FakeOpenAI(latency=0.05) as one, FakeOpenAI(latency=0.05) as two:
        backend = load_backend({"backend": "openai", "model": "fake", "base_url": [two.base_url, one.base_url],
                                "cache": False, "concurrency": 8})
        out = backend.generate([ChatRequest.from_messages(f"hi {i}") for i in range(80)])
        backend.close()
        assert all(g.ok for g in out) and len(one.log) + len(two.log) == 80
        assert min(len(one.log), len(two.log)) >= 20  # both carried load
        assert max(one.max_in_flight, two.max_in_flight) <= 8
    assert backend.identity()["base_url"] == sorted([one.base_url, two.base_url])
    text_form = load_backend(f"openai:fake@{one.base_url},{two.base_url}")
    assert text_form.inner.base_urls == [one.base_url, two.base_url]
