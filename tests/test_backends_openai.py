"""The openai backend against a real HTTP server on 127.0.0.1 (tests/fake_openai.py), faults injected."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from judgekit.backends import ChatRequest, load_backend
from judgekit.errors import BackendRefused
from tests.fake_openai import FakeOpenAI, request_key

pytestmark = pytest.mark.api


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def _backend(server: FakeOpenAI, **options):
    spec = {"backend": "openai", "model": "fake", "base_url": server.base_url, "cache": False, **options}
    return load_backend(spec)


def _requests(n: int, **params) -> list[ChatRequest]:
    return [ChatRequest.from_messages(f"hello {i}", **params) for i in range(n)]


def test_generates_in_order_and_counts_usage():
    with FakeOpenAI() as server:
        backend = _backend(server, concurrency=4)
        out = backend.generate(_requests(20, max_tokens=16))
    assert [g.text.split("] ", 1)[1] for g in out] == [f"hello {i}" for i in range(20)]
    assert all(g.ok and g.finish_reason == "stop" for g in out)
    usage = backend.usage.to_dict()
    assert usage["requests"] == usage["sent"] == 20
    assert usage["completion_tokens"] == sum(len(g.text.split()) for g in out)
    assert usage["prompt_tokens"] == 40 and usage["failures"] == 0


def test_request_fields_reach_the_server():
    seen = []

    def reply(body):
        seen.append(body)
        return "ok"

    with FakeOpenAI(reply=reply) as server:
        _backend(server).generate([ChatRequest.from_messages(
            [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
            max_tokens=7, temperature=0.5, top_p=0.9, seed=3, stop=["\n\n"])])
    body = seen[0]
    assert body["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["seed"], body["stop"]) == (7, 0.5, 0.9, 3, ["\n\n"])


def test_top_logprobs_of_the_first_token():
    with FakeOpenAI(reply=lambda body: ("A", {"A": -0.1, "B": -2.4, "tie": -5.0})) as server:
        out = _backend(server).generate([ChatRequest.from_messages("A or B?", logprobs=2, max_tokens=1)])
    assert out[0].top_logprobs == {"A": -0.1, "B": -2.4}


def test_bounded_concurrency():
    with FakeOpenAI(latency=0.05) as server:
        _backend(server, concurrency=5).generate(_requests(40))
        assert server.max_in_flight == 5


def test_twenty_percent_faults_over_500_requests():
    """Every item ends generated or failed with a reason; nothing is duplicated or lost."""
    with FakeOpenAI(fault_rate=0.2, seed=7, hang_seconds=0.6, retry_after=0.01) as server:
        backend = _backend(server, concurrency=32, timeout=0.3, max_backoff=0.05)
        out = backend.generate(_requests(500))
        faults = Counter(e.fault for e in server.log)
        completed = Counter(server.completed())
    assert set(faults) == {None, "429", "500", "timeout", "malformed", "empty"}
    assert sum(n for f, n in faults.items() if f) >= 60  # the faults really happened
    assert len(out) == 500
    assert all(g.ok for g in out), [g.error for g in out if not g.ok]
    assert [g.text.split("] ", 1)[1] for g in out] == [f"hello {i}" for i in range(500)]
    assert set(completed.values()) == {1}, "a request that got its answer was sent again"
    assert backend.usage.retries >= sum(n for f, n in faults.items() if f and f != "timeout")


def test_exhausted_retries_are_reported_per_item():
    with FakeOpenAI(fault_rate=0.5, seed=3, faults=("500", "429", "malformed", "empty")) as server:
        backend = _backend(server, concurrency=16, max_retries=1, max_backoff=0.01)
        out = backend.generate(_requests(200))
    failed = [g for g in out if not g.ok]
    assert 20 <= len(failed) <= 90  # about 0.5 ** 2 of 200
    for g in failed:
        assert g.text is None and "(after 2 attempts)" in g.error
        assert g.error.startswith(("HTTP 500", "HTTP 429", "malformed reply", "empty completion"))
    assert backend.usage.failures == len(failed)
    assert sum(backend.usage.errors.values()) == len(failed)


def test_retry_after_is_honoured():
    with FakeOpenAI(fault_rate=1.0, faults=("429",), retry_after=0.4) as server:
        # every attempt is rate-limited: two retries must wait the 0.4 s the server asks for, each
        backend = _backend(server, max_retries=2, max_backoff=5)
        start = time.monotonic()
        out = backend.generate(_requests(1))
        elapsed = time.monotonic() - start
        gaps = [b.started - a.finished for a, b in zip(server.log, server.log[1:], strict=False)]
    assert not out[0].ok and out[0].error.startswith("HTTP 429")
    assert len(server.log) == 3
    assert all(gap >= 0.35 for gap in gaps), gaps
    assert elapsed >= 0.8


@pytest.mark.parametrize("status", [401, 403, 404])
def test_fatal_status_fails_fast_without_sending_the_rest(status, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-secret-123456")
    seen = []
    with FakeOpenAI(fail_status={"": status}) as server:
        backend = _backend(server, concurrency=1, api_key_env="MY_KEY")
        with pytest.raises(BackendRefused) as raised:
            backend.generate(_requests(10), on_result=lambda i, g: seen.append(g))
        sent = len(server.log)
        with pytest.raises(BackendRefused):  # and it stays refused: nothing more is sent
            backend.generate(_requests(3))
        assert len(server.log) == sent
        auth = set(server.authorization)
    assert sent == 1, "401/403/404 must not be retried nor repeated for every item"
    message = str(raised.value)
    assert f"HTTP {status}" in message and "$MY_KEY" in message and "sk-secret" not in message
    assert len(seen) == 10 and all(not g.ok for g in seen)  # every request is reported before the run stops
    assert all(g.error.startswith("not sent: ") for g in seen if f"HTTP {status}" not in g.error)
    assert auth == {"Bearer sk-secret-123456"}
    assert all("sk-secret" not in g.error for g in seen)


def test_bad_request_fails_only_that_request():
    bad = request_key({"model": "fake", "messages": [{"role": "user", "content": "hello 1"}], "max_tokens": 512,
                       "temperature": 0.0, "top_p": 1.0})
    with FakeOpenAI(fail_status={bad: 400}) as server:
        out = _backend(server).generate(_requests(3))
        assert server.requests_for(bad) == 1
    assert [g.ok for g in out] == [True, False, True]
    assert out[1].error.startswith("HTTP 400")


def test_requests_per_minute_limit():
    with FakeOpenAI() as server:
        backend = _backend(server, concurrency=8, requests_per_minute=600)  # 10/s, bursts of 50
        start = time.monotonic()
        backend.generate(_requests(60))
        elapsed = time.monotonic() - start
    assert elapsed >= 0.9  # 50 at once, the next 10 at 10/s


def test_missing_key_for_a_remote_server_is_a_clear_error():
    from judgekit.errors import BackendError

    with pytest.raises(BackendError, match="OPENAI_API_KEY"):
        load_backend({"backend": "openai", "model": "gpt-4o-mini"})


def test_connection_refused_is_reported_not_raised():
    backend = load_backend({"backend": "openai", "model": "m", "base_url": "http://127.0.0.1:9/v1", "cache": False,
                            "max_retries": 1, "max_backoff": 0.01, "timeout": 2})
    out = backend.generate(_requests(2))
    assert all(not g.ok and g.error.startswith("connection error") for g in out)


def test_works_inside_a_running_event_loop():
    import asyncio

    with FakeOpenAI() as server:
        backend = _backend(server)

        async def inside():
            return backend.generate(_requests(3))

        out = asyncio.run(inside())
    assert all(g.ok for g in out)


_CLOSE_WITH_PENDING = """
import sys
sys.path.insert(0, sys.argv[2])
from judgekit.backends import ChatRequest, load_backend
backend = load_backend({"backend": "openai", "model": "fake", "base_url": sys.argv[1], "cache": False,
                        "concurrency": 2, "timeout": 30})
futures = [backend.submit(ChatRequest.from_messages(f"hello {i}")) for i in range(8)]
backend.close()  # a stopped run: 2 requests in flight on a stalled server, 6 waiting for a slot
print(sorted({f.result(timeout=10).error for f in futures}))
"""


def test_closing_with_requests_pending_answers_them_and_exits_quietly():
    """A run that stops (a refused backend, an interrupted run) closes its backend with requests still pending:
    each gets an error answer, and the process exits without asyncio's 'Task was destroyed' warnings (a 401
    run printed one per pending request, 55 lines, in a fresh-clone CI run)."""
    import subprocess
    import sys
    from pathlib import Path

    with FakeOpenAI(fault_rate=1.0, faults=("timeout",), hang_seconds=20) as server:
        done = subprocess.run([sys.executable, "-c", _CLOSE_WITH_PENDING, server.base_url,
                               str(Path(__file__).resolve().parent.parent)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['not completed: the run stopped first']"
    assert done.stderr == ""
