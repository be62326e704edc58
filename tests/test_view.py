"""`judgekit view`: one self-contained page over many real runs, checked in a real headless Chromium.

Five small runs with embedded and tiny judges (the offline MiniLM reward model with two head seeds, a tiny
random BERT reward model, a tiny random Llama as a pairwise LLM judge beside the mock backend's), one of them with hostile suite, judge,
item and folder names, plus a schema v1 run folder; a plugin metric stands in for the bias metrics a report
may hold. The browser clicks column headers, picks filters, reads the tables and looks at a screenshot.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from click.testing import CliRunner

from judgekit.cli.main import cli
from judgekit.data import Example, write_examples
from judgekit.eval import run_suite
from judgekit.eval.metrics import METRICS, Metric
from judgekit.eval.view import find_runs, link_to, view_data
from tests.browser import CHROMIUM, Browser, png_pixels

HOSTILE = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2"> & \u2028'
HOSTILE_JUDGE = '<img src=x onerror="window.pwned=3">bert'
HOSTILE_FOLDER = "javascript:window.pwned=4;<b>run-e"
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y "
                                                              "chromium); the view page is not checked in a browser")


class FirstSlotRate(Metric):
    """position bias of pairwise judges: share of decided presentations where the first slot won, with a CI"""

    def compute(self, ctx):
        from judgekit.eval import bias

        presentations = bias.presentations_from_judgments(ctx.judgments)
        if ctx.kind == "scalar" or not presentations:
            return {}
        found = bias.position_bias(presentations, seed=ctx.seed, resamples=200)
        return {"plugin_first_slot": {"first_slot_rate": dataclasses.asdict(found.first_slot_rate)}}


def to_schema_v1(run: Path, target: Path) -> Path:
    """The run folder as judgekit wrote it before report schema v2 (no marker, no items.jsonl, sources as a
    list, no inputs/specs/templates/skipped_rows, no metric_errors): the shape `upgrade_report` reads."""
    target.mkdir()
    for name in ("judgments.jsonl", "transforms.jsonl", "report.md", "report.html", "suite.yaml"):
        shutil.copy(run / name, target / name)
    data = json.loads((run / "report.json").read_text())
    data["schema_version"] = 1
    for key in ("inputs", "skipped_rows", "specs", "templates"):
        data.pop(key)
    data["suite"]["data"] = [{"path": s, "prefix_ids": False} for s in data["suite"]["data"].get("sources", ["sample"])]
    for result in data["results"]:
        result.pop("metric_errors")
    (target / "report.json").write_text(json.dumps(data, indent=2))
    return target


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_bert_dir, tiny_llama_dir) -> Path:
    root = tmp_path_factory.mktemp("view")
    hostile_items = [Example(id=f"h{k}", prompt=f"{HOSTILE} question {k}", chosen=(f"good {HOSTILE} {k}",),
                             rejected=(f"bad {k}",), subset="<b>subset</b>") for k in range(5)]
    write_examples(hostile_items, root / "hostile.jsonl")
    search = {"name": "prompt-search", "data": {"sources": ["sample"], "limit": 6}, "transforms": ["rot13", "add-quotes"]}
    llama = {"kind": "generative", "name": "tiny-llama-pairwise", "mode": "pairwise", "logprobs": 5,
             "backend": {"backend": "hf", "model": str(tiny_llama_dir), "batch_size": 8}}
    plans = [
        ("a-minilm", search, ["minilm-rm"]),
        ("b-minilm-seed1", {**search, "options": {"ties": "half"}},
         [{"kind": "scalar", "name": "minilm-rm-seed1", "model": "embedded:minilm-rm@1", "device": "cpu"}]),
        ("c-hostile", {"name": "hostile <suite>", "description": HOSTILE, "data": str(root / "hostile.jsonl"),
                       "transforms": ["rot13", "char-swap"]},
         [{"kind": "scalar", "name": HOSTILE_JUDGE, "model": str(tiny_bert_dir), "device": "cpu"}]),
        ("d-llama", {"name": "llm-judges", "data": {"sources": ["sample"], "limit": 4}, "transforms": ["add-quotes"]},
         [llama, {"kind": "generative", "name": "mock-pairwise", "mode": "pairwise",
                  "backend": {"backend": "mock", "replies": ["[[A]]", "[[B]]", "[[A]]", "[[C]]"]}}]),
        (HOSTILE_FOLDER, {**search, "transforms": ["self-praise", "verbosity-pad", "punct-spaces"]},
         ["minilm-rm", str(tiny_bert_dir)]),
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUDGEKIT_CACHE", str(root / "cache"))
        METRICS.add("test-first-slot", FirstSlotRate)  # a plugin's metric, for this fixture only
        try:
            for folder, suite, judges in plans:
                run_suite(suite, judges, out_dir=root / "runs" / folder)
        finally:
            METRICS._entries.pop("test-first-slot")
    to_schema_v1(root / "runs" / "a-minilm", root / "runs" / "old-v1")
    return root


def test_find_runs_and_data(runs):
    found = find_runs([runs / "runs"])
    assert sorted(p.name for p in found) == sorted(["a-minilm", "b-minilm-seed1", "c-hostile", "d-llama",
                                                    HOSTILE_FOLDER, "old-v1"])
    data = view_data(found, runs / "view.html")
    reports = {p.name: json.loads((p / "report.json").read_text()) for p in found}
    assert len(data["rows"]) == sum(len(r["results"]) for r in reports.values())
    keys = [c["key"] for c in data["columns"]]
    assert "position_consistency" in keys and "x:plugin_first_slot.first_slot_rate" in keys  # generative + plugin
    mock = [r for r in data["rows"] if r["judge"] == "mock-pairwise" and r["variant"] == "original"][0]
    result = [r for r in reports["d-llama"]["results"] if r["judge"] == "mock-pairwise"][0]
    estimate = result["plugin_first_slot"]["first_slot_rate"]
    assert estimate["value"] is not None and mock["x:plugin_first_slot.first_slot_rate"] == estimate["value"]
    assert mock["x:plugin_first_slot.first_slot_rate_ci"] == [estimate["low"], estimate["high"]]
    assert mock["position_consistency"] == result["position_consistency"] is not None
    old = [r for r in data["runs"] if r["name"] == "old-v1"][0]
    assert old["suite"] == "prompt-search" and old["link"] == "./runs/old-v1/report.html"
    link = [r for r in data["runs"] if r["name"] == HOSTILE_FOLDER][0]["link"]
    assert link.startswith("./runs/javascript%3A") and unquote(link) == f"./runs/{HOSTILE_FOLDER}/report.html"
    assert link_to(runs / "runs" / "a-minilm" / "report.html", runs / "pages" / "v.html") == "../runs/a-minilm/report.html"


def test_cli_view_writes_and_replaces_only_its_own_page(runs, tmp_path):
    runner = CliRunner()
    page = tmp_path / "view.html"
    result = runner.invoke(cli, ["view", str(runs / "runs" / "a-minilm"), str(runs / "runs" / "d-llama"),
                                 "--out", str(page)])
    assert result.exit_code == 0, result.output
    assert "2 run(s)" in result.output and page.read_text().count("<script") == 2
    again = runner.invoke(cli, ["view", str(runs / "runs"), "--out", str(page)])  # its own page: replaced
    assert again.exit_code == 0, again.output
    mine = tmp_path / "notes.html"
    mine.write_text("<p>my notes</p>")
    refused = runner.invoke(cli, ["view", str(runs / "runs"), "--out", str(mine)])
    assert refused.exit_code != 0 and mine.read_text() == "<p>my notes</p>"
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = runner.invoke(cli, ["view", str(empty), "--out", str(tmp_path / "x.html")])
    assert nothing.exit_code != 0 and "no report.json" in str(nothing.exception)


def shown(browser: Browser, table: str, column: int) -> list[str]:
    return browser.evaluate(f"Array.from(document.querySelectorAll('#{table} tbody tr')).map("
                            f"function(r){{return r.cells[{column}].textContent;}})")


def header_index(browser: Browser, table: str, key: str) -> int:
    return browser.evaluate(f"Array.from(document.querySelectorAll('#{table} thead th')).findIndex("
                            f"function(h){{return h.getAttribute('data-col') === {json.dumps(key)};}})")


def numbers(texts: list[str]) -> list[float | None]:
    return [None if t in ("\u2013", "") else float(t.split(" ")[0]) for t in texts]


@needs_chromium
def test_view_in_headless_chromium(runs, tmp_path):
    page = runs / "view.html"
    result = CliRunner().invoke(cli, ["view", str(runs / "runs"), "--out", str(page), "--title", "five <runs>"])
    assert result.exit_code == 0, result.output
    reports = {p.name: json.loads((p / "report.json").read_text()) for p in find_runs([runs / "runs"])}
    n_results = sum(len(r["results"]) for r in reports.values())
    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        assert browser.evaluate("document.body.getAttribute('data-ready')") == "1"
        assert browser.problems() == []  # no console output, no exception, no CSP violation
        # tables render: every result, one pivot row per run x judge, every run with a working link
        assert browser.evaluate("document.querySelectorAll('#rows-table tbody tr').length") == n_results
        judge_runs = sum(len(r["judges"]) for r in reports.values())
        assert browser.evaluate("document.querySelectorAll('#pivot-table tbody tr').length") == judge_runs
        hrefs = browser.evaluate("Array.from(document.querySelectorAll('#runs-table a')).map(function(a){return a.href;})")
        assert len(hrefs) == len(reports)
        for href in hrefs:
            assert urlparse(href).scheme == "file" and Path(unquote(urlparse(href).path)).is_file(), href
        # hostile text stayed text: no element, no script ran, the names read back exactly
        assert browser.evaluate("typeof window.pwned") == "undefined"
        assert browser.evaluate("document.querySelectorAll('img, b').length") == 0
        assert browser.evaluate("document.querySelectorAll('script').length") == 2
        judges = shown(browser, "pivot-table", 0)
        assert HOSTILE_JUDGE in judges and "hostile <suite>" in shown(browser, "pivot-table", 1)
        assert HOSTILE_FOLDER in shown(browser, "pivot-table", 2)
        assert browser.evaluate("document.title") == "five <runs>"
        # numbers are the reports' numbers
        acc = header_index(browser, "rows-table", "accuracy")
        cells = browser.evaluate("Array.from(document.querySelectorAll('#rows-table tbody tr')).map(function(r){"
                                 f"return [r.getAttribute('data-run'), r.cells[2].textContent, r.cells[4].textContent,"
                                 f" r.cells[{acc}].textContent];}})")
        for run, judge, variant, text in cells:
            expected = next(r["accuracy"] for r in reports[run]["results"] if r["judge"] == judge and r["variant"] == variant)
            assert abs(float(text.split(" ")[0]) - 100 * expected) < 0.051, (run, judge, variant, text)
        # sorting: a real click on a header sorts ascending, a second one descending; missing values stay last
        browser.click('#pivot-table th[data-col="v:original"]')
        column = header_index(browser, "pivot-table", "v:original")
        values = numbers(shown(browser, "pivot-table", column))
        assert values == sorted(values)
        browser.click('#pivot-table th[data-col="v:original"]')
        assert numbers(shown(browser, "pivot-table", column)) == sorted(values, reverse=True)
        browser.click('#rows-table th[data-col="drop"]')
        drops = numbers(shown(browser, "rows-table", header_index(browser, "rows-table", "drop")))
        present = [d for d in drops if d is not None]
        assert present == sorted(present) and drops == present + [None] * (len(drops) - len(present))
        assert "sort=drop" in browser.evaluate("location.hash")
        # filters: by judge, suite and transform; the pivot shows only the chosen transform's column
        browser.choose("#filter-judge", HOSTILE_JUDGE)
        assert set(shown(browser, "rows-table", 2)) == {HOSTILE_JUDGE}
        assert len(shown(browser, "rows-table", 2)) == 3
        browser.choose("#filter-judge", "")
        browser.choose("#filter-suite", "prompt-search")
        assert set(shown(browser, "rows-table", 0)) == {"prompt-search"}
        browser.choose("#filter-transform", "add-quotes")
        assert set(shown(browser, "rows-table", 4)) == {"add-quotes"}
        heads = browser.evaluate("Array.from(document.querySelectorAll('#pivot-table thead th')).map(function(h){"
                                 "return h.textContent;})")
        assert heads == ["judge", "suite", "run", "original accuracy %", "add-quotes"]
        state = browser.evaluate("location.hash")
        # the page address keeps the view: opening it again shows the same rows in the same order
        before = shown(browser, "rows-table", 2)
        browser.open(page.as_uri() + state)
        assert shown(browser, "rows-table", 2) == before and browser.problems() == []
        # a transform the judge cannot see (WordPiece drops the spaces punct-spaces adds) is marked, not coloured
        browser.choose("#filter-transform", "punct-spaces")
        marks = browser.evaluate("Array.from(document.querySelectorAll('#pivot-table tbody td.invisible')).map("
                                 "function(td){return td.textContent;})")
        assert len(marks) == 2 and all(m.endswith("\u2205") for m in marks)
        # screenshot-level check: the matrix is on screen, with coloured cells and text
        browser.open(page.as_uri())
        box, shot = browser.element_screenshot("#pivot-table")
        assert box["width"] > 400 and box["height"] > 20 * judge_runs
        width, height, pixels = png_pixels(shot)
        assert abs(width - box["width"]) <= 1 and abs(height - box["height"]) <= 1
        red = sum(1 for r, g, b in pixels if r - g > 30 and r - b > 30)  # heat cells: the drops, tinted
        blue = sum(1 for r, g, b in pixels if b - r > 30)
        dark = sum(1 for r, g, b in pixels if r + g + b < 200)
        assert red + blue > 0.01 * len(pixels) and dark > 0.01 * len(pixels), (red, blue, dark)
        full = browser.screenshot()
        (tmp_path / "view.png").write_bytes(full)
        assert png_pixels(full)[0] >= 1000
