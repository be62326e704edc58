"""`judgekit eval --dry-run` and `--max-cost` against the local OpenAI-compatible server (tests/fake_openai.py),
and the template checks that run before any request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgekit.eval.preflight import estimate_tokens, plan_run
from judgekit.eval.runner import prepare, run_suite
from tests.fake_openai import FakeOpenAI
from tests.judge_helpers import oracle, write_items, write_yaml

PRICES = {"price_input_per_mtok": 2.5, "price_output_per_mtok": 10.0}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)


def run_cli(capsys, *args: str) -> tuple[int, str]:
    """The CLI as a user runs it (judgekit.cli.main.main, exit codes included), in this process."""
    from judgekit.cli.main import main

    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def setup(tmp_path: Path, server: FakeOpenAI, **judge) -> tuple[Path, Path]:
    write_items(tmp_path / "items.jsonl")
    suite = write_yaml(tmp_path / "suite.yaml", {"name": "preflight", "data": {"sources": ["items.jsonl"]},
                                                 "transforms": ["rot13", "add-quotes"], "seed": 0})
    spec = {"kind": "generative", "name": "api", "mode": "pairwise", "max_tokens": 64,
            "backend": {"backend": "openai", "model": "fake", "base_url": server.base_url, **PRICES}, **judge}
    return suite, write_yaml(tmp_path / "judge.yaml", spec)


class Recorder:
    """A reply function that remembers every request body it answered."""

    def __init__(self, reply=oracle) -> None:
        self.bodies: list[dict] = []
        self.reply = reply

    def __call__(self, body: dict) -> str:
        self.bodies.append(body)
        return self.reply(body)


def server_cost(bodies: list[dict], replies: list[str]) -> float:
    """What the fake server charged (it counts whitespace-separated words as tokens)."""
    prompt = sum(len(str(m["content"]).split()) for b in bodies for m in b["messages"])
    completion = sum(len(r.split()) for r in replies)
    return (prompt * PRICES["price_input_per_mtok"] + completion * PRICES["price_output_per_mtok"]) / 1e6


def test_dry_run_sends_nothing_and_plans_exactly_what_the_run_sends(tmp_path, capsys):
    recorder = Recorder()
    with FakeOpenAI(reply=recorder) as server:
        suite, judge = setup(tmp_path, server)
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--out", str(tmp_path / "run"), "--dry-run")
        assert code == 0, out
        assert server.log == [] and not (tmp_path / "run").exists()
        assert "nothing sent" in out and "api" in out and "cost at most" in out

        resolved, judges, transforms = prepare(suite, [judge])
        plan = plan_run(resolved, judges, transforms)
        (row,) = plan.judges
        assert plan.items == 6 and plan.variants == {"original": 6, "rot13": 6, "add-quotes": 6}
        assert (row.requests, row.cache_hits, row.to_send) == (36, 0, 36)  # 18 items x 2 orders
        assert row.completion_tokens_max == 36 * 64
        assert row.cost_usd_max == pytest.approx((row.prompt_tokens * 2.5 + 36 * 64 * 10.0) / 1e6)

        report = run_suite(suite, [judge])
        assert len(server.log) == row.to_send
        # the plan's estimate is computed on exactly the messages that went over the wire
        sent = [tuple((m["role"], m["content"]) for m in b["messages"]) for b in recorder.bodies]
        from judgekit.backends.base import ChatRequest

        assert row.prompt_tokens == sum(estimate_tokens(ChatRequest.from_messages(
            [{"role": r, "content": c} for r, c in messages], max_tokens=64))[0] for messages in sent)
        counted = report.data["judges"][0]["stats"]["prompt_tokens"]  # what the server said it counted
        assert counted > 0 and 0.5 < row.prompt_tokens / counted < 2.5

        again = plan_run(resolved, judges, transforms).judges[0]
        assert (again.cache_hits, again.to_send, again.prompt_tokens) == (36, 0, 0)
        assert again.cost_usd_max == 0.0


def test_template_error_stops_before_any_request(tmp_path, capsys):
    (tmp_path / "bad.jinja").write_text("{{ question }} {{ answer_a }} {{ answer_b }} from {{ item.meta.origin }}")
    (tmp_path / "typo.jinja").write_text("{{ question }} {{ answer_a }} {{ answer_b }} {{ rubric }}")
    with FakeOpenAI(reply=oracle) as server:
        suite, judge = setup(tmp_path, server, template="bad.jinja")
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--out", str(tmp_path / "run"))
        assert code == 2, out
        assert "judge api, variant original, item q0" in out and "origin" in out and "item.meta has: topic" in out
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--dry-run")
        assert code == 2, out
        suite, judge = setup(tmp_path, server, template="typo.jinja")
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--out", str(tmp_path / "run"))
        assert code == 2 and "undefined variable(s) rubric" in out and "rubric_file" in out, out
        assert server.log == [] and not (tmp_path / "run").exists()


def test_max_cost_stops_cleanly_and_a_rerun_resumes_from_the_cache(tmp_path, capsys):
    recorder = Recorder()
    replies: list[str] = []

    def reply(body: dict) -> str:
        text = recorder(body)
        replies.append(text)
        return text

    with FakeOpenAI(reply=reply) as server:
        suite, judge = setup(tmp_path, server)
        resolved, judges, transforms = prepare(suite, [judge])
        cost_at_most = plan_run(resolved, judges, transforms).judges[0].cost_usd_max
        limit = round(cost_at_most / 4, 6)
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--out", str(tmp_path / "run"),
                            "--max-cost", str(limit))
        assert code == 5, out
        assert "--max-cost" in out and "run again" in out
        assert not (tmp_path / "run").exists()  # nothing half-written
        first = len(server.log)
        assert 0 < first < 36
        assert server_cost(recorder.bodies, replies) <= limit  # it never spent more than it was allowed
        rest = plan_run(resolved, judges, transforms).judges[0]
        assert (rest.cache_hits, rest.to_send) == (first, 36 - first)
        assert 0 < rest.cost_usd_expected < rest.cost_usd_max  # outputs as long as the cached replies

        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--out", str(tmp_path / "run"),
                            "--max-cost", "1")
        assert code == 0, out
        assert len(server.log) == 36  # the rest only: nothing paid for twice
        assert len({e.key for e in server.log}) == 36
        report = json.loads((tmp_path / "run" / "report.json").read_text())
        assert report["judges"][0]["stats"]["cached"] == first
        assert {r["variant"]: r["accuracy"] for r in report["results"]} == {
            "original": 1.0, "rot13": 1.0, "add-quotes": 1.0}


def test_max_cost_on_ray_is_refused_before_anything_is_sent(tmp_path, capsys):
    """One budget lives in one process: --max-cost with --engine ray is a clear error, not an unbounded run."""
    with FakeOpenAI(reply=oracle) as server:
        suite, judge = setup(tmp_path, server)
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--out", str(tmp_path / "run"),
                            "--engine", "ray", "--max-cost", "1")
        assert code == 2 and "--max-cost keeps one budget in this process" in out, out
        assert server.log == [] and not (tmp_path / "run").exists()


def test_max_cost_needs_prices_for_api_judges_but_not_for_local_ones(tmp_path, capsys):
    with FakeOpenAI(reply=oracle) as server:
        suite, judge = setup(tmp_path, server)
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--max-cost", "0.01",
                            "--set", "judges.0.backend.price_input_per_mtok=null",
                            "--set", "judges.0.backend.price_output_per_mtok=null")
        assert code == 2 and "has no prices" in out, out
        code, out = run_cli(capsys, "eval", str(suite), "-j", str(judge), "--max-cost", "0.01", "-t", "paraphrase",
                            "--backend", f"openai:fake@{server.base_url}")
        assert code == 2 and "the suite's backend (for LLM transforms) has no prices" in out, out
        assert server.log == []
    mock = write_yaml(tmp_path / "mock.yaml", {"kind": "generative", "backend": {"backend": "mock", "replies": ["[[A]]"]}})
    code, out = run_cli(capsys, "eval", str(suite), "-j", str(mock), "--max-cost", "0", "--out", str(tmp_path / "m"))
    assert code == 0, out
    assert (tmp_path / "m" / "report.json").is_file()


def test_dry_run_plans_llm_transforms_without_generating_them(tmp_path):
    write_items(tmp_path / "items.jsonl")
    suite = write_yaml(tmp_path / "suite.yaml", {"name": "llm", "data": {"sources": ["items.jsonl"]},
                                                 "transforms": ["paraphrase"], "backend": {"backend": "mock"}})
    judge = {"kind": "generative", "name": "m", "backend": {"backend": "mock", "replies": ["[[A]]"]}}
    resolved, judges, transforms = prepare(suite, [judge])
    plan = plan_run(resolved, judges, transforms)
    transform, judged = plan.judges
    assert transform.judge == "transform paraphrase" and transform.requests == 6 * 2  # chosen and rejected
    assert plan.variants == {"original": 6, "paraphrase": 6}
    assert (judged.requests, judged.to_send) == (24, 24)  # the originals stand in for the paraphrases
    assert any("stand in" in note for note in plan.notes)
