"""`judgekit rescore`: a run's report recomputed from its saved judgments, without a model or an endpoint."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from judgekit.cli.main import cli
from judgekit.data import load_examples
from judgekit.eval.folder import ITEMS
from tests.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "openai", "httpx", "httpcore", "requests", "urllib3", "aiohttp", "vllm",
         "tokenizers", "safetensors", "sentence_transformers", "llama_cpp")
# Runs the CLI in a fresh interpreter, records every socket connect (and refuses it), then lists heavy modules.
GUARD = """
import socket, sys
attempts = []
def refuse(self, address, *args):
    attempts.append(repr(address))
    raise OSError("network refused by the test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
from judgekit.cli.main import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(HEAVY_MODULES))
print('GUARD ' + repr({'heavy': heavy, 'connects': attempts}))
sys.exit(code)
""".replace("HEAVY_MODULES", repr(HEAVY))


def verdict_reply(body: dict) -> str:
    """A deterministic mix of the pairwise verdicts, ties and outputs without a verdict."""
    digest = hashlib.sha256(body["messages"][-1]["content"].encode()).digest()[0] % 4
    return ["[[A]]", "[[B]]", "[[C]]", "I cannot decide."][digest]


def suite_file(tmp_path: Path, server: FakeOpenAI, tiny_bert_dir: Path, **options) -> Path:
    api_judge = {"kind": "generative", "name": "api-judge", "mode": "pairwise", "backend": {
        "backend": "openai", "model": "fake", "base_url": server.base_url, "cache": False, "max_backoff": 0.05,
        "api_key_env": "JUDGEKIT_FAKE_KEY"}}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump({"name": "rescore-unit", "data": {"sources": ["sample"], "limit": 12},
                                    "transforms": ["rot13", "add-quotes"], "options": options,
                                    "judges": [str(tiny_bert_dir), api_judge]}))
    return path


def guarded(*args: str, env: dict | None = None) -> tuple[int, dict, str]:
    result = subprocess.run([sys.executable, "-c", GUARD, *args], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, **(env or {})}, timeout=300, check=False)
    line = next(x for x in result.stdout.splitlines() if x.startswith("GUARD "))
    return result.returncode, ast.literal_eval(line[6:]), result.stdout + result.stderr


def files_except_reports(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and p.name not in ("report.json", "report.md", "report.html")}


def results_of(folder: Path) -> list[dict]:
    return json.loads((folder / "report.json").read_text())["results"]


@pytest.fixture
def api_run(tmp_path, tiny_bert_dir, monkeypatch):
    """A run of a scalar judge (tiny BERT) and an API judge (the local HTTP server) over 12 items."""
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("JUDGEKIT_FAKE_KEY", "test-key")
    with FakeOpenAI(reply=verdict_reply) as server:
        runner = CliRunner()
        run = tmp_path / "run"
        result = runner.invoke(cli, ["eval", str(suite_file(tmp_path, server, tiny_bert_dir)), "--out", str(run)])
        assert result.exit_code in (0, 3), result.output  # 3: outputs without a verdict count as failed calls
        yield run, server, tmp_path


def test_items_jsonl_holds_every_variant(api_run):
    run, _, _ = api_run
    lines = [json.loads(x) for x in (run / ITEMS).read_text().splitlines()]
    report = json.loads((run / "report.json").read_text())
    judgments = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines()]
    for variant in ("original", "rot13", "add-quotes"):
        ids = [x["id"] for x in lines if x["variant"] == variant]
        assert ids == [j["id"] for j in judgments if j["judge"] == "api-judge" and j["variant"] == variant]
    originals = [x for x in lines if x["variant"] == "original"]
    assert [x["id"] for x in originals] == [e.id for e in load_examples("sample")][:12]
    assert len(report["items"]) < len(lines)  # report.json keeps only the viewer's items


def test_rescore_reproduces_the_report_without_model_or_network(api_run):
    run, server, _ = api_run
    before = json.loads((run / "report.json").read_text())
    files = files_except_reports(run)
    requests = len(server.log)
    code, guard, output = guarded("rescore", str(run))
    assert code == 0, output
    assert guard == {"heavy": [], "connects": []}, guard
    assert len(server.log) == requests
    after = json.loads((run / "report.json").read_text())
    assert {k: v for k, v in after.items() if k != "created"} == {k: v for k, v in before.items() if k != "created"}
    assert files_except_reports(run) == files  # judgments, items, suite.yaml and the marker are untouched


def test_rescore_under_other_policies_equals_a_new_run(api_run, tiny_bert_dir):
    run, server, tmp_path = api_run
    code, guard, output = guarded("rescore", str(run), "--set", "options.ties=half", "--set",
                                  "options.failures=exclude")
    assert code == 0 and guard["heavy"] == [] and guard["connects"] == [], output
    rescored = results_of(run)
    # the same suite run afresh under those policies (the server answers the same requests the same way)
    fresh = tmp_path / "fresh"
    path = suite_file(tmp_path, server, tiny_bert_dir, ties="half", failures="exclude")
    result = CliRunner().invoke(cli, ["eval", str(path), "--out", str(fresh)])
    assert result.exit_code in (0, 3), result.output
    assert rescored == results_of(fresh)
    api = [r for r in rescored if r["judge"] == "api-judge" and r["variant"] == "original"][0]
    assert api["n_counted"] < api["n_items"]  # items with a failed comparison were excluded
    report = json.loads((run / "report.json").read_text())
    assert report["suite"]["options"]["ties"] == "half"
    assert yaml.safe_load((run / "suite.yaml").read_text())["suite"]["options"]["ties"] == "wrong"  # as run
    assert "ties count as half" in (run / "report.html").read_text()


def test_rescore_to_a_new_folder(api_run):
    run, _, tmp_path = api_run
    copy = tmp_path / "half"
    result = CliRunner().invoke(cli, ["rescore", str(run), "--set", "options.ties=half", "--out", str(copy)])
    assert result.exit_code == 0, result.output
    for name in ("suite.yaml", "judgments.jsonl", "transforms.jsonl", ITEMS, "report.html", ".judgekit.json"):
        assert (copy / name).is_file(), name
    assert (copy / "judgments.jsonl").read_bytes() == (run / "judgments.jsonl").read_bytes()
    assert (copy / ITEMS).read_bytes() == (run / ITEMS).read_bytes()
    # the new folder is a complete run: it rescores back to the first numbers
    back = CliRunner().invoke(cli, ["rescore", str(copy), "--set", "options.ties=wrong"])
    assert back.exit_code == 0, back.output
    assert results_of(copy) == results_of(run)


def test_rescore_refuses_what_it_cannot_do(api_run):
    run, _, tmp_path = api_run
    code, _, output = guarded("rescore", str(run), "--set", "seed=3")
    assert code == 2 and "rescore changes only how saved judgments are counted" in output
    code, _, output = guarded("rescore", str(run), "--set", "options.ties=sometimes")
    assert code == 2 and "ties" in output
    # a folder written before items.jsonl existed
    old = tmp_path / "old"
    old.mkdir()
    for name in ("report.json", "judgments.jsonl", "transforms.jsonl", "suite.yaml", ".judgekit.json"):
        (old / name).write_bytes((run / name).read_bytes())
    code, _, output = guarded("rescore", str(old))
    assert code == 2 and "no items.jsonl" in output and "re-run `judgekit eval`" in output
    # a folder that is not marked as an eval output is never written
    (old / ITEMS).write_bytes((run / ITEMS).read_bytes())
    (old / ".judgekit.json").unlink()
    report = (old / "report.json").read_bytes()
    code, _, output = guarded("rescore", str(old))
    assert code == 2 and "not a `judgekit eval` run folder" in output
    assert (old / "report.json").read_bytes() == report
    # damaged judgments name the file and line
    (old / ".judgekit.json").write_bytes((run / ".judgekit.json").read_bytes())
    lines = (old / "judgments.jsonl").read_text().splitlines()
    (old / "judgments.jsonl").write_text("\n".join(lines[:3] + ["{not json"] + lines[4:]) + "\n")
    code, _, output = guarded("rescore", str(old))
    assert code == 2 and "judgments.jsonl:4: not JSON" in output
