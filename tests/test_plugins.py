"""Third-party packages register transforms, metrics and backends through the `judgekit` entry-point group;
a broken plugin is reported by name, a broken built-in module fails loudly.

The fixture package in tests/plugin_fixture is made importable with a real ``*.dist-info`` folder
(METADATA + entry_points.txt built from its pyproject.toml) on ``sys.path``, so discovery goes through
``importlib.metadata.entry_points`` exactly as for a pip-installed package. Runs in a subprocess so the
registry of this test process stays untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "plugin_fixture"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """A site folder holding the fixture package and its dist-info, as pip would lay it out."""
    site = tmp_path_factory.mktemp("site")
    project = tomllib.loads((FIXTURE / "pyproject.toml").read_text())["project"]
    shutil.copytree(FIXTURE / "judgekit_plugin_fixture", site / "judgekit_plugin_fixture")
    dist = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    groups = project["entry-points"]
    lines = []
    for group, entries in groups.items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {target}" for name, target in entries.items())
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return site


def _run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120)


def test_entry_point_is_discovered_through_importlib_metadata(plugin_site):
    code = (
        "from importlib import metadata\n"
        "import json\n"
        "eps = [e.value for e in metadata.entry_points(group='judgekit')]\n"
        "from judgekit.transforms.engine import build_transform, run_transforms\n"
        "from judgekit.data import load_examples\n"
        "t = build_transform('fixture-shout(marks=2)')\n"
        "items = list(load_examples('sample'))[:3]\n"
        "out = run_transforms(items, [t], seed=0)['fixture-shout(marks=2)']\n"
        "print(json.dumps({'eps': eps, 'module': type(t).__module__, 'rejected': out.examples[0].rejected[0],"
        " 'chosen_same': out.examples[0].chosen == items[0].chosen, 'n': len(out.examples)}))\n"
    )
    result = _run(plugin_site, "-c", code)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "judgekit_plugin_fixture" in report["eps"]
    assert report["module"] == "judgekit_plugin_fixture"
    assert report["rejected"].endswith("!!") and report["rejected"].rstrip("!").isupper()
    assert report["chosen_same"] and report["n"] == 3


def test_plugin_shows_in_ls_and_runs_from_the_cli(plugin_site, tmp_path):
    listing = _run(plugin_site, "-m", "judgekit.cli.main", "ls", "transforms")
    assert listing.returncode == 0, listing.stderr
    assert "fixture-shout" in listing.stdout and "Upper-case every rejected response" in listing.stdout
    out = tmp_path / "t"
    run = _run(plugin_site, "-m", "judgekit.cli.main", "transform", "sample", "-t", "fixture-shout", "--out", str(out))
    assert run.returncode == 0, run.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["transforms"][0]["name"] == "fixture-shout"
    assert manifest["transforms"][0]["transformed"] == 60


def test_plugin_metric_and_backend_are_listed_and_actually_run(plugin_site, tmp_path):
    listing = _run(plugin_site, "-m", "judgekit.cli.main", "ls", "metrics")
    flat = " ".join(listing.stdout.replace("│", " ").split())  # the table wraps long descriptions
    assert "fixture-longer-chosen" in flat and "(plugin: judgekit-plugin-fixture)" in flat
    listing = _run(plugin_site, "-m", "judgekit.cli.main", "ls", "backends")
    assert "fixture-first" in listing.stdout
    judge = tmp_path / "first.yaml"
    judge.write_text("kind: generative\nname: always-a\nbackend: {backend: fixture-first, verdict: '[[A]]'}\n"
                     "both_orders: true\n")
    suite = tmp_path / "s.yaml"
    suite.write_text("data: {sources: [sample], limit: 6}\ntransforms: [rot13]\n")
    run = _run(plugin_site, "-m", "judgekit.cli.main", "eval", str(suite), "-j", str(judge), "--out", str(tmp_path / "r"),
               "--set", "judges.0.backend.verdict='[[B]]'")  # values are YAML: quote brackets
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    original = next(r for r in report["results"] if r["variant"] == "original")
    # the plugin metric ran through the registry and landed in the report like a built-in one
    assert 0.0 <= original["fixture_longer_chosen"] <= 1.0 and original["metric_errors"] == {}
    # the plugin backend ran with its own option, set through --set: always "B" -> every order inconsistent
    assert report["judges"][0]["identity"]["backend"] == {"backend": "fixture-first", "verdict": "[[B]]"}
    assert original["position_consistency"] == 0.0 and original["tie_rate"] == 1.0


def test_a_broken_third_party_plugin_is_reported_by_name(plugin_site, tmp_path):
    broken = tmp_path / "broken-site"
    shutil.copytree(plugin_site, broken)
    dist = broken / "judgekit_broken-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: judgekit-broken\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[judgekit]\nbroken = judgekit_broken_missing_module\n")
    listing = _run(broken, "-m", "judgekit.cli.main", "ls", "transforms")
    assert listing.returncode == 0, listing.stderr
    assert "plugin failed to load" in listing.stdout and "judgekit-broken" in listing.stdout
    assert "fixture-shout" in listing.stdout  # the rest keeps working
    unknown = _run(broken, "-m", "judgekit.cli.main", "transform", "sample", "-t", "nosuch", "--out", str(tmp_path / "x"))
    assert unknown.returncode == 2 and "judgekit-broken" in unknown.stderr


def test_a_broken_built_in_module_fails_loudly(monkeypatch):
    from importlib import metadata

    from judgekit import registry

    class FakeEntry:
        name, value = "transforms", "judgekit.no_such_module"
        dist = type("Dist", (), {"name": "judgekit"})()

        def load(self):
            import importlib

            return importlib.import_module(self.value)

    monkeypatch.setattr(registry, "_plugins_loaded", False)
    monkeypatch.setattr(registry, "_builtins_loaded", set())
    monkeypatch.setattr(registry, "_plugin_errors", {})
    monkeypatch.setattr(metadata, "entry_points", lambda group: [FakeEntry()])
    with pytest.raises(registry.PluginError, match="judgekit.no_such_module.*reinstall"):
        registry.load_plugins()


def test_a_registry_imports_only_its_own_kind_of_built_ins():
    """A transform run does not pay for the metrics, judges and backends (numpy, statistics, ...) at start."""
    code = ("import sys; from judgekit.transforms.base import TRANSFORMS; TRANSFORMS.get('rot13'); "
            "print(sorted(m for m in ('judgekit.eval.builtin', 'judgekit.judges.builtin', 'judgekit.synth.filters', "
            "'judgekit.transforms.builtin') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["['judgekit.transforms.builtin']"]
    code = "from judgekit.eval.metrics import METRICS; print('accuracy' in METRICS.names())"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=True).stdout.strip() == "True"
