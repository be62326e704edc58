"""Reports: JSON schema, Markdown, and the self-contained HTML, checked in a real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from judgekit.data import Example, write_examples
from judgekit.eval import run_suite
from judgekit.eval.html import _json_for_script, render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
HOSTILE = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2"> & <!-- \u2028'


@pytest.fixture(scope="module")
def hostile_run(tiny_bert_dir, tmp_path_factory) -> Path:
    """A run over items whose text tries to break out of the HTML."""
    root = tmp_path_factory.mktemp("hostile")
    items = [Example(id=f"x{k}", prompt=f"{HOSTILE} question {k}", chosen=(f"good {HOSTILE} {k}",),
                     rejected=(f"bad {k}",), subset="alpacaeval-easy" if k % 2 else "<b>subset</b>") for k in range(6)]
    write_examples(items, root / "items.jsonl")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUDGEKIT_CACHE", str(root / "cache"))
        run_suite({"name": "hostile <suite>", "description": HOSTILE, "data": str(root / "items.jsonl"),
                   "transforms": ["rot13", "add-quotes"]}, [str(tiny_bert_dir)], out_dir=root / "run")
    return root / "run"


def test_report_json_and_markdown(hostile_run):
    data = json.loads((hostile_run / "report.json").read_text())
    assert data["schema"] == "judgekit.report" and data["schema_version"] == 2
    for key in ("judgekit_version", "created", "suite", "inputs", "specs", "templates", "transforms", "judges",
                "results", "items"):
        assert key in data
    variants = [r["variant"] for r in data["results"]]
    assert variants == ["original", "rot13", "add-quotes"]
    for result in data["results"][1:]:
        rob = result["robustness"]
        assert rob["n_paired"] == 6
        assert rob["drop_ci"][0] <= rob["drop"] <= rob["drop_ci"][1]
        assert result["accuracy_ci"][0] <= result["accuracy"] <= result["accuracy_ci"][1]
    assert len(data["items"]) == 12  # every transformed item fits the viewer (25 per transform)
    markdown = (hostile_run / "report.md").read_text()
    assert markdown.startswith("# judgekit report: hostile &lt;suite&gt;")  # Markdown renders raw HTML: escaped
    assert "<script>" not in markdown and "<b>subset</b>" not in markdown
    assert "| rot13 |" in markdown.replace(data["results"][1]["judge"] + " ", "")
    # official score, labelled view and judge bias, in report.json and report.md
    original = data["results"][0]
    assert original["rewardbench"]["official"] and original["rewardbench"]["unmapped"] == ["<b>subset</b>"]
    assert original["sections_by_items"]["label"].startswith("judgekit view, not the RewardBench score")
    assert original["length_bias"]["accuracy"]["n"] == 6 and "score_length_spearman" in original["length_bias"]
    for heading in ("## Official benchmark scores", "### RewardBench (official score, %)",
                    "## Other views (judgekit's, not official scores)", "## Judge bias", "### Length bias (%, 95% CI)"):
        assert heading in markdown
    assert "Unmapped subsets (in the data, in no RewardBench section, not part of this score): &lt;b&gt;subset&lt;/b&gt;" \
        in markdown
    bias = original["length_bias"]["accuracy_chosen_longer"]
    section = markdown.split("### Length bias (%, 95% CI)", 1)[1]
    row = next(line for line in section.splitlines() if line.startswith(f"| {original['judge']} | original |"))
    assert f"{100 * bias['value']:.1f} [{100 * bias['ci'][0]:.1f}, {100 * bias['ci'][1]:.1f}]" in row


def test_html_is_self_contained_and_escaped(hostile_run):
    page = (hostile_run / "report.html").read_text()
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "src=" not in page.replace('src=x onerror', '')
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # the hostile text never appears raw: in HTML as entities, in the JSON block with \u escapes
    assert HOSTILE not in page
    assert "<img" not in page
    assert '<h2 id="official">Official benchmark scores</h2>' in page and '<h2 id="bias">Judge bias</h2>' in page
    assert "in no RewardBench section, not part of this score): &lt;b&gt;subset&lt;/b&gt;" in page
    assert page.count("</script>") == 2  # the JSON block's and the code's own closing tags only
    assert "&lt;/script&gt;&lt;script&gt;" in page  # the suite description, escaped
    script = re.search(r'<script type="application/json" id="items-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(script)[0]["original"]["prompt"][0]["content"].startswith(HOSTILE)
    assert "<" not in script and ">" not in script and "&" not in script and "\u2028" not in script


def test_json_for_script_round_trips():
    value = {"a": HOSTILE, "b": [1, 2.5, None]}
    assert json.loads(_json_for_script(value)) == value


def test_html_without_transforms_renders():
    data = {"schema": "judgekit.report", "schema_version": 1, "judgekit_version": "0", "created": "now",
            "suite": {"name": "s", "description": "", "seed": 0, "n_items": 1, "subsets": {"a": 1},
                      "options": {"ties": "wrong", "failures": "wrong", "level": 0.95}},
            "transforms": [], "judges": [], "items": [],
            "results": [{"judge": "j", "variant": "original", "n_items": 1, "accuracy": None, "subsets": {}}]}
    page = render_html(data)
    assert "No transforms in this run." in page


def run_chromium(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
               "--enable-logging=stderr", "--v=0", "--window-size=1300,2400", *extra, page.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium); "
                                             "the HTML report is not checked in a browser")
def test_html_in_headless_chromium(hostile_run, tmp_path):
    page = hostile_run / "report.html"
    result = run_chromium(page, tmp_path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console  # no JS errors, no CSP violations, no logging at all
    dom = result.stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-ready="1"' in body and "data-error" not in body, body
    assert dom.count('class="chart accuracy-chart"') == 1 and 'class="chart drop-heatmap"' in dom
    assert len(re.findall(r"<rect[^>]*>\s*<title>", dom)) >= 3 + 2  # bars + heatmap cells with tooltips
    options = re.findall(r"<option value=\"\d+\">", dom)
    assert len(options) == 12
    # the viewer put the hostile text on the page as text, not markup
    view = dom.split('id="item-view"', 1)[1]
    assert "&lt;img src=x onerror=" in view and "<img" not in dom
    assert dom.count("<script") == 2  # no injected script element was created
    for heading in ("Official benchmark scores", "RewardBench (official score, %)", "Judge bias", "Length bias"):
        assert heading in dom
    shot = tmp_path / "report.png"
    result = run_chromium(page, tmp_path, f"--screenshot={shot}")
    assert result.returncode == 0 and shot.stat().st_size > 20_000


def test_compare_shows_official_scores_and_bias(hostile_run, tmp_path):
    """`judgekit compare`: the second table lists every official score and bias value with its difference."""
    from click.testing import CliRunner

    from judgekit.cli.main import cli

    other = tmp_path / "other"
    shutil.copytree(hostile_run, other)
    data = json.loads((other / "report.json").read_text())
    original = data["results"][0]
    original["length_bias"]["accuracy_chosen_longer"]["value"] = 0.25
    original["rewardbench"]["scores"]["overall"] = 0.5
    (other / "report.json").write_text(json.dumps(data))
    before = json.loads((hostile_run / "report.json").read_text())["results"][0]
    result = CliRunner().invoke(cli, ["compare", str(hostile_run), str(other), "--markdown"])
    assert result.exit_code == 0, result.output
    judge = original["judge"]
    longer = before["length_bias"]["accuracy_chosen_longer"]["value"]
    assert (f"| {judge} | original | length: acc. chosen longer | {100 * longer:.1f} | 25.0 | "
            f"{100 * (0.25 - longer):+.1f} |") in result.output
    overall = before["rewardbench"]["scores"]["overall"]
    assert (f"| {judge} | original | RewardBench overall (official) | {100 * overall:.1f} | 50.0 | "
            f"{100 * (0.5 - overall):+.1f} |") in result.output
    assert "| rot13 | length:" not in result.output.replace(f"{judge} ", "")  # originals only by default
    everything = CliRunner().invoke(cli, ["compare", str(hostile_run), str(other), "--markdown", "--all-variants"])
    assert f"| {judge} | rot13 | length: acc. chosen longer |" in everything.output
    terminal = CliRunner().invoke(cli, ["compare", str(hostile_run), str(other)])
    assert terminal.exit_code == 0 and "Official scores and judge bias" in terminal.output


def test_older_reports_with_home_made_section_numbers_are_not_called_official():
    """report.json files written before the official scores held judgekit's own numbers under the same keys."""
    from judgekit.eval.markdown import render_markdown
    from judgekit.eval.tables import headline_numbers

    result = {"judge": "j", "variant": "original", "n_items": 1, "accuracy": 1.0, "subsets": {},
              "sections": {"chat": 1.0, "overall": 1.0},
              "rewardbench2": {"scores": {"Ties": 0.0, "overall": 0.5}, "ties": {"score": 0.0}},
              "rm_bench": {"all": {"easy": 1.0, "normal": 1.0, "hard": 1.0, "total": 1.0}}}
    data = {"schema": "judgekit.report", "schema_version": 2, "judgekit_version": "0", "created": "now",
            "suite": {"name": "old", "description": "", "seed": 0, "n_items": 1, "subsets": {"a": 1},
                      "options": {"ties": "wrong", "failures": "wrong", "level": 0.95}},
            "transforms": [], "judges": [], "items": [], "results": [result]}
    markdown = render_markdown(data)
    assert "official" not in markdown.lower() and headline_numbers(result) == {}
    assert "No transforms in this run." in render_html(data)


def test_bias_tables_read_partial_blocks_a_plugin_may_write():
    """A plugin metric may write "position_bias" with only some fields, as {value, low, high}."""
    from judgekit.eval.tables import bias_tables, headline_numbers

    result = {"judge": "j", "variant": "original",
              "position_bias": {"first_slot_rate": {"value": 0.75, "low": 0.5, "high": 1.0, "n": 4}},
              "length_bias": {"accuracy_chosen_longer": {"value": 0.5, "ci": [0.25, 0.75], "n": 4}}}
    position, length = bias_tables([result])
    assert position.rows == [["j", "original", "75.0 [50.0, 100.0]", "–", "–", "–", "–"]]
    assert length.rows[0][2:5] == ["50.0 [25.0, 75.0]", "–", "–"]
    assert headline_numbers(result) == {"position: first slot picked": (0.75, True),
                                        "length: acc. chosen longer": (0.5, True)}
