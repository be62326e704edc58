"""A third-party package registers a transform through the `judgekit` entry-point group.

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
