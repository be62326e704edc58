"""The `Report`: every registered metric of every judge on the original and each transformed set, as typed
JSON (``report.json``, see judgekit.provenance.report) plus Markdown and HTML renderings.

Built from a `RunResult` (a run in memory, or a run folder read back by `judgekit rescore`): item values
under the suite's tie/failure policy, then the variant metrics of each judge x variant, the paired
metrics of each transform against the originals, and the "judges" metrics of every pair of judges on the
same items (``versus``), all through the `METRICS` registry.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from judgekit.data.example import Example
from judgekit.eval import statistics as S
from judgekit.eval.metrics import PairedContext, VariantContext, response_pairs, run_metrics
from judgekit.eval.results import ORIGINAL, RunResult, TransformRecord
from judgekit.eval.sections import is_matrix
from judgekit.judges.base import Judgment
from judgekit.provenance.report import SCHEMA, SCHEMA_VERSION, ReportData

VIEWER_ITEMS_PER_TRANSFORM = 25
VIEWER_TEXT_LIMIT = 4000
__all__ = ["SCHEMA", "SCHEMA_VERSION", "Report", "build_report"]


@dataclass
class Report:
    """A finished evaluation. ``data`` is exactly what report.json holds."""

    data: dict[str, Any]

    def results(self, *, judge: str | None = None, variant: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.data["results"]
                if (judge is None or r["judge"] == judge) and (variant is None or r["variant"] == variant)]

    def accuracy(self, judge: str, variant: str = ORIGINAL) -> float | None:
        found = self.results(judge=judge, variant=variant)
        return found[0].get("accuracy") if found else None

    def call_error_rate(self) -> float:
        """Failed judge calls over all judge calls of the run (0 without generative judges)."""
        calls = sum(int(j["stats"].get("calls", 0)) for j in self.data["judges"])
        errors = sum(int(j["stats"].get("call_errors", 0)) for j in self.data["judges"])
        return errors / calls if calls else 0.0

    def to_markdown(self) -> str:
        from judgekit.eval.markdown import render_markdown

        return render_markdown(self.data)

    def to_html(self) -> str:
        from judgekit.eval.html import render_html

        return render_html(self.data)


def item_values(judgments: list[Judgment], matrix: dict[str, bool], options: Any) -> dict[str, float | None]:
    return {j.id: S.item_value(j, ties=options.ties, failures=options.failures, matrix=matrix.get(j.id, False))
            for j in judgments}


def _all_scores(judgments: list[Judgment]) -> list[float]:
    return [s for j in judgments for s in (*(j.scores_chosen or []), *(j.scores_rejected or [])) if s is not None]


def build_report(result: RunResult) -> Report:
    """Compute every metric of a run into the report.json structure."""
    from judgekit import __version__

    suite = result.suite
    before = {e.id: e for e in result.examples}
    matrix = {e.id: is_matrix(e) for e in result.examples}
    kinds = {j["name"]: j["kind"] for j in result.judges}
    variant_items = {ORIGINAL: before, **{t.name: {e.id: e for e in t.examples} for t in result.transforms}}
    results = []
    viewer: dict[tuple[str, str], dict[str, Any]] = {}
    contexts: dict[tuple[str, str], VariantContext] = {}
    for judge, variants in result.judgments.items():
        scores = _all_scores(variants[ORIGINAL])
        scale = float(np.std(scores)) if len(scores) > 1 else None
        for variant, judgments in variants.items():
            ctx = VariantContext(judge, kinds[judge], variant, judgments, item_values(judgments, matrix, suite.options),
                                 variant_items[variant], suite.options, suite.seed)
            contexts[(judge, variant)] = ctx
            keys, errors = run_metrics("variant", ctx, suite.metrics)
            entry: dict[str, Any] = {"judge": judge, "variant": variant, "n_items": len(judgments), **keys}
            if variant != ORIGINAL:
                original = contexts[(judge, ORIGINAL)]
                ids = [i for i in ctx.values if original.values.get(i) is not None and ctx.values[i] is not None]
                paired = PairedContext(original, ctx, scale, ids)
                robustness, paired_errors = run_metrics("paired", paired, suite.metrics)
                entry["robustness"] = robustness
                errors.update(paired_errors)
                _pick_viewer_items(viewer, paired)
            entry["metric_errors"] = errors
            results.append(entry)
    _compare_judges(results, contexts, list(result.judgments), suite.metrics)
    for (variant, item_id), item in viewer.items():  # every judge's view of each selected item
        for judge in result.judgments:
            if judge not in item["judges"]:
                o, t = contexts[(judge, ORIGINAL)], contexts[(judge, variant)]
                item["judges"][judge] = _judged_pair(o, t, item_id)
    data = ReportData(
        judgekit_version=__version__, created=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        suite={"name": suite.name, "description": suite.description, "seed": suite.seed,
               "options": suite.options.model_dump(), "data": suite.data.model_dump(mode="json", exclude_defaults=True),
               "n_items": len(result.examples),
               "subsets": dict(sorted(Counter(e.subset for e in result.examples).items()))},
        inputs=result.inputs, skipped_rows=result.skipped_rows,
        specs={"suite": suite.model_dump(mode="json"), "judges": [{"name": j["name"], "spec": j["spec"]}
                                                                   for j in result.judges]},
        templates=result.templates, transforms=[transform_entry(t) for t in result.transforms],
        judges=result.judges, results=results, items=list(viewer.values()))
    return Report(data.to_dict())


def _compare_judges(results: list[dict[str, Any]], contexts: dict[tuple[str, str], VariantContext],
                    judges: list[str], wanted: list[str]) -> None:
    """Every pair of judges on every variant they share: keys under the first judge's ``versus[second]``."""
    from judgekit.eval.judge_metrics import JudgePairContext

    entries = {(r["judge"], r["variant"]): r for r in results}
    for index, first in enumerate(judges):
        for second in judges[index + 1:]:
            for (judge, variant), context in contexts.items():
                if judge != first or (second, variant) not in contexts:
                    continue
                keys, errors = run_metrics("judges", JudgePairContext.of(context, contexts[(second, variant)]), wanted)
                entry = entries[(first, variant)]
                if keys:
                    entry.setdefault("versus", {})[second] = keys
                entry["metric_errors"].update({f"{name} vs {second}": e for name, e in errors.items()})


def transform_entry(record: TransformRecord) -> dict[str, Any]:
    reasons = Counter(reason for _, reason in record.not_applicable)
    return {"name": record.name, "family": record.family, "args": record.args, "targets": record.targets,
            "applied": len(record.examples), "not_applicable": len(record.not_applicable), "failed": len(record.failed),
            "not_applicable_reasons": dict(reasons.most_common(10)),
            "failures": [{"id": i, "error": e} for i, e in record.failed]}


# -- the item viewer ---------------------------------------------------------------------------------------------
def _clip(text: str) -> str:
    if len(text) <= VIEWER_TEXT_LIMIT:
        return text
    return text[:VIEWER_TEXT_LIMIT] + f" … [{len(text) - VIEWER_TEXT_LIMIT} more characters]"


def _texts(example: Example) -> dict[str, Any]:
    return {"prompt": [{"role": m.role, "content": _clip(m.content)} for m in example.prompt],
            "chosen": [_clip(t) for t in example.chosen], "rejected": [_clip(t) for t in example.rejected]}


def _judged(judgment: Judgment, value: float | None) -> dict[str, Any]:
    return {"value": value, "scores_chosen": judgment.scores_chosen, "scores_rejected": judgment.scores_rejected,
            "verdicts": [c.verdict for c in judgment.comparisons], "errors": judgment.errors[:4]}


def _judged_pair(original: VariantContext, transformed: VariantContext, item_id: str) -> dict[str, Any]:
    o = next(j for j in original.judgments if j.id == item_id)
    t = next(j for j in transformed.judgments if j.id == item_id)
    return {"original": _judged(o, original.values.get(item_id)),
            "transformed": _judged(t, transformed.values.get(item_id))}


def _pick_viewer_items(viewer: dict[tuple[str, str], dict[str, Any]], paired: PairedContext) -> None:
    """Up to N items per transform: flips first, then the largest score changes, then the rest in order."""
    original, transformed = paired.original, paired.transformed
    by_o = {j.id: j for j in original.judgments}
    by_t = {j.id: j for j in transformed.judgments}

    def interest(item_id: str) -> tuple[int, float]:
        a, b = original.values.get(item_id), transformed.values.get(item_id)
        flipped = a is not None and b is not None and (a == 1.0) != (b == 1.0)
        x, y = response_pairs(by_o[item_id], by_t[item_id], original.examples[item_id], transformed.examples[item_id])
        shift = max((abs(p - q) for p, q in zip(x, y, strict=True)), default=0.0)
        return (0 if flipped else 1, -shift)

    for item_id in sorted(transformed.examples, key=interest)[:VIEWER_ITEMS_PER_TRANSFORM]:
        key = (transformed.variant, item_id)
        if key not in viewer:
            viewer[key] = {"transform": transformed.variant, "id": item_id,
                           "subset": transformed.examples[item_id].subset,
                           "original": _texts(original.examples[item_id]),
                           "transformed": _texts(transformed.examples[item_id]), "judges": {}}
        viewer[key]["judges"][transformed.judge] = _judged_pair(original, transformed, item_id)
