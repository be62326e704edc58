"""report.md: the report's numbers as Markdown tables (also used for `judgekit compare`)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from judgekit.eval.tables import Table, bias_tables, num, official_tables, pct, view_tables

__all__ = ["drop_text", "escape", "visibility_text", "judge_comparison_markdown", "judge_comparison_tables", "num", "pct", "render_markdown",
           "result_rows", "table"]


def drop_text(robustness: dict[str, Any] | None) -> str:
    if not robustness or robustness.get("drop") is None:
        return "–"
    ci = robustness.get("drop_ci") or [None, None]
    if ci[0] is None:
        return f"{100 * robustness['drop']:+.1f}"
    return f"{100 * robustness['drop']:+.1f} [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]"


def escape(text: Any) -> str:
    """Text for a Markdown cell or line: HTML escaped (Markdown renders raw HTML), pipes and newlines made safe."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(escape(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def visibility_text(robustness: dict[str, Any]) -> str:
    """Share of items the judge saw unchanged; "∅ invisible" when the transform changed nothing it reads."""
    text = pct(robustness.get("input_unchanged"))
    return f"{text} ∅ invisible" if robustness.get("invisible") else text


def result_rows(results: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    generative = any("parse_failure_rate" in r or "position_consistency" in r for r in results)
    headers = ["judge", "variant", "items", "accuracy %", "drop pts [95% CI]", "McNemar p", "right→wrong %",
               "wrong→right %", "score shift", "Kendall τ", "input unchanged %"]
    if generative:
        headers += ["position consistency %", "call errors %", "parse failures %", "ties %"]
    rows = []
    for r in results:
        rob = r.get("robustness") or {}
        mcnemar = rob.get("mcnemar") or {}
        row = [r["judge"], r["variant"], str(rob.get("n_paired", r["n_items"])), pct(r.get("accuracy")), drop_text(rob),
               num(mcnemar.get("p_value"), 3) if mcnemar else "–", pct(rob.get("flip_right_to_wrong")),
               pct(rob.get("flip_wrong_to_right")), num(rob.get("score_shift")), num(rob.get("kendall_tau")),
               visibility_text(rob)]
        if generative:
            row += [pct(r.get("position_consistency")), pct(r.get("call_error_rate")),
                    pct(r.get("parse_failure_rate")), pct(r.get("tie_rate"))]
        rows.append(row)
    return headers, rows


def render_markdown(data: dict[str, Any]) -> str:
    suite = data["suite"]
    out = [f"# judgekit report: {escape(suite['name'])}", ""]
    if suite.get("description"):
        out += [escape(suite["description"].strip()), ""]
    out += [f"{suite['n_items']} items ({escape(', '.join(f'{k}: {v}' for k, v in suite['subsets'].items()))}); "
            f"seed {suite['seed']}; ties count as {suite['options']['ties']}, failures as "
            f"{suite['options']['failures']}. Drop = accuracy on the original minus on the transformed items "
            f"(same items), with a paired bootstrap {int(100 * suite['options']['level'])}% CI.", ""]
    headers, rows = result_rows(data["results"])
    out += ["## Accuracy and robustness", "", table(headers, rows), ""]
    invisible = sorted({(r["judge"], r["variant"]) for r in data["results"] if (r.get("robustness") or {}).get("invisible")})
    if invisible:
        out += ["∅ invisible: the transform left the judge's input unchanged (same token ids or rendered prompt) for "
                "almost every item, so a drop of 0 there means it could not see the change, not that it is robust: "
                + escape("; ".join(f"{j} / {v}" for j, v in invisible)) + ".", ""]
    subsets = list(data["suite"]["subsets"])
    if len(subsets) > 1:
        out += ["## Accuracy per subset (%)", "", table(
            ["judge", "variant", *subsets],
            [[r["judge"], r["variant"], *(pct(((r.get("subsets") or {}).get(s) or {}).get("accuracy")) for s in subsets)]
             for r in data["results"]]), ""]
    if len(subsets) > 1 and any((r.get("robustness") or {}).get("subsets") for r in data["results"]):
        out += ["## Drop per subset (points, 95% CI)", "", table(
            ["judge", "variant", *subsets],
            [[r["judge"], r["variant"], *(drop_text((r["robustness"].get("subsets") or {}).get(s)) for s in subsets)]
             for r in data["results"] if r.get("robustness")]), ""]
    official = official_tables(data["results"])
    if official:
        out += ["## Official benchmark scores", "",
                "Each computed exactly as the benchmark's reference code computes it (package and function "
                "named under each table).", ""] + _tables(official, level=3)
    views = view_tables(data["results"])
    if views:
        out += ["## Other views (judgekit's, not official scores)", ""] + _tables(views, level=3)
    bias = bias_tables(data["results"])
    if bias:
        out += ["## Judge bias", ""] + _tables(bias, level=3)
    out += judge_comparison_markdown(data)
    if data["transforms"]:
        out += ["## Transforms", "", table(
            ["transform", "family", "applied", "not applicable", "failed", "main reason not applicable"],
            [[t["name"], t["family"], t["applied"], t["not_applicable"], t["failed"],
              next(iter(t["not_applicable_reasons"]), "")] for t in data["transforms"]]), ""]
        failures = [(t["name"], f["id"], f["error"]) for t in data["transforms"] for f in t["failures"]]
        if failures:
            out += ["### Transform failures", "", table(["transform", "item", "error"], failures), ""]
    errors = [(r["judge"], r["variant"], name, message) for r in data["results"]
              for name, message in (r.get("metric_errors") or {}).items()]
    if errors:
        out += ["## Metric errors", "", table(["judge", "variant", "metric", "error"], errors), ""]
    if data.get("inputs"):
        out += ["## Inputs", "", table(["source", "read from", "format", "items", "skipped", "sha256"],
                                       [[i["source"], i.get("path") or "(hub)", i.get("format") or "", i.get("items"),
                                         i.get("skipped", 0), (i.get("sha256") or "–")[:16]] for i in data["inputs"]]), ""]
    out += ["## Judges", "", table(["judge", "kind", "seconds", "stats"],
                                   [[j["name"], j["kind"], j["seconds"], ", ".join(f"{k}={v}" for k, v in j["stats"].items())]
                                    for j in data["judges"]]), ""]
    return "\n".join(out)


# -- judges compared with each other: sweeps, panels, self-consistency, re-prompts (issue 14) -----------------
def judge_comparison_tables(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) of the judge-vs-judge tables a report has (none for a single plain judge)."""
    tables = []
    pairs = [(r["variant"], r["judge"], other, c) for r in data["results"] for other, c in (r.get("versus") or {}).items()]
    if pairs:
        rows = []
        for variant, judge, other, c in sorted(pairs, key=lambda p: p[0] != "original"):
            ci = c.get("difference_ci") or [None, None]
            diff = drop_text({"drop": c.get("difference"), "drop_ci": ci})
            rows.append([variant, judge, other, str(c.get("n_paired")), pct(c.get("accuracy")),
                         pct(c.get("accuracy_other")), diff, num((c.get("mcnemar") or {}).get("p_value"), 3)])
        tables.append(("Judges compared on the same items", ["variant", "judge", "vs judge", "items", "accuracy %",
                       "vs accuracy %", "difference pts [95% CI]", "McNemar p"], rows))
    keys = [("panel_kappa", "member agreement (Fleiss κ)", num), ("panel_unanimous_rate", "unanimous %", pct),
            ("sample_agreement", "sample agreement %", pct), ("first_try_parse_rate", "first-try parses %", pct),
            ("reprompt_recovered", "verdicts recovered by re-prompt", str)]
    present = [k for k in keys if any(r.get(k[0]) is not None for r in data["results"])]
    if present:
        rows = [[r["judge"], r["variant"], *(fmt(r.get(key)) if r.get(key) is not None else "–"
                                             for key, _, fmt in present)]
                for r in data["results"] if any(r.get(k) is not None for k, _, _ in present)]
        tables.append(("Panels, self-consistency and re-prompts", ["judge", "variant", *(h for _, h, _ in present)],
                       rows))
    return tables


def judge_comparison_markdown(data: dict[str, Any]) -> list[str]:
    out = []
    for title, headers, rows in judge_comparison_tables(data):
        out += [f"## {title}", "", table(headers, rows), ""]
    return out


def _tables(tables: list[Table], *, level: int) -> list[str]:
    out = []
    for t in tables:
        out += [f"{'#' * level} {escape(t.title)}", "", table(t.headers, t.rows), ""]
        out += [f"- {escape(note)}" for note in t.notes] + ([""] if t.notes else [])
    return out
