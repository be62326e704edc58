"""The streaming `transform` pipeline writes what the in-memory path writes, for any chunk size, worker
count and executor, and applies --on-invalid row by row."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from judgekit.data import load_examples, read_examples
from judgekit.data.reader import resolve_source
from judgekit.engine import make_executor
from judgekit.engine.transform_pipeline import run_transform
from judgekit.errors import DataError, SpecError
from judgekit.transforms.engine import run_transforms, select_transforms
from judgekit.transforms.manifest import write_run
from tests.conftest import shared_file
from tests.engine_fixtures import differing_files, real_pairs, write_jsonl

POOLED = "char-swap,ignore-above,ignore-below,code-append-other,rot13,add-quotes+punct-spaces"


def in_memory(source: str, selector: str, out: Path) -> Path:
    """What `judgekit transform` writes today (everything in memory)."""
    stream = read_examples(source)
    examples = list(stream)
    outcomes = run_transforms(examples, select_transforms(selector), seed=3)
    resolved = resolve_source(source)
    write_run(out, examples, outcomes, source=source, source_path=resolved if os.path.exists(resolved) else None,
              source_format=stream.format, seed=3)
    return out


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("chunk_size", "workers"), [(1, 1), (7, 2), (64, 1), (10_000, 2)])
def test_sample_with_every_transform_matches_the_in_memory_run(tmp_path, chunk_size, workers):
    reference = in_memory("sample", "all", tmp_path / "reference")
    summary = run_transform("sample", "all", str(tmp_path / "out"), seed=3, chunk_size=chunk_size,
                            executor=make_executor("local", workers=workers))
    assert differing_files(reference, tmp_path / "out", ignore=("manifest.json",)) == []
    written = manifest(tmp_path / "out")
    assert written.pop("invalid") == {"policy": "fail", "skipped": 0, "items": []}
    assert written == manifest(reference)
    assert summary["run"]["chunks"] == -(-60 // chunk_size)


@pytest.mark.parametrize("relative", ["judgebench/gpt-4o.jsonl", "rm-bench/code.json"])
def test_real_files_match_the_in_memory_run(tmp_path, relative):
    """A JSONL file (read by byte ranges in the workers) and a JSON array (streamed by the driver)."""
    source = str(shared_file(relative))
    reference = in_memory(source, POOLED, tmp_path / "reference")
    run_transform(source, POOLED, str(tmp_path / "out"), seed=3, chunk_size=37,
                  executor=make_executor("local", workers=2))
    assert differing_files(reference, tmp_path / "out", ignore=("manifest.json",)) == []
    written = manifest(tmp_path / "out")
    written.pop("invalid")
    assert written == manifest(reference)


def test_outputs_do_not_depend_on_chunk_size_or_workers(tmp_path):
    source = write_jsonl(tmp_path / "pairs.jsonl", real_pairs(400))
    folders = []
    for chunk_size, workers in [(1000, 1), (13, 2), (50, 2)]:
        folder = tmp_path / f"out-{chunk_size}-{workers}"
        run_transform(str(source), POOLED, str(folder), chunk_size=chunk_size,
                      executor=make_executor("local", workers=workers))
        folders.append(folder)
    assert differing_files(folders[0], folders[1]) == []
    assert differing_files(folders[0], folders[2]) == []


# -- invalid rows ------------------------------------------------------------------------------------
def dirty_file(tmp_path: Path) -> tuple[Path, Path, list[tuple[int, str]]]:
    """A file with bad rows between good ones, the same file without them, and (line, reason) of each."""
    records = real_pairs(12)
    good = [json.dumps(r, ensure_ascii=False).encode() for r in records]
    empty = dict(records[3], id="empty-response", chosen=["   "])
    lines = [*good[:5], b"", b"{not json", json.dumps(empty).encode(), b"[1, 2]", *good[5:9], good[1],
             b'\xff{"id": 1}', *good[9:]]
    dirty = tmp_path / "dirty.jsonl"
    dirty.write_bytes(b"\n".join(lines) + b"\n")
    clean = write_jsonl(tmp_path / "clean.jsonl", records)
    expected = [(7, "malformed JSON"), (8, "response 0 is empty"), (9, "expected a JSON object, got list"),
                (14, f"duplicate id {records[1]['id']!r}"), (15, "not UTF-8 text")]
    return dirty, clean, expected


def test_on_invalid_fail_stops_at_the_first_bad_row_with_the_readers_message(tmp_path):
    dirty, _, _ = dirty_file(tmp_path)
    with pytest.raises(DataError) as reader_error:
        load_examples(str(dirty))
    with pytest.raises(DataError) as engine_error:
        run_transform(str(dirty), "rot13", str(tmp_path / "out"), chunk_size=3,
                      executor=make_executor("local", workers=2))
    assert str(engine_error.value) == str(reader_error.value)
    assert f"{dirty}:7: malformed JSON" in str(engine_error.value)
    assert not (tmp_path / "out").exists()


def test_on_invalid_skip_writes_what_the_clean_file_gives_and_lists_each_skipped_row(tmp_path):
    dirty, clean, expected = dirty_file(tmp_path)
    reference = tmp_path / "reference"
    run_transform(str(clean), POOLED, str(reference))
    summary = run_transform(str(dirty), POOLED, str(tmp_path / "out"), on_invalid="skip", chunk_size=4,
                            executor=make_executor("local", workers=2))
    # the pool (ignore-above/below borrow other prompts) holds the admitted rows only
    assert differing_files(reference, tmp_path / "out", ignore=("manifest.json",)) == []
    invalid = manifest(tmp_path / "out")["invalid"]
    assert invalid["policy"] == "skip" and invalid["skipped"] == len(expected) == summary["invalid"]["skipped"]
    assert [(item["line"], item["reason"][:len(why)]) for item, (_, why) in zip(invalid["items"], expected,
                                                                                  strict=True)] == expected
    assert summary["source"]["items"] == 12


def test_an_empty_response_no_longer_sinks_the_run(tmp_path):
    """The report: one empty response in a large file aborted everything (exit 2, no way to go on)."""
    records = real_pairs(30)
    records[17] = dict(records[17], rejected=[""])
    source = write_jsonl(tmp_path / "one-empty.jsonl", records)
    with pytest.raises(DataError, match=r"one-empty.jsonl:18: field 'rejected': response 0 is empty"):
        run_transform(str(source), "rot13", str(tmp_path / "a"))
    summary = run_transform(str(source), "rot13", str(tmp_path / "b"), on_invalid="skip")
    assert summary["source"]["items"] == 29
    assert manifest(tmp_path / "b")["invalid"]["items"] == [
        {"line": 18, "field": "rejected", "reason": "response 0 is empty"}]


# -- checks before work ------------------------------------------------------------------------------
def test_an_output_folder_that_is_not_a_transform_run_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(SpecError, match="is not an earlier `judgekit transform` output"):
        run_transform("sample", "rot13", str(tmp_path / "out"))
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_a_foreign_folder_where_the_partial_run_would_go_is_refused(tmp_path):
    (tmp_path / ".out.judgekit-partial").mkdir()
    (tmp_path / ".out.judgekit-partial" / "x").write_text("mine")
    with pytest.raises(SpecError, match="is not an unfinished judgekit run"):
        run_transform("sample", "rot13", str(tmp_path / "out"))
    assert (tmp_path / ".out.judgekit-partial" / "x").read_text() == "mine"


def test_bad_settings_fail_before_reading(tmp_path):
    with pytest.raises(SpecError, match="--on-invalid must be one of fail, skip"):
        run_transform("sample", "rot13", str(tmp_path / "out"), on_invalid="ignore")
    with pytest.raises(SpecError, match="need\\(s\\) an LLM backend"):
        run_transform("sample", "paraphrase", str(tmp_path / "out"))
    with pytest.raises(SpecError, match="--ray-address needs --engine ray"):
        make_executor("local", ray_address="auto")
    with pytest.raises(SpecError, match="--engine must be one of local, ray"):
        make_executor("spark")
