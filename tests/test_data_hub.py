"""Hub ids and the local mirror: shipped suites work after `pip install`, offline through JUDGEKIT_DATA_MIRROR."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from judgekit.data import select_examples
from judgekit.data.hub import KNOWN, MIRROR_ENV, resolve_hub
from judgekit.errors import DataError
from tests.conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != MIRROR_ENV}
    full.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "judgekit.cli.main", *args], capture_output=True, text=True,
                          timeout=300, env=full)


def test_without_the_mirror_and_offline_a_shipped_suite_fails_with_one_clear_line(tmp_path):
    result = _cli("eval", "llmbar-chat-hard", "-j", "minilm-rm", "--out", str(tmp_path / "run"),
                  env={"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "JUDGEKIT_CACHE": str(tmp_path / "c")})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "allenai/reward-bench" in lines[0] and MIRROR_ENV in lines[0]
    assert not (tmp_path / "run").exists()


def test_with_the_mirror_a_shipped_suite_runs(tmp_path, shared_data):
    result = _cli("eval", "llmbar-chat-hard", "-j", "minilm-rm", "-t", "rot13", "--limit-per-subset", "2",
                  "--out", str(tmp_path / "run"),
                  env={MIRROR_ENV: str(shared_data), "JUDGEKIT_CACHE": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["suite"]["subsets"] == {s: 2 for s in ("llmbar-adver-GPTInst", "llmbar-adver-GPTOut",
                                                         "llmbar-adver-manual", "llmbar-adver-neighbor",
                                                         "llmbar-natural")}
    # every input is traced to the mirror file it was read from, with its hash
    assert {Path(i["path"]).name for i in report["inputs"]} == {f"{n}.json" for n in
                                                               ("natural", "neighbor", "gptinst", "gptout", "manual")}
    assert all(i["source"] == "allenai/reward-bench" and len(i["sha256"]) == 64 for i in report["inputs"])


def test_known_hub_ids_map_to_the_benchmark_files(monkeypatch, tmp_path):
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path))
    (tmp_path / "judgebench").mkdir()
    (tmp_path / "judgebench" / "gpt-4o.jsonl").write_text("{}\n")
    parts = resolve_hub("ScalerLab/JudgeBench")
    assert [Path(p.source).name for p in parts] == ["gpt-4o.jsonl"] and parts[0].display == "ScalerLab/JudgeBench"
    with pytest.raises(DataError, match="lacks llmbar/natural.json"):
        resolve_hub("princeton-nlp/LLMBar")
    with pytest.raises(DataError, match="no split 'nope'"):
        resolve_hub("ScalerLab/JudgeBench", split="nope")
    # a mirror copy of any other hub id lives at <mirror>/org/name
    (tmp_path / "org" / "name").mkdir(parents=True)
    (tmp_path / "org" / "name" / "a.jsonl").write_text("{}\n")
    assert [Path(p.source).name for p in resolve_hub("org/name")] == ["a.jsonl"]
    monkeypatch.delenv(MIRROR_ENV)
    online = resolve_hub("ScalerLab/JudgeBench")
    assert [(p.source, p.split, p.hub) for p in online] == [("ScalerLab/JudgeBench", "gpt", True)]


def test_every_known_dataset_reads_from_the_shared_mirror(monkeypatch, shared_data):
    monkeypatch.setenv(MIRROR_ENV, str(shared_data))
    counts = {}
    for hub_id, known in KNOWN.items():
        if not any(p.mirror for p in known.parts):
            continue
        selected = select_examples({"sources": [hub_id], "limit_per_subset": 3})
        items = list(selected)
        counts[hub_id] = len(items)
        assert all(i.source == hub_id and i.sha256 for i in selected.inputs())
    assert counts["allenai/reward-bench"] == counts["princeton-nlp/LLMBar"] == 15  # 5 subsets x 3
    assert counts["allenai/reward-bench-2"] == 18 and counts["THU-KEG/RM-Bench"] == 12
    assert counts["ScalerLab/JudgeBench"] == 12


def test_selection_rules_skip_limit_subsets_and_duplicate_ids(tmp_path):
    first = list(select_examples({"sources": ["sample"], "subsets": ["chat-*"], "skip_per_subset": 1,
                                  "limit_per_subset": 2, "limit": 3}))
    assert len(first) == 3 and all(e.subset.startswith("chat-") for e in first)
    copy = tmp_path / "copy.jsonl"
    copy.write_text((ROOT / "judgekit" / "data" / "sample.jsonl").read_text())
    with pytest.raises(DataError, match="duplicate id .*prefix_ids"):
        list(select_examples({"sources": ["sample", str(copy)]}))
    both = list(select_examples({"sources": ["sample", str(copy)], "prefix_ids": True}))
    assert len(both) == 120 and both[0].id.startswith("sample/") and both[-1].id.startswith("copy/")


def test_invalid_rows_can_be_skipped_and_are_counted_with_their_place(tmp_path):
    lines = (ROOT / "judgekit" / "data" / "sample.jsonl").read_text().splitlines()[:5]
    broken = [lines[0], "{not json", lines[1], json.dumps({**json.loads(lines[2]), "chosen": [""]}), lines[3]]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(broken) + "\n")
    with pytest.raises(DataError, match=r"d.jsonl:2"):
        list(select_examples({"sources": [str(path)]}))
    selected = select_examples({"sources": [str(path)], "on_invalid": "skip"})
    assert len(list(selected)) == 3 and selected.skipped_count == 2
    assert [w.rsplit(":", 1)[1] for w, _ in selected.skipped] == ["2", "4"]
    assert "empty" in selected.skipped[1][1]
    assert selected.inputs()[0].skipped == 2


def test_shared_data_mirror_is_what_tests_use():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found: {SHARED_DATA}")
    assert os.environ[MIRROR_ENV] == str(SHARED_DATA)
