"""judgekit's own view of section scores: a labelled number, never the one called "RewardBench".

The official scores (judgekit.eval.official) weigh subsets by RewardBench's fixed example counts and count a
missing section as 0, exactly as upstream. On part of a benchmark (a limit, a few subsets) or on data that
declares its own sections (``meta.section``), users also want the sections of what was actually evaluated:
this view weighs each subset by its items evaluated (math-prm as much as all code subsets together, in the
spirit of RewardBench), averages only the sections present, takes sections from ``meta.section`` where the
data declares them (else RewardBench's map), and counts items under the suite's ``ties``/``failures``
policy. Subsets with no section are listed as ``unmapped``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from judgekit.data.example import Example
from judgekit.eval.metrics import METRICS, Metric, VariantContext
from judgekit.eval.scoring.rewardbench import SUBSET_MAPPING
from judgekit.eval.statistics import accuracy

SECTIONS_BY_ITEMS_LABEL = ("judgekit view, not the RewardBench score: sections weighted by the items evaluated "
                           "(math as much as all code together), only the sections present, sections from "
                           "meta.section where the data declares them, items counted under the suite's "
                           "ties/failures policy")
_SECTION_OF = {subset: section.lower().replace(" ", "-") for section, subsets in SUBSET_MAPPING.items()
               for subset in subsets}


def is_matrix(example: Example) -> bool:
    """An RM-Bench item: 3 chosen x 3 rejected responses in declared styles."""
    return bool(example.meta.get("styles")) and len(example.chosen) == 3 and len(example.rejected) == 3


def section_of(subset: str, meta: Mapping[str, Any]) -> str | None:
    """``meta.section`` when the data declares one (lower-case, hyphens), else RewardBench's map, else None."""
    declared = meta.get("section")
    if isinstance(declared, str) and declared:
        return declared.lower().replace(" ", "-")
    return _SECTION_OF.get(subset)


def sections_by_items(subset_accuracy: Mapping[str, float | None], subset_count: Mapping[str, int],
                      subset_section: Mapping[str, str | None]) -> dict[str, float] | None:
    """Section scores and ``overall`` from per-subset accuracies; None when no subset has a section."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for subset, section in subset_section.items():
        if section is not None and subset_accuracy.get(subset) is not None:
            grouped[section].append(subset)
    if not grouped:
        return None
    scores: dict[str, float] = {}
    for section, subsets in sorted(grouped.items()):
        weights = {s: float(subset_count[s]) for s in subsets}
        math_subsets = [s for s in subsets if "math" in s.lower() or "prm" in s.lower()]
        other = [s for s in subsets if s not in math_subsets]
        if section == "reasoning" and math_subsets and other:
            math_total = sum(weights[s] for s in math_subsets)
            other_total = sum(weights[s] for s in other)
            for s in math_subsets:  # math as a whole weighs as much as everything else (code) together
                weights[s] *= other_total / math_total
        total = sum(weights.values())
        scores[section] = sum(subset_accuracy[s] * weights[s] for s in subsets) / total  # type: ignore[operator]
    scores["overall"] = sum(scores.values()) / len(scores)
    return scores


@METRICS.register("sections_by_items")
class SectionsByItems(Metric):
    """judgekit view, not the RewardBench score: sections of the items evaluated, present sections only"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if ctx.options.sections not in ("auto", "rewardbench") or not ctx.judgments:
            return {}
        by_subset: dict[str, list[float | None]] = defaultdict(list)
        section_map: dict[str, str | None] = {}
        for j in ctx.judgments:
            by_subset[j.subset].append(ctx.values.get(j.id))
            example = ctx.examples.get(j.id)
            section_map.setdefault(j.subset, section_of(j.subset, example.meta if example is not None else {}))
        scores = sections_by_items({s: accuracy(v) for s, v in by_subset.items()},
                                   {s: sum(1 for x in v if x is not None) for s, v in by_subset.items()}, section_map)
        if scores is None:
            return {}
        return {"sections_by_items": {"label": SECTIONS_BY_ITEMS_LABEL, "scores": scores,
                                      "unmapped": [s for s, section in section_map.items() if section is None]}}
