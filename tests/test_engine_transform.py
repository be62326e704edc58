"""The streaming `transform` pipeline writes what the in-memory path writes, for any chunk size, worker
count and executor, and applies --on-invalid row by row with the reader's own messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgekit.data import load_examples
from judgekit.data.selection import data_selection
from judgekit.engine import make_executor
from judgekit.engine.transform_run import run_transform
from judgekit.errors import DataError, OutputError, SpecError
from tests.conftest import shared_file
from tests.engine_fixtures import differing_files, in_memory, real_pairs, write_jsonl

POOLED = "char-swap,ignore-above,ignore-below,code-append-other,rot13,add-quotes+punct-spaces"


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("chunk_size", "workers"), [(1, 1), (7, 2), (10_000, 2)])
def test_sample_with_every_transform_matches_the_in_memory_run(tmp_path, chunk_size, workers):
    reference = in_memory("sample", "all", tmp_path / "reference", seed=3)
    result = run_transform("sample", "all", tmp_path / "out", seed=3, chunk_size=chunk_size,
                           executor=make_executor("local", workers=workers))
    assert differing_files(reference, tmp_path / "out") == []
    assert result.run.chunks == -(-60 // chunk_size)
    assert result.manifest.transforms[0].not_applicable_items == []  # the lists stay on disk, not in memory


@pytest.mark.parametrize("relative", ["judgebench/gpt-4o.jsonl", "rm-bench/code.json"])
def test_real_files_match_the_in_memory_run(tmp_path, relative):
    """A JSONL file (read by byte ranges in the workers) and a JSON array (streamed by the driver)."""
    source = str(shared_file(relative))
    reference = in_memory(source, POOLED, tmp_path / "reference", seed=3)
    run_transform(source, POOLED, tmp_path / "out", seed=3, chunk_size=37, executor=make_executor("local", workers=2))
    assert differing_files(reference, tmp_path / "out") == []


def test_a_selection_with_limits_and_two_sources_is_streamed_by_the_driver(tmp_path):
    selection = data_selection(sources=["sample", str(shared_file("judgebench/gpt-4o.jsonl"))], limit=90)
    reference = in_memory(selection, POOLED, tmp_path / "reference")
    run_transform(selection, POOLED, tmp_path / "out", chunk_size=16, executor=make_executor("local", workers=2))
    assert differing_files(reference, tmp_path / "out") == []
    assert manifest(tmp_path / "out")["original"]["items"] == 90


def test_outputs_do_not_depend_on_chunk_size_or_workers(tmp_path):
    source = write_jsonl(tmp_path / "pairs.jsonl", real_pairs(400))
    folders = []
    for chunk_size, workers in [(1000, 1), (13, 2), (50, 2)]:
        folder = tmp_path / f"out-{chunk_size}-{workers}"
        run_transform(str(source), POOLED, folder, chunk_size=chunk_size, executor=make_executor("local", workers=workers))
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
        run_transform(str(dirty), "rot13", tmp_path / "out", chunk_size=3, executor=make_executor("local", workers=2))
    assert str(engine_error.value) == str(reader_error.value)
    assert f"{dirty}:7: malformed JSON" in str(engine_error.value)
    assert not (tmp_path / "out").exists()


def test_on_invalid_skip_writes_what_the_reader_gives_and_lists_each_skipped_row(tmp_path):
    dirty, clean, expected = dirty_file(tmp_path)
    selection = data_selection(sources=[str(dirty)], on_invalid="skip")
    reference = in_memory(selection, POOLED, tmp_path / "reference")
    result = run_transform(selection, POOLED, tmp_path / "out", chunk_size=4, executor=make_executor("local", workers=2))
    assert differing_files(reference, tmp_path / "out") == []
    # the pool (ignore-above/below borrow other prompts) holds the admitted rows only: as for the clean file
    run_transform(str(clean), POOLED, tmp_path / "clean")
    assert differing_files(tmp_path / "clean", tmp_path / "out", ignore=("manifest.json", "README.md")) == []  # both name their input
    written = manifest(tmp_path / "out")
    assert written["inputs"][0]["skipped"] == len(expected) == result.manifest.inputs[0].skipped
    assert [(int(row["where"].rsplit(":", 1)[1]), row["reason"][:len(why)])
            for row, (_, why) in zip(written["skipped_rows"], expected, strict=True)] == expected
    assert result.manifest.original.items == 12


def test_an_empty_response_no_longer_sinks_the_run(tmp_path):
    """The report: one empty response in a large file aborted everything (exit 2, no way to go on)."""
    records = real_pairs(30)
    records[17] = dict(records[17], rejected=[""])
    source = write_jsonl(tmp_path / "one-empty.jsonl", records)
    with pytest.raises(DataError, match=r"one-empty.jsonl:18: field 'rejected': response 0 is empty"):
        run_transform(str(source), "rot13", tmp_path / "a")
    result = run_transform(data_selection(sources=[str(source)], on_invalid="skip"), "rot13", tmp_path / "b")
    assert result.manifest.original.items == 29
    assert manifest(tmp_path / "b")["skipped_rows"] == [
        {"where": f"{source}:18", "reason": "response 0 is empty (field 'rejected')"}]


# -- checks before work ------------------------------------------------------------------------------
def test_an_output_folder_with_a_users_files_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="judgekit did not write"):
        run_transform("sample", "rot13", tmp_path / "out")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_a_foreign_folder_where_the_partial_run_would_go_is_refused(tmp_path):
    (tmp_path / ".out.judgekit-partial").mkdir()
    (tmp_path / ".out.judgekit-partial" / "x").write_text("mine")
    with pytest.raises(OutputError, match="is not an unfinished `judgekit transform` run"):
        run_transform("sample", "rot13", tmp_path / "out")
    assert (tmp_path / ".out.judgekit-partial" / "x").read_text() == "mine"


def test_bad_settings_fail_before_reading(tmp_path):
    with pytest.raises(SpecError, match="need\\(s\\) an LLM backend"):
        run_transform("sample", "paraphrase", tmp_path / "out")
    with pytest.raises(SpecError, match="--ray-address needs --engine ray"):
        make_executor("local", ray_address="auto")
    with pytest.raises(SpecError, match="--engine must be one of local, ray"):
        make_executor("spark")
    with pytest.raises(SpecError, match="--chunk-size must be >= 1"):
        run_transform("sample", "rot13", tmp_path / "out", chunk_size=0)
    assert not list(tmp_path.iterdir())
