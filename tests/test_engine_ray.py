"""The Ray executor on a real cluster: a head and a second node started with `ray start` on 127.0.0.1.

`judgekit transform --engine ray --ray-address HOST:PORT` writes the bytes the local engine writes, also
when one of the cluster's worker processes is killed mid-run. The cluster is stopped afterwards by killing
exactly the processes it started (found by its own temp folder), never with a machine-wide `ray stop`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from judgekit.engine import make_executor
from judgekit.engine.transform_run import run_transform
from tests.conftest import ROOT
from tests.engine_fixtures import differing_files, real_pairs, write_jsonl

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'judgekit[ray]')")
psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.slow
SELECTED = "char-swap,ignore-above,rot13"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cluster_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["RAY_AUTH_MODE"] = "disabled"  # a private cluster on 127.0.0.1, no token file in $HOME
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    return env


def processes_of(temp: str) -> list:
    """Every process of the cluster: those naming its temp folder, and their descendants (ray:: workers)."""
    found = {}
    mine = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if process.pid not in mine and any(temp in part for part in process.info["cmdline"] or ()):
                found[process.pid] = process
                for child in process.children(recursive=True):
                    found[child.pid] = child
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return [p for p in found.values() if _alive(p)]


def _alive(process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE  # a zombie is dead, only not yet reaped by init
    except psutil.NoSuchProcess:
        return False


def stop_cluster(temp: str) -> None:
    members = processes_of(temp)
    for process in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    _, alive = psutil.wait_procs(members, timeout=5)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(alive, timeout=10)
    shutil.rmtree(temp, ignore_errors=True)
    assert not processes_of(temp)


def _start(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


@pytest.fixture(scope="module")
def ray_cluster():
    temp = tempfile.mkdtemp(prefix="jkray", dir="/tmp")  # short: Ray's unix sockets live under it
    port = free_port()
    env = cluster_env()
    ray_cli = str(Path(sys.executable).parent / "ray")
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats"]
    try:
        _start([ray_cli, "start", "--head", f"--port={port}", f"--temp-dir={temp}", "--include-dashboard=false",
                        f"--dashboard-port={free_port()}", *common],
                       env)
        _start([ray_cli, "start", f"--address=127.0.0.1:{port}", *common], env)
        yield {"address": f"127.0.0.1:{port}", "temp": temp, "env": env}
    finally:
        stop_cluster(temp)


def cli(source: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "judgekit.cli.main", "transform", str(source), "-t", SELECTED, "--out", str(out),
            *extra]


def work_dir_for(out: Path) -> Path:
    return out.parent / f".{out.name}.judgekit-partial"


def test_a_run_through_the_cluster_writes_what_the_local_engine_writes(tmp_path, ray_cluster):
    source = write_jsonl(tmp_path / "pairs.jsonl", real_pairs(900))
    run_transform(str(source), SELECTED, tmp_path / "local", executor=make_executor("local", workers=2))
    done = subprocess.run(cli(source, tmp_path / "ray", "--engine", "ray", "--ray-address", ray_cluster["address"],
                              "--chunk-size", "97"),
                          cwd=ROOT, env=ray_cluster["env"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "engine ray" in done.stdout
    assert differing_files(tmp_path / "local", tmp_path / "ray") == []


def worker_processes_of_second_node(temp: str) -> list:
    """Ray worker processes running under the second node's raylet (its socket is raylet.1)."""
    for process in processes_of(temp):
        try:
            cmdline = " ".join(process.cmdline())
        except psutil.NoSuchProcess:
            continue
        if "raylet/raylet" in cmdline and "sockets/raylet.1" in cmdline:
            return [c for c in process.children() if c.name().startswith("ray::")
                    and "Agent" not in c.name() and "IDLE" not in c.name()]
    return []


def test_the_run_completes_identically_when_a_worker_process_is_killed(tmp_path, ray_cluster):
    source = write_jsonl(tmp_path / "pairs.jsonl", real_pairs(), copies=2)
    run_transform(str(source), SELECTED, tmp_path / "local", executor=make_executor("local", workers=2))
    out = tmp_path / "ray"
    journal = work_dir_for(out) / ".state" / "journal.jsonl"
    run = subprocess.Popen(cli(source, out, "--engine", "ray", "--ray-address", ray_cluster["address"],
                               "--chunk-size", "100"),
                           cwd=ROOT, env=ray_cluster["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True)
    killed = None
    try:
        deadline = time.monotonic() + 300
        while killed is None and run.poll() is None and time.monotonic() < deadline:
            if journal.exists() and journal.read_bytes().count(b"\n") >= 2:
                busy = worker_processes_of_second_node(ray_cluster["temp"])
                if busy:
                    killed = busy[0].name()
                    os.kill(busy[0].pid, signal.SIGKILL)
            time.sleep(0.05)
        stdout, stderr = run.communicate(timeout=600)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert killed is not None, "no busy worker process on the second node was seen while the run went on"
    assert run.returncode == 0, stderr[-3000:]
    assert differing_files(tmp_path / "local", out) == []


def test_without_an_address_a_local_ray_instance_starts_and_stops(tmp_path):
    source = write_jsonl(tmp_path / "pairs.jsonl", real_pairs(300))
    run_transform(str(source), SELECTED, tmp_path / "local")
    env = cluster_env()
    temp = tempfile.mkdtemp(prefix="jkray", dir="/tmp")
    env["RAY_TMPDIR"] = temp
    try:
        done = subprocess.run(cli(source, tmp_path / "ray", "--engine", "ray", "--workers", "2", "--chunk-size", "64"),
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        assert differing_files(tmp_path / "local", tmp_path / "ray") == []
        time.sleep(2)
        assert not processes_of(temp), "Ray outlived the run"
    finally:
        stop_cluster(temp)


# -- synth and eval through the cluster -----------------------------------------------------------------
def _reply(body) -> str:
    from tests.fake_openai import last_user_message

    message = last_user_message(body)
    return "So, " + (message.split("\nText:\n", 1)[1] if "\nText:\n" in message else message)


def _jk(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "judgekit.cli.main", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_a_synth_recipe_through_the_cluster_shares_one_request_budget(tmp_path, ray_cluster):
    import yaml

    from tests.fake_openai import FakeOpenAI

    env = {**ray_cluster["env"], "JUDGEKIT_CACHE": str(tmp_path / "cache")}
    with FakeOpenAI(reply=_reply, latency=0.05) as server:
        recipe = tmp_path / "recipe.yaml"
        recipe.write_text(yaml.safe_dump({
            "name": "cluster", "data": {"sources": ["sample"]},
            "backend": {"backend": "openai", "model": "fake", "base_url": server.base_url, "concurrency": 5},
            "transforms": [{"name": "paraphrase", "args": {"min_similarity": 0}}, "rot13"]}))
        done = _jk(["synth", str(recipe), "--out", str(tmp_path / "ray"), "--engine", "ray", "--ray-address",
                    ray_cluster["address"], "--chunk-size", "8"], env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "engine ray" in done.stdout
        assert 0 < server.max_in_flight <= 5  # one budget for every worker of the cluster, not 5 each
        sent = len(server.log)
        local = _jk(["synth", str(recipe), "--out", str(tmp_path / "local"), "--no-cache"],
                    {**env, "JUDGEKIT_CACHE": str(tmp_path / "cache2")})
        assert local.returncode == 0, local.stderr[-3000:]
    assert sent >= 120
    # manifest.json records timings; the card (README.md) and every dataset are the same bytes
    assert differing_files(tmp_path / "local", tmp_path / "ray", ignore=("manifest.json", ".judgekit.json")) == []


def test_an_eval_with_a_scalar_model_through_the_cluster(tmp_path, ray_cluster, tiny_bert_dir):
    import json

    import yaml

    env = {**ray_cluster["env"], "JUDGEKIT_CACHE": str(tmp_path / "cache")}
    suite = tmp_path / "suite.yaml"
    suite.write_text(yaml.safe_dump({"name": "cluster", "data": {"sources": ["sample"]},
                                     "transforms": ["rot13", "ignore-above"], "judges": [str(tiny_bert_dir)]}))
    ray_run = _jk(["eval", str(suite), "--out", str(tmp_path / "ray"), "--engine", "ray", "--ray-address",
                   ray_cluster["address"], "--chunk-size", "16"], env)
    assert ray_run.returncode == 0, ray_run.stderr[-3000:]
    local = _jk(["eval", str(suite), "--out", str(tmp_path / "local")], {**env, "JUDGEKIT_CACHE": str(tmp_path / "c2")})
    assert local.returncode == 0, local.stderr[-3000:]
    for name in ("judgments.jsonl", "transforms.jsonl"):  # (suite.yaml names each run's own --out)
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    results = [json.loads((tmp_path / d / "report.json").read_text())["results"] for d in ("ray", "local")]
    assert results[0] == results[1]
