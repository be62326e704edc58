"""`judgekit eval` in chunks: the run folder a whole-dataset run writes, for any chunk size and thread count,
with scalar and generative judges (placements balanced over the whole dataset), and resumption."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgekit.data.selection import select_examples
from judgekit.engine import make_executor
from judgekit.eval.folder import write_run_files
from judgekit.eval.report import build_report
from judgekit.eval.runner import execute, placements_for, prepare, templates_of
from judgekit.eval.stream import run_suite_stream
from judgekit.outputs import prepare_output
from tests.engine_fixtures import StopAfter

SUITE = {"name": "stream", "data": {"sources": ["sample"]}, "transforms": ["rot13", "ignore-above", "code-minify"],
         "seed": 3}


def judges(tiny_bert_dir: Path) -> list:
    return [str(tiny_bert_dir),
            {"kind": "generative", "name": "mock-one-order", "backend": {"backend": "mock", "replies": ["[[A]]", "[[B]]"]},
             "mode": "pairwise", "both_orders": False},
            {"kind": "generative", "name": "mock-best-of", "backend": {"backend": "mock", "replies": ["[[1]]", "[[2]]"]},
             "mode": "best-of-n"}]


def comparable(folder: Path) -> dict:
    report = json.loads((folder / "report.json").read_text())
    report.pop("created")
    for judge in report["judges"]:
        judge.pop("seconds")
        judge.pop("stats")  # counters of work done (cache hits, batches): not what was judged
    return {"report": report, **{name: (folder / name).read_bytes() for name in
                                 ("judgments.jsonl", "transforms.jsonl", "suite.yaml")}}


def streamed(tiny_bert_dir, out: Path, executor, chunk_size: int) -> Path:
    suite, built, transforms = prepare(SUITE, judges(tiny_bert_dir))
    try:
        run_suite_stream(suite, built, prepare_output(out, command="eval"), transforms=transforms, executor=executor,
                         chunk_size=chunk_size, placements_for=placements_for, templates_of=templates_of)
    finally:
        for judge in built:
            judge.close()
    return out


def test_chunks_and_threads_write_what_a_whole_dataset_run_writes(tiny_bert_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))
    suite, built, transforms = prepare(SUITE, judges(tiny_bert_dir))
    result = execute(suite, built, transforms=transforms)  # everything in memory, as before the engine
    (tmp_path / "whole").mkdir()
    write_run_files(tmp_path / "whole", result, build_report(result))
    for judge in built:
        judge.close()
    reference = comparable(tmp_path / "whole")
    for name, executor, chunk_size in (("threads", make_executor("local", threads=3), 7),
                                       ("one", make_executor("local"), 1000)):
        folder = streamed(tiny_bert_dir, tmp_path / name, executor, chunk_size)
        assert comparable(folder) == reference, name
    assert len(list(select_examples(suite.data))) == 60


def test_an_interrupted_eval_resumes_from_its_chunks(tiny_bert_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(KeyboardInterrupt):
        streamed(tiny_bert_dir, tmp_path / "out", StopAfter(6 + 2, threads=2), 10)  # the pool pass, then two chunks
    partial = tmp_path / ".out.judgekit-partial"
    assert partial.is_dir() and not (tmp_path / "out").exists()
    suite, built, transforms = prepare(SUITE, judges(tiny_bert_dir))
    _, info = run_suite_stream(suite, built, prepare_output(tmp_path / "out", command="eval"), transforms=transforms,
                               executor=make_executor("local", threads=2), chunk_size=10,
                               placements_for=placements_for, templates_of=templates_of)
    assert (info.resumed_chunks, info.ran_chunks) == (2, 4)
    streamed(tiny_bert_dir, tmp_path / "fresh", make_executor("local"), 1000)
    assert comparable(tmp_path / "out") == comparable(tmp_path / "fresh")
    assert not partial.exists()
