"""`judgekit synth` in chunks: the same bytes for any chunk size and executor, no rounds (a resample goes out
while other requests are still in flight; a stalled request holds up its own item only), resumption from
committed chunks, and an export streamed from the run's files equal to one made from the whole dataset."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from judgekit.data import load_examples
from judgekit.engine import make_executor
from judgekit.outputs import prepare_output
from judgekit.synth import load_recipe, run_recipe
from tests.engine_fixtures import StopAfter, differing_files
from tests.fake_openai import FakeOpenAI, last_user_message

pytestmark = pytest.mark.api


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))


def text_of(body) -> str:
    message = last_user_message(body)
    return message.split("\nText:\n", 1)[1] if "\nText:\n" in message else message.split("\nInstruction:\n", 1)[1]


def reply(body) -> str:
    """A usable paraphrase, except for first attempts of every third text (identical: a resample follows)."""
    text = text_of(body)
    if body.get("seed") is None and sum(map(ord, text)) % 3 == 0:
        return text
    return f"So, {text}"


def recipe(server: FakeOpenAI, out: Path, **changes) -> dict:
    spec = {
        "name": "stream",
        "data": {"sources": ["sample"]},
        "backend": {"backend": "openai", "model": "fake", "base_url": server.base_url, "concurrency": 8},
        "transforms": [{"name": "paraphrase", "args": {"min_similarity": 0.3, "max_attempts": 3}}, "rot13",
                       "ignore-above"],
        "filters": [{"name": "length-ratio", "args": {"min": 0.5, "max": 3}}, "not-refusal"],
        "export": [{"kind": "judge-sft"}, {"kind": "judge-dpo", "pairs": {"limit": 25}}],
        "output": {"dir": str(out)},
    }
    spec.update(changes)
    return spec


def manifest(folder: Path) -> dict:
    data = json.loads((folder / "manifest.json").read_text())
    data.pop("elapsed_s")
    data.pop("usage")
    assert "dir" not in data["recipe"]["output"]  # where a run wrote is not part of the recipe it records
    return data


def test_chunk_sizes_and_executors_give_the_same_bytes(tmp_path):
    with FakeOpenAI(reply=reply) as server:
        whole = tmp_path / "whole"
        run_recipe(load_recipe(recipe(server, whole)))
        for name, chunk_size, executor in [("small", 7, make_executor("local", threads=3)),
                                           ("one-thread", 16, make_executor("local"))]:
            result = run_recipe(load_recipe(recipe(server, tmp_path / name)), chunk_size=chunk_size,
                                executor=executor)
            assert result.run.chunks == -(-60 // chunk_size)
            assert differing_files(whole, tmp_path / name, ignore=("manifest.json", ".judgekit.json", "judge")) == []
            assert differing_files(whole / "judge", tmp_path / name / "judge") == []
            assert manifest(tmp_path / name) == manifest(whole)
    data = manifest(whole)
    para = data["transforms"][0]
    assert para["kept"] > 40 and any(e["kind"] == "judge-dpo" and e["comparisons"] == 25 for e in data["exports"])


def test_a_streamed_export_equals_one_made_from_the_whole_dataset(tmp_path):
    from judgekit.data.pairs import PairingSpec, PairReport
    from judgekit.judges.export import JudgePrompt, judge_records

    with FakeOpenAI(reply=reply) as server:
        out = tmp_path / "out"
        run_recipe(load_recipe(recipe(server, out)), chunk_size=9)
    originals = load_examples(str(out / "original.jsonl"))
    names = [e["name"] for e in json.loads((out / "manifest.json").read_text())["transforms"]]
    files = [e["file"] for e in json.loads((out / "manifest.json").read_text())["transforms"]]
    variant_sets = {n: load_examples(str(out / f)) for n, f in zip(names, files, strict=True)
                    if (out / f).stat().st_size}
    for kind, pairs, file in (("sft", PairingSpec(), "judge-sft.jsonl"), ("dpo", PairingSpec(limit=25), "judge-dpo.jsonl")):
        report = PairReport()
        records = judge_records(originals, kind=kind, variant_sets=variant_sets, data=pairs, prompt=JudgePrompt(),
                                report=report)
        written = (out / "judge" / file).read_text().splitlines()
        assert written == [json.dumps(r, ensure_ascii=False) for r in records]


def test_no_rounds_a_resample_goes_out_while_a_stalled_request_is_in_flight(tmp_path):
    """The report: each resample round waited for its slowest request; one stalled request held a round."""
    stalled = "keep fresh basil from wilting"  # the prompt of one sample item
    release = threading.Event()
    with open(Path(__file__).resolve().parent.parent / "judgekit" / "data" / "sample.jsonl") as handle:
        assert stalled in handle.read()

    def slow_reply(body):
        if stalled in text_of(body):
            release.wait(20)
        return reply(body)

    with FakeOpenAI(reply=slow_reply) as server:
        spec = recipe(server, tmp_path / "out", transforms=[{"name": "paraphrase-prompt",
                                                              "args": {"min_similarity": 0, "max_attempts": 3}}],
                      filters=[], export=[])
        worker = threading.Thread(target=run_recipe, args=(load_recipe(spec),))
        worker.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            resamples = [e for e in server.log if e.sample is not None]
            if resamples and len(server.log) >= 40:
                break
            time.sleep(0.05)
        seen_before_release = list(server.log)
        release.set()
        worker.join(60)
    assert any(e.sample is not None for e in seen_before_release), "no resample went out while one request stalled"
    assert len(seen_before_release) >= 40  # everything else went on


def test_a_run_interrupted_between_chunks_resumes_from_them(tmp_path, monkeypatch):
    with FakeOpenAI(reply=reply) as server:
        spec = load_recipe(recipe(server, tmp_path / "out", export=[]))
        with pytest.raises(KeyboardInterrupt):
            run_recipe(spec, chunk_size=10, executor=StopAfter(6 + 3, threads=2))  # the pool pass, then 3 chunks
        sent = len(server.log)
        result = run_recipe(spec, chunk_size=10)
        assert result.run.resumed_chunks == 3 and result.run.ran_chunks == 3
        reference = tmp_path / "reference"
        run_recipe(load_recipe(recipe(server, reference, export=[])), no_cache=True, chunk_size=60)
    assert differing_files(reference, tmp_path / "out", ignore=("manifest.json", ".judgekit.json")) == []
    assert sent > 0


def test_parquet_output_is_written_from_the_chunks(tmp_path):
    with FakeOpenAI(reply=reply) as server:
        spec = recipe(server, tmp_path / "out", export=[], output={"dir": str(tmp_path / "out"), "format": "parquet"})
        result = run_recipe(load_recipe(spec), chunk_size=13, target=prepare_output(tmp_path / "out", command="synth"))
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "original.parquet" in names and not any(n.endswith(".jsonl") for n in names)
    assert load_examples(str(tmp_path / "out" / "original.parquet"))[0].id == load_examples("sample")[0].id
    assert result.summary.original.items == 60
