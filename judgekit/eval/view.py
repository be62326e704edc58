"""`judgekit view`: one self-contained HTML page over many run folders.

A prompt search makes dozens of runs; this page puts them side by side: a judge x variant matrix (accuracy
on the originals, then the accuracy drop under each transform, coloured), a table of every judge x variant
with all its numbers (accuracy and drop with their CIs, McNemar p, flips, score shift, the generative-judge
rates, the share of items whose model input a transform left unchanged, and any other metric a report holds,
such as bias metrics), and the list of runs with a link to each
run's report.html. Both tables sort by any column; filters select a suite, a judge and a transform; the
state is kept in the page's address (``#judge=...&sort=...``) so a view can be shared.

Safety is the report's (judgekit.eval.html): the data is embedded as JSON with ``<``, ``>`` and ``&`` escaped
and reaches the page through ``textContent`` only; links are relative, percent-encoded paths; a Content
Security Policy forbids every external load. Reports of schema v1 are read through `upgrade_report`.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from judgekit.errors import SpecError
from judgekit.eval.html import _json_for_script
from judgekit.eval.results import ORIGINAL
from judgekit.eval.rundir import load_report
from judgekit.eval.view_page import CSS, JS

GENERATOR = "judgekit view"
# key, label, format; "ci" formats have a [low, high] under key + "_ci"
COLUMNS: list[tuple[str, str, str]] = [
    ("suite", "suite", "text"), ("run", "run", "text"), ("judge", "judge", "text"), ("kind", "kind", "text"),
    ("variant", "variant", "text"), ("family", "family", "text"), ("n", "n", "int"),
    ("accuracy", "accuracy %", "pct-ci"), ("drop", "drop pts [CI]", "pts-ci"), ("p", "McNemar p", "num"),
    ("r2w", "right→wrong %", "pct"), ("w2r", "wrong→right %", "pct"), ("shift", "score shift", "num"),
    ("tau", "Kendall τ", "num"), ("position_consistency", "position consistency %", "pct"),
    ("tie_rate", "ties %", "pct"), ("parse_failure_rate", "parse failures %", "pct"),
    ("call_error_rate", "call errors %", "pct"), ("input_unchanged", "input unchanged %", "pct"),
]
_KNOWN = {"judge", "variant", "n_items", "n_counted", "failed_items", "accuracy", "accuracy_ci", "subsets",
          "robustness", "metric_errors", *(c[0] for c in COLUMNS)}
_KNOWN_ROBUSTNESS = {"n_paired", "accuracy_original", "accuracy_transformed", "drop", "drop_ci", "subsets",
                     "mcnemar", "flip_right_to_wrong", "flip_wrong_to_right", "score_shift", "kendall_tau",
                     "n_responses_changed", "input_unchanged", "invisible"}


def find_runs(paths: Sequence[str | Path]) -> list[Path]:
    """Run folders: each path that holds a report.json, else every folder under it that does."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            raise SpecError(f"{given}: not a folder; give run folders (`judgekit eval --out`) or folders holding them")
        if (path / "report.json").is_file():
            found.append(path)
            continue
        below = sorted(p.parent for p in path.rglob("report.json")
                       if not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not below:
            raise SpecError(f"{given}: no report.json in it or in any folder under it")
        found += below
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return [Path(p) for p in unique]


def _scalar(value: Any) -> tuple[float, list[float | None] | None] | None:
    """A metric value as (value, [low, high] or None): a number, or an estimate {"value", "low", "high"}."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value), None
    if isinstance(value, dict) and isinstance(value.get("value"), int | float) and not isinstance(value["value"], bool):
        ci = value.get("ci")
        low, high = (ci[0], ci[1]) if isinstance(ci, list) and len(ci) == 2 else (value.get("low"), value.get("high"))
        return float(value["value"]), ([low, high] if low is not None or high is not None else None)
    return None


def _extras(result: dict[str, Any], known: set[str], prefix: str = "") -> dict[str, tuple[float, Any]]:
    """Metric keys the view has no column for (bias metrics, plugin metrics, sections), one level deep."""
    out: dict[str, tuple[float, Any]] = {}
    for key, value in result.items():
        if key in known or key.endswith("_ci"):
            continue
        found = _scalar(value)
        if found is not None:
            out[prefix + key] = found
        elif isinstance(value, dict):
            for inner, item in value.items():
                found = _scalar(item)
                if found is not None:
                    out[f"{prefix}{key}.{inner}"] = found
    return out


def link_to(target: Path, page: Path) -> str:
    """A relative, percent-encoded link from the page's folder (never read as a scheme such as javascript:)."""
    relative = os.path.relpath(target.resolve(), page.resolve().parent).replace(os.sep, "/")
    encoded = quote(relative, safe="/")
    return encoded if encoded.startswith("../") else "./" + encoded


def view_data(runs: Sequence[Path], page: Path) -> dict[str, Any]:
    """The page's data: runs, one row per run x judge x variant, and the columns that have a value."""
    run_entries: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    extra_labels: dict[str, None] = {}
    for index, folder in enumerate(runs):
        data = load_report(folder)
        suite = data["suite"]
        families = {t["name"]: t["family"] for t in data["transforms"]}
        kinds = {j["name"]: j["kind"] for j in data["judges"]}
        report = folder / "report.html"
        run_entries.append({
            "name": folder.name, "link": link_to(report, page) if report.is_file() else None,
            "suite": suite.get("name") or "", "created": data["created"], "n_items": suite["n_items"],
            "judges": list(kinds), "transforms": list(families), "ties": suite["options"].get("ties"),
            "failures": suite["options"].get("failures"), "judgekit": data["judgekit_version"]})
        for result in data["results"]:
            rob = result.get("robustness") or {}
            row: dict[str, Any] = {
                "run": index, "suite": suite.get("name") or "", "judge": result["judge"],
                "kind": kinds.get(result["judge"], ""), "variant": result["variant"],
                "family": families.get(result["variant"], ORIGINAL if result["variant"] == ORIGINAL else ""),
                "n": rob.get("n_paired", result["n_items"]), "accuracy": result.get("accuracy"),
                "accuracy_ci": result.get("accuracy_ci"), "drop": rob.get("drop"), "drop_ci": rob.get("drop_ci"),
                "p": (rob.get("mcnemar") or {}).get("p_value"), "r2w": rob.get("flip_right_to_wrong"),
                "w2r": rob.get("flip_wrong_to_right"), "shift": rob.get("score_shift"), "tau": rob.get("kendall_tau"),
                "input_unchanged": rob.get("input_unchanged"), "invisible": bool(rob.get("invisible")),
                **{k: result.get(k) for k in ("position_consistency", "tie_rate", "parse_failure_rate",
                                              "call_error_rate")}}
            extras = _extras(result, _KNOWN) | _extras(rob, _KNOWN_ROBUSTNESS, "robustness.")
            for key, (value, ci) in extras.items():
                extra_labels[key] = None
                row["x:" + key] = value
                if ci is not None:
                    row["x:" + key + "_ci"] = ci
            rows.append(row)
    columns = [{"key": k, "label": label, "format": f} for k, label, f in COLUMNS
               if f == "text" or any(r.get(k) is not None for r in rows)]
    columns += [{"key": "x:" + k, "label": k, "format": "num-ci"} for k in extra_labels]
    return {"runs": run_entries, "rows": rows, "columns": columns}


def render_view(data: dict[str, Any], *, title: str = "judgekit view") -> str:
    """The self-contained page for `view_data`'s data."""
    csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
    e = html.escape
    runs, rows = data["runs"], data["rows"]
    judges = len({(r["run"], r["judge"]) for r in rows})
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="generator" content="{GENERATOR}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{CSS}</style></head>
<body>
<h1>{e(title)}</h1>
<p class="muted">{_count(len(runs), "run")} · {_count(judges, "judge run")} · {_count(len(rows), "result")}
(judge × variant). Click a column
header to sort (again to reverse); the filters and the order are kept in the page address.</p>
<div class="filters">
<label>suite <select id="filter-suite" aria-label="suite"></select></label>
<label>judge <select id="filter-judge" aria-label="judge"></select></label>
<label>transform <select id="filter-transform" aria-label="transform"></select></label>
<span id="shown" class="muted"></span>
</div>
<h2>Judge × variant: accuracy on the originals, drop under each transform (points)</h2>
<p class="muted">Red: accuracy fell under the transform; blue: it rose; bold: the 95% CI excludes 0; ∅: the
transform left (nearly) every input the judge sees unchanged, so its drop says nothing about robustness.</p>
<div class="panel"><table id="pivot-table"><thead></thead><tbody></tbody></table></div>
<h2>Every judge × variant</h2>
<div class="panel"><table id="rows-table"><thead></thead><tbody></tbody></table></div>
<h2>Runs</h2>
<div class="panel"><table id="runs-table"><thead></thead><tbody></tbody></table></div>
<script type="application/json" id="view-data">{_json_for_script(data)}</script>
<script>{JS}</script>
</body></html>
"""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def is_view_page(path: Path) -> bool:
    """Whether ``path`` is a page `judgekit view` wrote (so writing it again replaces only judgekit's file)."""
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(600)
    except (OSError, UnicodeDecodeError):
        return False
    return f'<meta name="generator" content="{GENERATOR}">' in head
