"""The response cache: content addressing, what is (not) cached, concurrent writers, the CLI."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit.backends import ChatRequest, Generation, load_backend
from judgekit.backends.cache import ResponseCache, request_key
from tests.fake_openai import FakeOpenAI


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))


def _backend(server, **options):
    return load_backend({"backend": "openai", "model": "fake", "base_url": server.base_url, **options})


IDENTITY = {"backend": "openai", "model": "m", "base_url": "http://x/v1"}


def test_key_covers_what_changes_the_output():
    base = ChatRequest.from_messages("hi")
    key = request_key(IDENTITY, base)
    assert key == request_key(dict(IDENTITY), ChatRequest.from_messages("hi", metadata={"item": "a"}))
    variants = [
        ChatRequest.from_messages("hi!"),
        ChatRequest.from_messages([{"role": "system", "content": "x"}, {"role": "user", "content": "hi"}]),
        ChatRequest.from_messages("hi", max_tokens=5),
        ChatRequest.from_messages("hi", temperature=0.5, seed=1),
        ChatRequest.from_messages("hi", top_p=0.5),
        ChatRequest.from_messages("hi", stop=["x"]),
        ChatRequest.from_messages("hi", sample_index=1),
        ChatRequest.from_messages("hi", logprobs=5),
    ]
    keys = {request_key(IDENTITY, v) for v in variants}
    assert len(keys) == len(variants) and key not in keys
    assert request_key({**IDENTITY, "model": "other"}, base) != key


@pytest.mark.api
def test_rerun_is_served_from_cache_without_requests():
    with FakeOpenAI() as server:
        first = _backend(server).generate([ChatRequest.from_messages(f"q{i}") for i in range(10)])
        backend = _backend(server)
        second = backend.generate([ChatRequest.from_messages(f"q{i}") for i in range(10)])
        assert len(server.log) == 10
    assert [g.text for g in first] == [g.text for g in second]
    assert all(g.cached for g in second) and not any(g.cached for g in first)
    assert backend.usage.cache_hits == 10 and backend.usage.sent == 0


@pytest.mark.api
def test_unseeded_sampling_and_failures_are_not_cached():
    with FakeOpenAI(fail_status={"": 500}) as server:
        for _ in range(2):
            _backend(server, max_retries=0).generate([ChatRequest.from_messages("fails")])
        assert len(server.log) == 2
    with FakeOpenAI() as server:
        for _ in range(2):
            _backend(server).generate([ChatRequest.from_messages("hot", temperature=0.9),
                                       ChatRequest.from_messages("hot", temperature=0.9, seed=4)])
        keys = [e.sample for e in server.log]
        assert keys.count(None) == 2 and keys.count(4) == 1


@pytest.mark.api
def test_identical_requests_in_a_batch_are_sent_once():
    with FakeOpenAI() as server:
        out = _backend(server).generate([ChatRequest.from_messages("same")] * 5)
        assert len(server.log) == 1
    assert len({g.text for g in out}) == 1 and sum(g.cached for g in out) == 4


@pytest.mark.api
def test_api_key_never_reaches_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY_VAR", "sk-very-secret-value")
    with FakeOpenAI() as server:
        backend = _backend(server, api_key_env="SECRET_KEY_VAR", cache_path=str(tmp_path / "c.sqlite"))
        backend.generate([ChatRequest.from_messages("hi")])
        backend.close()
        assert server.authorization == ["Bearer sk-very-secret-value"]
    for path in tmp_path.glob("c.sqlite*"):
        assert b"sk-very-secret" not in path.read_bytes()


def _writer(path: str, worker: int, count: int) -> None:
    cache = ResponseCache(path)
    for i in range(count):
        request = ChatRequest.from_messages(f"w{worker}-{i}")
        cache.put(request_key(IDENTITY, request), IDENTITY, Generation(text=f"t{worker}-{i}"))
    cache.close()


def test_concurrent_writers_from_several_processes(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    ResponseCache(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, 150)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    cache = ResponseCache(path)
    assert cache.stats()["entries"] == 600
    key = request_key(IDENTITY, ChatRequest.from_messages("w3-149"))
    assert cache.get_many([key])[key]["text"] == "t3-149"


def test_cache_cli_stats_and_clear(tmp_path):
    from judgekit.cli.main import cli

    path = tmp_path / "c.sqlite"
    _writer(str(path), 0, 3)
    other = {"backend": "hf", "model": "tiny"}
    cache = ResponseCache(path)
    cache.put("k", other, Generation(text="x"))
    cache.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["cache", "stats", "--path", str(path)])
    assert result.exit_code == 0, result.output
    assert "4 entries" in result.output and "tiny" in result.output
    result = runner.invoke(cli, ["cache", "clear", "--path", str(path), "--backend", "hf", "--yes"])
    assert "deleted 1 entries" in result.output
    result = runner.invoke(cli, ["cache", "clear", "--path", str(path), "--yes"])
    assert "deleted 3 entries" in result.output
    assert ResponseCache(path).stats()["entries"] == 0


def test_default_location_is_under_the_cache_root(tmp_path):
    from judgekit.backends.cache import default_cache_path

    assert default_cache_path() == Path(tmp_path / "cache" / "responses.sqlite")


@pytest.mark.api
def test_no_cache_flag_neither_reads_nor_writes(tmp_path):
    import yaml

    from judgekit.cli.main import cli

    with FakeOpenAI() as server:
        path = tmp_path / "r.yaml"
        path.write_text(yaml.safe_dump({
            "name": "nc", "data": {"limit": 2},
            "backend": {"backend": "openai", "model": "fake", "base_url": server.base_url},
            "transforms": [{"name": "paraphrase", "args": {"min_similarity": 0, "max_attempts": 1}}],
            "output": {"dir": str(tmp_path / "out")}}))
        runner = CliRunner()
        sent = []
        for _ in range(2):
            result = runner.invoke(cli, ["synth", str(path), "--no-cache"])
            assert result.exit_code == 0, result.output
            sent.append(len(server.log))
        sent_twice = len(server.log)
        assert sent[0] >= 4 and sent_twice == 2 * sent[0]  # the second run sent everything again
        assert not (tmp_path / "cache" / "responses.sqlite").exists()
        result = runner.invoke(cli, ["synth", str(path)])
        assert result.exit_code == 0
        again = runner.invoke(cli, ["synth", str(path)])
        assert "cache hits" in again.output
        assert len(server.log) == sent_twice * 3 // 2  # the two cached runs sent once between them


@pytest.mark.api
def test_tokens_per_minute_limit():
    import time

    with FakeOpenAI() as server:
        # each request is estimated at ~ (prompt chars / 4 + max_tokens) = ~52 tokens; 6000/min = 100/s,
        # bursts of 500: 20 requests (~1040 tokens) need about 5 s beyond the burst
        backend = load_backend({"backend": "openai", "model": "fake", "base_url": server.base_url, "cache": False,
                                "tokens_per_minute": 6000, "concurrency": 8})
        start = time.monotonic()
        backend.generate([ChatRequest.from_messages(f"q{i}", max_tokens=50) for i in range(20)])
        elapsed = time.monotonic() - start
    assert elapsed >= 4.0  # the limit held them back (how fast it is otherwise is a benchmark's business)
