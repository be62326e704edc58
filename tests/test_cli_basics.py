"""The CLI starts fast without torch, and `data inspect --json` / `ls` say what they should."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import shared_file


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "judgekit.cli.main", *args], capture_output=True, text=True,
                          timeout=120, check=check)


def test_help_does_not_import_torch_or_transformers():
    code = ("import sys; from judgekit.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'transformers', 'datasets', 'openai', 'vllm') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "HEAVY []" in result.stdout, result.stdout
    assert "data" in result.stdout and "ls" in result.stdout


def test_inspect_json_on_llmbar():
    path = shared_file("llmbar/natural.json")
    report = json.loads(run("data", "inspect", str(path), "--json").stdout)
    assert report["count"] == 100
    assert report["format"] == "llmbar"
    assert report["subsets"] == {"llmbar-natural": 100}
    assert report["chosen_x_rejected"] == {"1x1": 100}


def test_inspect_sample_human_output():
    out = run("data", "inspect", "sample").stdout
    assert "format: judgekit" in out
    for subset in ("chat-easy", "chat-hard-if", "safety-refuse", "safety-comply", "code-python", "math"):
        assert subset in out


def test_ls_lists_formats():
    out = run("ls", "formats").stdout
    for name in ("rewardbench", "rewardbench2", "rm-bench", "judgebench", "llmbar", "hh-rlhf", "trl", "judgekit"):
        assert name in out


def test_convert_then_inspect(tmp_path):
    out = tmp_path / "chat.parquet"
    run("data", "convert", str(shared_file("rm-bench/chat.json")), str(out))
    report = json.loads(run("data", "inspect", str(out), "--json").stdout)
    assert report["count"] == 129 and report["format"] == "judgekit" and report["chosen_x_rejected"] == {"3x3": 129}
