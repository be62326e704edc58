"""Every bad-input case exits 2 with file, line/row, field and a fix; nothing partial is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from judgekit.data import load_examples
from judgekit.errors import DataError, RegistryError

GOOD = {"id": "a", "prompt": [{"role": "user", "content": "q"}], "chosen": ["x"], "rejected": ["y"], "subset": "s", "meta": {}}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "judgekit.cli.main", *args], capture_output=True, text=True, timeout=120)


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


@pytest.mark.parametrize(
    ("rows", "needles"),
    [
        ([GOOD, "{not json", {**GOOD, "id": "b"}], [":2:", "malformed JSON"]),
        ([GOOD, {**GOOD, "id": "b", "chosen": None}], [":2:", "field 'chosen'"]),
        ([{k: v for k, v in GOOD.items() if k != "rejected"}], [":1:", "rejected"]),
        ([GOOD, {**GOOD, "id": "b", "chosen": "x"}], [":2:", "field 'chosen'"]),
        ([GOOD, {**GOOD, "id": "b", "rejected": ["   "]}], [":2:", "field 'rejected'", "empty"]),
        ([GOOD, {**GOOD, "id": "c"}, {**GOOD, "id": "a"}], [":3:", "field 'id'", "duplicate id 'a'"]),
    ],
    ids=["malformed-json", "null-field", "missing-field", "wrong-type", "empty-response", "duplicate-id"],
)
def test_bad_records_name_file_line_field_and_write_nothing(tmp_path, rows, needles):
    source = write_jsonl(tmp_path / "bad.jsonl", rows)
    out = tmp_path / "out.jsonl"
    result = run_cli("data", "convert", str(source), str(out), "--format", "judgekit")
    assert result.returncode == 2, result.stderr
    message = result.stderr
    assert str(source) in message
    for needle in needles:
        assert needle in message
    assert "Traceback" not in message
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.jsonl"]  # no temp file left behind


def test_malformed_json_array_reports_line(tmp_path):
    source = tmp_path / "bad.json"
    source.write_text('[\n  {"input": "a", "output_1": "b", "output_2": "c", "label": 1},\n  {"input": "a",, }\n]\n')
    with pytest.raises(DataError) as info:
        load_examples(source)
    assert info.value.line == 3
    assert "bad.json:3" in str(info.value)


def test_llmbar_bad_label_names_row_and_field(tmp_path):
    source = tmp_path / "natural.json"
    source.write_text(json.dumps([{"input": "a", "output_1": "b", "output_2": "c", "label": 3}]))
    with pytest.raises(DataError, match=r"natural.json:1: field 'label': label must be 1 or 2"):
        load_examples(source)


def test_unreadable_file(tmp_path):
    source = write_jsonl(tmp_path / "locked.jsonl", [GOOD])
    os.chmod(source, 0)
    try:
        if os.access(source, os.R_OK):
            pytest.skip("running as a user who can read any file (root); permission bits are not enforced")
        result = run_cli("data", "inspect", str(source))
        assert result.returncode == 2
        assert "not readable" in result.stderr
    finally:
        os.chmod(source, 0o644)


def test_unreadable_file_as_root_is_still_a_clear_error(tmp_path):
    source = tmp_path / "binary.jsonl"
    source.write_bytes(b"\xff\xfe\x00garbage\n")
    result = run_cli("data", "inspect", str(source))
    assert result.returncode == 2
    assert "binary.jsonl" in result.stderr and "UTF-8" in result.stderr


def test_missing_file(tmp_path):
    result = run_cli("data", "inspect", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_unknown_format_lists_the_known_ones(tmp_path):
    source = write_jsonl(tmp_path / "d.jsonl", [GOOD])
    result = run_cli("data", "inspect", str(source), "--format", "rewardbnch")
    assert result.returncode == 2
    assert "unknown format 'rewardbnch'" in result.stderr
    assert "rewardbench" in result.stderr and "llmbar" in result.stderr
    with pytest.raises(RegistryError):
        load_examples(source, format="nope")


def test_undetectable_format(tmp_path):
    source = write_jsonl(tmp_path / "d.jsonl", [{"question": "q", "answer": "a"}])
    result = run_cli("data", "inspect", str(source))
    assert result.returncode == 2
    assert "cannot tell the format" in result.stderr and "--format" in result.stderr


def test_hub_id_offline_fails_clearly():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "judgekit.cli.main", "data", "inspect", "allenai/reward-bench-2-nonexistent"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2
    assert "allenai/reward-bench-2-nonexistent" in result.stderr
    assert "no local file or folder" in result.stderr and "JUDGEKIT_DATA_MIRROR" in result.stderr
    assert "Traceback" not in result.stderr


def test_failed_convert_keeps_previous_output(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    source = write_jsonl(tmp_path / "bad.jsonl", [GOOD, {**GOOD}])  # duplicate id on line 2
    result = run_cli("data", "convert", str(source), str(out), "--overwrite")
    assert result.returncode == 2 and "duplicate id" in result.stderr
    assert out.read_text() == "previous\n"


def test_missing_path_under_an_existing_folder_is_not_sent_to_the_hub(tmp_path):
    (tmp_path / "runs").mkdir()
    result = subprocess.run([sys.executable, "-m", "judgekit.cli.main", "data", "inspect", "runs/synth"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert "runs/synth" in result.stderr and "no such file or directory" in result.stderr
    assert "could not load hub dataset" not in result.stderr
