"""Never lose a user's files, never report a failed run as a success (issue 10).

Each test runs the CLI the way a user does (a subprocess) and checks what is on disk and the exit code.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fake_openai import FakeOpenAI, last_user_message

ROOT = Path(__file__).resolve().parent.parent


def jk(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, as_nobody: bool = False,
       timeout: int = 300) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "judgekit.cli.main", *args]
    if as_nobody:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=full_env)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)


def user_folder(path: Path) -> Path:
    """A folder holding a user's own text file and sub-folder."""
    (path / "notes").mkdir(parents=True)
    (path / "thesis.txt").write_text("four years of work\n")
    (path / "notes" / "draft.md").write_text("do not delete\n")
    return path


def assert_user_files_intact(path: Path) -> None:
    assert (path / "thesis.txt").read_text() == "four years of work\n"
    assert (path / "notes" / "draft.md").read_text() == "do not delete\n"


def rule_recipe(tmp_path: Path) -> Path:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"name": "rules", "data": {"sources": ["sample"], "limit": 4},
                                      "transforms": ["rot13"]}))
    return recipe


def broken_model_folder(tmp_path: Path) -> Path:
    """A 'reward model' folder whose loading would fail loudly: proves a check ran before any model load."""
    folder = tmp_path / "never-loaded-rm"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert", "this folder": "must never be loaded"}')
    (folder / "model.safetensors").write_bytes(b"not weights")
    return folder


def suite_file(tmp_path: Path, **changes) -> Path:
    suite = {"name": "mini", "data": {"sources": ["sample"], "limit_per_subset": 1}, "transforms": ["rot13"]}
    suite.update(changes)
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


# -- 1. user files are never deleted -------------------------------------------------------------------
def test_synth_refuses_a_folder_with_user_files(tmp_path):
    out = user_folder(tmp_path / "mine")
    result = jk("synth", str(rule_recipe(tmp_path)), "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert "mine" in result.stderr and "--overwrite" in result.stderr
    assert_user_files_intact(out)


def test_synth_overwrite_keeps_user_files(tmp_path):
    out = user_folder(tmp_path / "mine")
    result = jk("synth", str(rule_recipe(tmp_path)), "--out", str(out), "--overwrite")
    assert result.returncode == 0, result.stderr
    assert_user_files_intact(out)
    assert (out / "rot13.jsonl").is_file() and (out / "manifest.json").is_file()


def test_a_rerun_replaces_its_own_earlier_output(tmp_path):
    out = tmp_path / "out"
    recipe = rule_recipe(tmp_path)
    assert jk("synth", str(recipe), "--out", str(out)).returncode == 0
    first = (out / "rot13.jsonl").read_bytes()
    rerun = jk("synth", str(recipe), "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert (out / "rot13.jsonl").read_bytes() == first
    # another command's output is not "its own": transform refuses to write over a synth folder
    other = jk("transform", "sample", "-t", "rot13", "--out", str(out))
    assert other.returncode == 2 and "synth" in other.stderr


def test_out_dot_home_and_root_are_always_refused(tmp_path):
    work = user_folder(tmp_path / "cwd")
    for target in (".", str(Path.home()), "/"):
        result = jk("synth", str(rule_recipe(tmp_path)), "--out", target, "--overwrite", cwd=work)
        assert result.returncode == 2, (target, result.stderr)
        assert "Traceback" not in result.stderr
    assert_user_files_intact(work)
    assert sorted(p.name for p in work.iterdir()) == ["notes", "thesis.txt"]


def test_out_may_not_be_a_parent_of_the_input(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(ROOT / "judgekit" / "data" / "sample.jsonl", data / "sample.jsonl")
    result = jk("transform", str(data / "sample.jsonl"), "-t", "rot13", "--out", str(data), "--overwrite")
    assert result.returncode == 2 and "input" in result.stderr
    assert (data / "sample.jsonl").is_file()


def test_convert_to_a_folder_with_user_files_is_refused(tmp_path):
    out = user_folder(tmp_path / "mine")
    result = jk("data", "convert", "sample", str(out))
    assert result.returncode == 2, result.stderr
    assert_user_files_intact(out)


def test_eval_refuses_a_folder_with_user_files_before_loading_a_model(tmp_path):
    out = user_folder(tmp_path / "mine")
    result = jk("eval", str(suite_file(tmp_path)), "-j", str(broken_model_folder(tmp_path)), "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert "mine" in result.stderr and "must never be loaded" not in result.stderr
    assert_user_files_intact(out)


def test_transform_overwrite_touches_only_its_own_files(tmp_path):
    out = tmp_path / "t"
    assert jk("transform", "sample", "-t", "rot13,add-quotes", "--out", str(out)).returncode == 0
    (out / "mine.txt").write_text("keep me")
    result = jk("transform", "sample", "-t", "rot13", "--out", str(out))
    assert result.returncode == 2  # a folder with a user's file is not purely judgekit's any more
    result = jk("transform", "sample", "-t", "rot13", "--out", str(out), "--overwrite")
    assert result.returncode == 0, result.stderr
    assert (out / "mine.txt").read_text() == "keep me"
    assert not (out / "add-quotes.jsonl").exists()  # judgekit's own earlier file, not part of this output
    assert (out / "rot13.jsonl").is_file()


@pytest.mark.slow
def test_train_refuses_an_output_folder_with_user_files(tmp_path):
    out = user_folder(tmp_path / "mine")
    result = jk("train", "demo-standard", "--set", f"output_dir={out}", "--set", "optim.max_steps=1")
    assert result.returncode == 2, result.stderr
    assert_user_files_intact(out)


# -- 5. cheap checks before expensive work ------------------------------------------------------------------
@pytest.fixture
def world_tmp():
    """A temporary folder any user can reach (pytest's own is private to root), removed afterwards."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="judgekit-ro-"))
    folder.chmod(0o777)
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir():
            path.chmod(0o777)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("command", ["transform", "synth", "convert", "eval"])
def test_read_only_target_is_refused_before_any_work(world_tmp, command):
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permission bits are not enforced for root")
    tmp_path = world_tmp
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    target = str(locked / "out")
    home = tmp_path / "home"
    home.mkdir(mode=0o777)
    env = {"HOME": str(home), "JUDGEKIT_CACHE": str(home / "cache")}
    args = {
        "transform": ["transform", "sample", "-t", "rot13", "--out", target],
        "synth": ["synth", str(rule_recipe(tmp_path)), "--out", target],
        "convert": ["data", "convert", "sample", target + ".jsonl"],
        "eval": ["eval", str(suite_file(tmp_path)), "-j", str(broken_model_folder(tmp_path)), "--out", target],
    }[command]
    for path in [tmp_path, *tmp_path.rglob("*")]:  # the unprivileged user reads the inputs, not the target
        if path != locked:
            path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
    result = jk(*args, env=env, as_nobody=os.geteuid() == 0)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "not writable" in result.stderr and str(locked) in result.stderr
    assert "Traceback" not in result.stderr and "must never be loaded" not in result.stderr
    assert list(locked.iterdir()) == []


def test_unknown_transform_is_rejected_before_a_model_loads(tmp_path):
    result = jk("eval", str(suite_file(tmp_path)), "-j", str(broken_model_folder(tmp_path)), "-t", "nosuch",
                "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "unknown transform 'nosuch'" in result.stderr and "must never be loaded" not in result.stderr


def test_a_missing_template_is_rejected_before_data_is_read(tmp_path):
    judge = tmp_path / "judge.yaml"
    judge.write_text(yaml.safe_dump({"kind": "generative", "backend": "mock", "template": "judge/nosuch"}))
    result = jk("eval", str(suite_file(tmp_path, data={"sources": ["no/such/file.jsonl"]})), "-j", str(judge),
                "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "judge/nosuch" in result.stderr


# -- 6. empty input ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["", "[]", "\n\n  \n"])
def test_empty_input_is_an_error(tmp_path, content):
    source = tmp_path / ("empty.json" if content == "[]" else "empty.jsonl")
    source.write_text(content)
    for args in (["transform", str(source), "-t", "rot13", "--out", str(tmp_path / "t")],
                 ["data", "convert", str(source), str(tmp_path / "c.jsonl")]):
        result = jk(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert f"no items in {source}" in result.stderr
    assert not (tmp_path / "t").exists() and not (tmp_path / "c.jsonl").exists()


# -- 7. permissions and escaping ------------------------------------------------------------------------------
def test_outputs_get_normal_permissions(tmp_path):
    for args, folder in ((["transform", "sample", "-t", "rot13", "--out", str(tmp_path / "t")], "t"),
                         (["synth", str(rule_recipe(tmp_path)), "--out", str(tmp_path / "s")], "s")):
        result = subprocess.run(["sh", "-c", 'umask 022 && exec "$@"', "sh", sys.executable, "-m",
                                 "judgekit.cli.main", *args], capture_output=True, text=True, timeout=300,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode == 0, result.stderr
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o755
        for file in (tmp_path / folder).iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o644, file


def test_report_md_escapes_names(tmp_path, tiny_bert_dir):
    hostile = "<script>alert(1)</script>"
    out = tmp_path / "run"
    result = jk("eval", str(suite_file(tmp_path, name=hostile)), "-j", str(tiny_bert_dir), "--out", str(out))
    assert result.returncode == 0, result.stderr
    markdown = (out / "report.md").read_text()
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown


# -- 2. overrides compose: shorthand flags first, then --set ------------------------------------------------
def paraphrase_reply(body) -> str:
    message = last_user_message(body)
    text = message.split("\nText:\n", 1)[-1]
    return f"In other words, {text}"


@pytest.mark.api
def test_set_after_backend_flag_is_honoured(tmp_path):
    recipe = tmp_path / "para.yaml"
    recipe.write_text(yaml.safe_dump({"name": "para", "data": {"sources": ["sample"], "limit": 12},
                                      "transforms": [{"name": "paraphrase", "args": {"min_similarity": 0}}]}))
    with FakeOpenAI(reply=paraphrase_reply, latency=0.1) as server:
        result = jk("synth", str(recipe), "--backend", f"openai:fake@{server.base_url}",
                    "--set", "backend.concurrency=2", "--out", str(tmp_path / "out"))
        assert result.returncode == 0, result.stderr
        assert server.max_in_flight == 2


def test_readme_cost_example_prints_the_cost(tmp_path):
    result = jk("synth", "rewordbench-test", "--set", "data.sources=[sample]", "--set", "data.limit=4",
                "--backend", "openai:gpt-4o-mini", "--set", "backend.price_input_per_mtok=0.15",
                "--set", "backend.price_output_per_mtok=0.6", "--dry-run",
                env={"OPENAI_API_KEY": "sk-test-not-used"})
    assert result.returncode == 0, result.stderr
    assert "no prices given" not in result.stdout
    assert "est. cost (USD)" in result.stdout


def pairwise_reply(body) -> str:
    return "[[A]]"


@pytest.mark.api
def test_eval_set_points_a_shipped_judge_elsewhere(tmp_path):
    with FakeOpenAI(reply=pairwise_reply) as server:
        result = jk("eval", str(suite_file(tmp_path)), "-j", "openai-pairwise",
                    "--set", f"judges.0.backend.base_url={server.base_url}", "--set", "judges.0.backend.model=fake",
                    "--out", str(tmp_path / "run"), env={"OPENAI_API_KEY": "sk-test-not-used"})
        assert result.returncode == 0, result.stderr
        assert len(server.log) > 0
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["judges"][0]["identity"]["backend"]["base_url"] == server.base_url


# -- 3. the cache key and labels are the request actually sent ----------------------------------------------
@pytest.mark.api
def test_openai_base_url_from_the_environment_is_what_is_recorded(tmp_path, monkeypatch):
    with FakeOpenAI(reply=pairwise_reply) as server:
        env = {"OPENAI_API_KEY": "sk-test-not-used", "OPENAI_BASE_URL": server.base_url}
        result = jk("eval", str(suite_file(tmp_path)), "-j", "openai-pairwise", "--out", str(tmp_path / "run"),
                    env=env)
        assert result.returncode == 0, result.stderr
        assert len(server.log) > 0
    identity = json.loads((tmp_path / "run" / "report.json").read_text())["judges"][0]["identity"]["backend"]
    assert identity["base_url"] == server.base_url
    # the cache key is built from the same identity: without the variable the judge targets api.openai.com,
    # whose requests must not be served the local server's answers
    from judgekit.backends import load_backend

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    spec = {"backend": "openai", "model": "gpt-4o-mini"}
    assert load_backend(spec).identity()["base_url"] == "https://api.openai.com/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    assert load_backend(spec).identity()["base_url"] == server.base_url
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv("OPENAI_API_BASE", server.base_url + "/")
    assert load_backend(spec).identity()["base_url"] == server.base_url


# -- 4. exit codes that tell the truth -------------------------------------------------------------------------
@pytest.mark.api
def test_unauthorised_synth_stops_at_once_and_exits_non_zero(tmp_path):
    recipe = tmp_path / "para.yaml"
    recipe.write_text(yaml.safe_dump({"name": "para", "data": {"sources": ["sample"], "limit": 20},
                                      "transforms": [{"name": "paraphrase", "args": {"max_attempts": 3}}]}))
    with FakeOpenAI(fail_status={"": 401}) as server:
        result = jk("synth", str(recipe), "--backend", f"openai:fake@{server.base_url}",
                    "--set", "backend.concurrency=4", "--out", str(tmp_path / "out"))
        assert result.returncode == 4, (result.stdout, result.stderr)
        assert len(server.log) <= 4
    assert "401" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.api
def test_unauthorised_eval_stops_at_once_and_exits_non_zero(tmp_path):
    with FakeOpenAI(fail_status={"": 401}) as server:
        result = jk("eval", str(suite_file(tmp_path)), "-j", "openai-pairwise",
                    "--set", f"judges.0.backend.base_url={server.base_url}", "--set", "judges.0.backend.concurrency=4",
                    "--out", str(tmp_path / "run"), env={"OPENAI_API_KEY": "sk-test-not-used"})
        assert result.returncode == 4, (result.stdout, result.stderr)
        assert len(server.log) <= 4


@pytest.mark.api
def test_failed_calls_are_written_then_reported_with_a_non_zero_exit(tmp_path):
    recipe = tmp_path / "para.yaml"
    recipe.write_text(yaml.safe_dump({"name": "para", "data": {"sources": ["sample"], "limit": 3},
                                      "transforms": [{"name": "paraphrase", "args": {"max_attempts": 1}}, "rot13"]}))
    with FakeOpenAI(fail_status={"": 500}) as server:
        result = jk("synth", str(recipe), "--backend", f"openai:fake@{server.base_url}",
                    "--set", "backend.max_retries=0", "--out", str(tmp_path / "out"))
    assert result.returncode == 3, (result.stdout, result.stderr)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["usage"]["failures"] > 0
    assert (tmp_path / "out" / "rot13.jsonl").is_file()


@pytest.mark.api
def test_call_errors_parse_failures_and_ties_are_counted_apart(tmp_path):
    from tests.fake_openai import request_key

    def reply(body) -> str:  # a quarter unparseable, a quarter ties, the rest a verdict
        first = request_key(body)[0]
        return "I cannot decide" if first in "0123" else "[[C]]" if first in "4567" else "[[A]]"

    with FakeOpenAI(reply=reply, fail_status={"00": 500}) as server:
        result = jk("eval", str(suite_file(tmp_path)), "-j", "openai-pairwise",
                    "--set", f"judges.0.backend.base_url={server.base_url}", "--set", "judges.0.backend.max_retries=0",
                    "--out", str(tmp_path / "run"), env={"OPENAI_API_KEY": "sk-test-not-used"})
    assert result.returncode == 3, (result.stdout, result.stderr)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    original = next(r for r in report["results"] if r["variant"] == "original")
    assert original["call_error_rate"] > 0 and original["tie_rate"] > 0 and original["parse_failure_rate"] > 0
    assert original["call_error_rate"] + original["parse_failure_rate"] + original["tie_rate"] <= 1.0
    stats = report["judges"][0]["stats"]
    assert stats["call_errors"] > 0
    assert "call err" in result.stdout and "parse fail" in result.stdout
