"""The report's official scores, labelled views and judge-bias metrics as plain tables of text.

One place decides what each table shows, so report.md, report.html, the terminal summary and `judgekit
compare` agree. A `Table` is a title, headers, rows of strings and notes (what the numbers are and where
they come from). Percentages have one decimal; intervals are the bootstrap CIs of the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

OFFICIAL = (("rewardbench", "RewardBench"), ("rewardbench2", "RewardBench 2"), ("rm_bench", "RM-Bench"),
            ("judgebench", "JudgeBench"))
VIEWS = (("sections_by_items", "Sections by items evaluated"),)


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}"


def num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def with_ci(estimate: dict[str, Any] | None, fmt: Callable[[float | None], str] = pct) -> str:
    """``value [low, high]`` of a bias estimate (``–`` when undefined)."""
    if not isinstance(estimate, dict) or not isinstance(estimate.get("value"), int | float):
        return "–"
    ci = estimate.get("ci")
    low, high = ci if isinstance(ci, list) and len(ci) == 2 else (estimate.get("low"), estimate.get("high"))
    if low is None:
        return fmt(estimate["value"])
    return f"{fmt(estimate['value'])} [{fmt(low)}, {fmt(high)}]"


def _official(result: dict[str, Any], key: str) -> bool:
    """Only blocks that say they are official (older report.json files held home-made numbers under these keys)."""
    block = result.get(key)
    return isinstance(block, dict) and block.get("official") is True


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- official scores -----------------------------------------------------------------------------------------
def official_tables(results: Sequence[dict[str, Any]], *, details: bool = True) -> list[Table]:
    """One table per benchmark the report holds an official score of (with ``details``: Ties terms and
    RM-Bench's per-domain table too)."""
    tables = []
    for key, name in OFFICIAL:
        found = [r for r in results if _official(r, key)]
        if not found:
            continue
        blocks = [r[key] for r in found]
        columns = _unique([k for b in blocks for k in b.get("scores", {})])
        rows = [[r["judge"], r["variant"], *(pct(r[key]["scores"].get(c)) for c in columns)] for r in found]
        notes = [f"Official {name} score, computed as {blocks[0]['reference']}."]
        if key == "rewardbench2":
            notes.append(f"Ties: upstream {blocks[0].get('ties_reference', 'main')}.")
        missing = _unique([m for b in blocks for m in b.get("missing", [])])
        unmapped = _unique([u for b in blocks for u in b.get("unmapped", [])])
        if missing:
            notes.append(f"Not in the data: {', '.join(missing)}.")
        if unmapped:
            notes.append(f"Unmapped subsets (in the data, in no {name} section, not part of this score): "
                         f"{', '.join(unmapped)}.")
        notes += _unique([n for b in blocks for n in b.get("notes", [])])
        tables.append(Table(f"{name} (official score, %)", ["judge", "variant", *columns], rows, notes))
        if key == "rewardbench2" and details:
            tables += _ties_table(found)
        if key == "rm_bench" and details:
            tables += _domain_table(found)
    return tables


def _ties_table(found: Sequence[dict[str, Any]]) -> list[Table]:
    rows = []
    for r in found:
        t = r["rewardbench2"].get("ties")
        if t:
            rows.append([r["judge"], r["variant"], num(t.get("score"), 4), pct(t.get("ref_accuracy")),
                         pct(t.get("tied_accuracy")), pct(t.get("correctness_preferred")),
                         pct(t.get("correctness_preferred_hard")), num(t.get("margin_score"), 4),
                         str(t.get("common_prompts", "–")), num(t.get("score_release_0_1_4"), 4)])
    if not rows:
        return []
    return [Table("RewardBench 2 Ties terms", ["judge", "variant", "Ties score", "ref acc %", "tied acc %",
                                               "correctness preferred %", "… hard %", "margin score",
                                               "prompts with both groups", "Ties (0.1.4 release)"], rows,
                  ["Ties = 0.30 tied acc + 0.30 ref acc + 0.20 correctness preferred + 0.20 hard + 0.01 margin "
                   "score; the margin terms average over every prompt with both a ref: and a tied: group."])]


def _domain_table(found: Sequence[dict[str, Any]]) -> list[Table]:
    rows = [[r["judge"], r["variant"], domain, pct(d["hard"]), pct(d["normal"]), pct(d["easy"]), pct(d["average"]),
             str(d["items"])] for r in found for domain, d in (r["rm_bench"].get("domains") or {}).items()]
    return [Table("RM-Bench per domain (official, %)", ["judge", "variant", "domain", "hard", "normal", "easy",
                                                         "average", "items"], rows)] if rows else []


def view_tables(results: Sequence[dict[str, Any]]) -> list[Table]:
    """judgekit's own views: labelled, never under a benchmark's name."""
    tables = []
    for key, title in VIEWS:
        found = [r for r in results if isinstance(r.get(key), dict) and "label" in r[key]]
        if not found:
            continue
        columns = _unique([k for r in found for k in r[key]["scores"] if k != "overall"]) + ["overall"]
        rows = [[r["judge"], r["variant"], *(pct(r[key]["scores"].get(c)) for c in columns)] for r in found]
        notes = [found[0][key]["label"] + "."]
        unmapped = _unique([u for r in found for u in r[key].get("unmapped", [])])
        if unmapped:
            notes.append(f"Subsets in no section: {', '.join(unmapped)}.")
        tables.append(Table(f"{title} (judgekit view, %)", ["judge", "variant", *columns], rows, notes))
    return tables


# -- bias --------------------------------------------------------------------------------------------------------
def bias_tables(results: Sequence[dict[str, Any]]) -> list[Table]:
    """Position, length and style bias, each value with its bootstrap CI."""
    tables = []
    # blocks are read with .get: a plugin metric may write a key of the same name with part of these fields
    position = [r for r in results if isinstance(r.get("position_bias"), dict)]
    if position:
        tables.append(Table("Position bias (%, 95% CI)", [
            "judge", "variant", "first slot picked", "acc. chosen shown first", "acc. chosen shown second",
            "gap (pts)", "undecided"],
            [[r["judge"], r["variant"], *(with_ci(r["position_bias"].get(k)) for k in (
                "first_slot_rate", "accuracy_chosen_first", "accuracy_chosen_second", "gap")),
              str(r["position_bias"].get("undecided", "–"))] for r in position],
            ["Pairwise judges shown both orders; 50% first-slot picks = no position bias. Ties and failures "
             "are left out (undecided presentations)."]))
    length = [r for r in results if isinstance(r.get("length_bias"), dict)]
    if length:
        categories = _unique([c for r in length for c in r["length_bias"].get("by_category") or {}])
        scored = any("score_length_spearman" in r["length_bias"] for r in length)
        headers = ["judge", "variant", "acc. chosen longer", "acc. chosen shorter", "length-controlled acc.",
                   *(f"acc. {c} subsets" for c in categories)] + (["Spearman(score, length)"] if scored else [])
        rows = []
        for r in length:
            b = r["length_bias"]
            row = [r["judge"], r["variant"], with_ci(b.get("accuracy_chosen_longer")),
                   with_ci(b.get("accuracy_chosen_shorter")), with_ci(b.get("length_controlled_accuracy")),
                   *(with_ci((b.get("by_category") or {}).get(c)) for c in categories)]
            if scored:
                row.append(with_ci(b.get("score_length_spearman"), lambda v: num(v, 2)))
            rows.append(row)
        tables.append(Table("Length bias (%, 95% CI)", headers, rows, [
            "Per comparison; length in characters; ties count per the suite's ties policy, failures are left out. "
            "Length-controlled accuracy: a logistic fit of the verdict on the length difference, read at zero "
            "difference. Length categories: RewardBench's LENGTH_CATEGORIES (subsets where the chosen answer is "
            "longer / neutral / shorter)."]))
    style = [r for r in results if isinstance(r.get("style_bias"), dict)]
    if style:
        tables.append(Table("Style bias, RM-Bench (%, 95% CI)", ["judge", "variant", "hard (chosen plainer)", "normal",
                                                                  "easy (chosen more styled)", "easy − hard (pts)"],
                            [[r["judge"], r["variant"], *(with_ci(r["style_bias"].get(k)) for k in (
                                "hard", "normal", "easy", "gap"))] for r in style],
                            ["Items pooled over domains (the official RM-Bench score averages domains)."]))
    return tables


# -- headline numbers (compare) ----------------------------------------------------------------------------------
BIAS_NUMBERS = (
    ("position_bias", "first_slot_rate", "position: first slot picked"),
    ("position_bias", "accuracy_chosen_first", "position: acc. chosen first"),
    ("position_bias", "accuracy_chosen_second", "position: acc. chosen second"),
    ("length_bias", "accuracy_chosen_longer", "length: acc. chosen longer"),
    ("length_bias", "accuracy_chosen_shorter", "length: acc. chosen shorter"),
    ("length_bias", "length_controlled_accuracy", "length: length-controlled acc."),
    ("length_bias", "score_length_spearman", "length: Spearman(score, length)"),
    ("style_bias", "hard", "style: hard"),
    ("style_bias", "easy", "style: easy"),
)


def headline_numbers(result: dict[str, Any]) -> dict[str, tuple[float | None, bool]]:
    """label -> (value, is a percentage) of every official score and bias value of one result."""
    out: dict[str, tuple[float | None, bool]] = {}
    for key, name in OFFICIAL:
        for column, value in (result[key]["scores"] if _official(result, key) else {}).items():
            out[f"{name} {column} (official)"] = (value, True)
    for key, field_name, label in BIAS_NUMBERS:
        block = result.get(key)
        found = block.get(field_name) if isinstance(block, dict) else None
        if isinstance(found, dict) and "value" in found:
            out[label] = (found["value"], "Spearman" not in label)
    return out
