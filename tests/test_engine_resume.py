"""A killed run resumes from its committed chunks, redoes only what was in flight, and ends with the
bytes an uninterrupted run writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from judgekit.data.selection import data_selection
from judgekit.engine import make_executor
from judgekit.engine.transform_run import run_transform
from judgekit.errors import DataError
from tests.conftest import ROOT
from tests.engine_fixtures import StopAfter, differing_files, real_pairs, write_jsonl

SELECTED = "char-swap,rot13,add-quotes"
POOLED = "ignore-above,code-append-other,rot13"


def work_dir_for(out):
    return out.parent / f".{out.name}.judgekit-partial"


def committed(out) -> int:
    journal = work_dir_for(out) / ".state" / "journal.jsonl"
    if not journal.exists():
        return 0
    return sum(1 for line in journal.read_bytes().split(b"\n")[:-1] if line.strip())


@pytest.mark.slow
def test_kill_9_mid_run_then_resume_redoes_only_uncommitted_chunks(tmp_path):
    source = write_jsonl(tmp_path / "big.jsonl", real_pairs(), copies=2)
    rows = source.read_bytes().count(b"\n")
    reference = tmp_path / "reference"
    run_transform(str(source), SELECTED, reference, chunk_size=5000, executor=make_executor("local", workers=2))

    out = tmp_path / "out"
    command = [sys.executable, "-m", "judgekit.cli.main", "transform", str(source), "-t", SELECTED, "--out",
               str(out), "--workers", "2", "--chunk-size", "50"]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while committed(out) < 5 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, "the run ended before it could be killed: make the input larger"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the run and its worker processes, as kill -9 would
        process.wait()
    done = committed(out)
    total = -(-rows // 50)
    assert 5 <= done < total
    assert not out.exists()

    result = run_transform(str(source), SELECTED, out, chunk_size=50, executor=make_executor("local", workers=2))
    assert result.run.resumed_chunks == done
    assert result.run.ran_chunks == total - done
    assert differing_files(reference, out) == []
    assert not work_dir_for(out).exists()


@pytest.mark.parametrize("stop_after", [2, 9 + 4], ids=["during-the-pool-pass", "after-the-pool-pass"])
def test_an_interrupted_run_with_a_pool_resumes_identically(tmp_path, stop_after):
    source = write_jsonl(tmp_path / "pairs.jsonl", real_pairs(430))  # 9 chunks of 50
    reference = tmp_path / "reference"
    run_transform(str(source), POOLED, reference)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_transform(str(source), POOLED, out, chunk_size=50, executor=StopAfter(stop_after, workers=2))
    result = run_transform(str(source), POOLED, out, chunk_size=50, executor=make_executor("local"))
    assert result.run.resumed_chunks == max(0, stop_after - 9)
    assert differing_files(reference, out) == []


def test_bytes_written_after_the_last_journal_line_are_cut_off(tmp_path):
    source = write_jsonl(tmp_path / "pairs.jsonl", real_pairs(300))
    reference = tmp_path / "reference"
    run_transform(str(source), SELECTED, reference)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_transform(str(source), SELECTED, out, chunk_size=40, executor=StopAfter(3, workers=2))
    work = work_dir_for(out)
    with open(work / "rot13.jsonl", "ab") as handle:  # a chunk half-appended when the process died
        handle.write(b'{"id": "half a line')
    with open(work / ".state" / "journal.jsonl", "ab") as handle:  # and its journal line torn
        handle.write(b'{"chunk": 3, "sizes": {"orig')
    result = run_transform(str(source), SELECTED, out, chunk_size=40)
    assert result.run.resumed_chunks == 3
    assert differing_files(reference, out) == []


def test_a_partial_run_with_other_settings_is_started_over(tmp_path):
    source = write_jsonl(tmp_path / "pairs.jsonl", real_pairs(200))
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_transform(str(source), SELECTED, out, chunk_size=40, executor=StopAfter(2, workers=2))
    result = run_transform(str(source), SELECTED, out, chunk_size=40, seed=1)
    assert result.run.resumed_chunks == 0 and result.run.discarded_partial_run
    reference = tmp_path / "reference"
    run_transform(str(source), SELECTED, reference, seed=1)
    assert differing_files(reference, out) == []


def test_a_run_stopped_by_a_bad_row_resumes_with_on_invalid_skip(tmp_path):
    records = real_pairs(200)
    records[130] = dict(records[130], chosen=[""])
    source = write_jsonl(tmp_path / "pairs.jsonl", records)
    out = tmp_path / "out"
    with pytest.raises(DataError, match=":131: field 'chosen'"):
        run_transform(str(source), SELECTED, out, chunk_size=40)
    skip = data_selection(sources=[str(source)], on_invalid="skip")
    result = run_transform(skip, SELECTED, out, chunk_size=40)
    assert result.run.resumed_chunks == 3  # rows 0-119 were committed before the bad row's chunk
    reference = tmp_path / "reference"
    run_transform(skip, SELECTED, reference)
    assert differing_files(reference, out) == []
    assert json.loads((out / "manifest.json").read_text())["inputs"][0]["skipped"] == 1
