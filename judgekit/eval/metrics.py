"""Metrics: registered classes the report dispatches through `METRICS`, built-in and plugin alike.

A metric has a ``scope``: "variant" metrics see one judge's judgments on one variant (the originals or one
transform's items) and add keys to that result; "paired" metrics see the same items before and after a
transform and add keys to the result's ``robustness``; "judges" metrics see two judges on the same variant
(judgekit.eval.judge_metrics) and add keys to the first judge's result under ``versus[<other judge>]``. ``compute(context)`` returns a dict of keys (or {}
when the metric does not apply, e.g. position consistency of a scalar judge). A suite's ``metrics:`` list
names the metrics to run; empty runs them all. A plugin registers one with ``@METRICS.register(name)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from judgekit.data.example import Example
from judgekit.eval import statistics as S
from judgekit.judges.base import Judgment
from judgekit.registry import Registry


@dataclass
class VariantContext:
    """One judge on one variant."""

    judge: str
    kind: str
    variant: str
    judgments: list[Judgment]
    values: dict[str, float | None]  # item id -> value under the suite's tie/failure policy
    examples: dict[str, Example]  # the items as this variant shows them
    options: Any  # judgekit.eval.suite.MetricOptions
    seed: int


@dataclass
class PairedContext:
    """One judge on the same items before (``original``) and after (``transformed``) a transform."""

    original: VariantContext
    transformed: VariantContext
    scale: float | None  # std of the judge's scores on the originals (score-shift unit)
    ids: list[str] = field(default_factory=list)  # items counted on both sides

    @property
    def judge(self) -> str:
        return self.transformed.judge

    @property
    def variant(self) -> str:
        return self.transformed.variant

    def paired_values(self) -> tuple[list[float], list[float]]:
        return ([self.original.values[i] for i in self.ids],  # type: ignore[misc]
                [self.transformed.values[i] for i in self.ids])  # type: ignore[misc]

    @cached_property
    def score_pairs(self) -> tuple[list[float], list[float]]:
        """Scores of the responses the transform changed (the response or its prompt), before and after."""
        xs: list[float] = []
        ys: list[float] = []
        by_o = {j.id: j for j in self.original.judgments}
        by_t = {j.id: j for j in self.transformed.judgments}
        for i in self.ids:
            x, y = response_pairs(by_o[i], by_t[i], self.original.examples[i], self.transformed.examples[i])
            xs += x
            ys += y
        return xs, ys


def response_pairs(original: Judgment, transformed: Judgment, before: Example, after: Example,
                   ) -> tuple[list[float], list[float]]:
    """Scores of the responses a transform changed (the response or its prompt), before and after."""
    if original.scores_chosen is None or transformed.scores_chosen is None:
        return [], []
    xs, ys = [], []
    prompt_changed = before.prompt != after.prompt
    for side, scores_a, scores_b in (("chosen", original.scores_chosen, transformed.scores_chosen),
                                     ("rejected", original.scores_rejected, transformed.scores_rejected)):
        texts_a, texts_b = getattr(before, side), getattr(after, side)
        for k, (a, b) in enumerate(zip(scores_a or [], scores_b or [], strict=False)):
            if a is None or b is None or k >= len(texts_b):
                continue
            if prompt_changed or texts_a[k] != texts_b[k]:
                xs.append(a)
                ys.append(b)
    return xs, ys


class Metric:
    """Base class of registered metrics."""

    scope: ClassVar[str] = "variant"  # or "paired", or "judges"

    def compute(self, context: Any) -> dict[str, Any]:
        raise NotImplementedError


METRICS: Registry[type[Metric]] = Registry("metric", builtin="metrics")


def run_metrics(scope: str, context: Any, wanted: Sequence[str] = ()) -> tuple[dict[str, Any], dict[str, str]]:
    """Every registered metric of ``scope`` (or those in ``wanted``) on one context: (keys, errors by metric).

    A metric that raises is reported in the errors (with its message), never silently left out.
    """
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    owner: dict[str, str] = {}  # key -> the metric that wrote it
    for entry in METRICS.entries():
        if entry.obj.scope != scope or (wanted and entry.name not in wanted):
            continue
        try:
            keys = entry.obj().compute(context)
            taken = sorted(k for k in keys if k in owner)
            if taken:  # two metrics writing one key: keep the first, say so
                errors[entry.name] = f"writes {', '.join(taken)}, already written by {owner[taken[0]]}; not kept"
                keys = {k: v for k, v in keys.items() if k not in owner}
            owner.update(dict.fromkeys(keys, entry.name))
            out.update(keys)
        except Exception as exc:  # a plugin's bug must not lose the rest of the report
            errors[entry.name] = f"{type(exc).__name__}: {exc}"
    return out, errors


# -- variant metrics -------------------------------------------------------------------------------------------
@METRICS.register("accuracy")
class Accuracy(Metric):
    """share of items whose chosen response beats every rejected one (ties/failures per policy), with CI and per subset"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        kept = [v for v in ctx.values.values() if v is not None]
        by_subset: dict[str, list[float | None]] = defaultdict(list)
        for j in ctx.judgments:
            by_subset[j.subset].append(ctx.values[j.id])
        return {
            "n_counted": len(kept), "accuracy": S.accuracy(kept),
            "accuracy_ci": S.mean_ci(kept, seed=ctx.seed, resamples=ctx.options.bootstrap, level=ctx.options.level),
            "subsets": {s: {"n": len(v), "accuracy": S.accuracy(v)} for s, v in sorted(by_subset.items())},
            "failed_items": sum(1 for j in ctx.judgments if any(c.verdict == "failed" for c in j.comparisons)),
        }


def _comparisons(ctx: VariantContext):
    return [c for j in ctx.judgments for c in j.comparisons]


def _share(ctx: VariantContext, predicate) -> float | None:
    comparisons = _comparisons(ctx)
    return sum(1 for c in comparisons if predicate(c)) / len(comparisons) if comparisons else None


@METRICS.register("call_error_rate")
class CallErrorRate(Metric):
    """share of comparisons the backend never answered (errors that outlasted their retries)"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if ctx.kind == "scalar":
            return {}
        return {"call_error_rate": _share(ctx, lambda c: c.verdict == "failed" and c.failure == "call")}


@METRICS.register("parse_failure_rate")
class ParseFailureRate(Metric):
    """share of comparisons whose output held no valid verdict (call errors are counted apart)"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if ctx.kind == "scalar":
            return {}
        return {"parse_failure_rate": _share(ctx, lambda c: c.verdict == "failed" and c.failure != "call")}


@METRICS.register("tie_rate")
class TieRate(Metric):
    """share of comparisons decided as a tie (including order-inconsistent pairs under 'tie')"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if ctx.kind == "scalar":
            return {}
        return {"tie_rate": _share(ctx, lambda c: c.verdict == "tie")}


@METRICS.register("position_consistency")
class PositionConsistency(Metric):
    """share of two-order comparisons whose verdict did not change when A and B swapped"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if ctx.kind == "scalar":
            return {}
        both = [c for c in _comparisons(ctx) if len(c.orders) == 2 and "failed" not in c.orders.values()]
        value = sum(1 for c in both if c.orders["AB"] == c.orders["BA"]) / len(both) if both else None
        return {"position_consistency": value}


# -- paired metrics --------------------------------------------------------------------------------------------
@METRICS.register("drop")
class Drop(Metric):
    """accuracy on the original minus on the transformed items (same items), with a paired bootstrap CI"""

    scope = "paired"

    def compute(self, ctx: PairedContext) -> dict[str, Any]:
        a, b = ctx.paired_values()
        options, seed = ctx.transformed.options, ctx.transformed.seed
        drop, low, high = S.bootstrap_drop(a, b, seed=seed, resamples=options.bootstrap, level=options.level)
        by_subset: dict[str, list[str]] = defaultdict(list)
        for item_id in ctx.ids:
            by_subset[ctx.original.examples[item_id].subset].append(item_id)
        subsets = {}
        for subset, ids in sorted(by_subset.items()):
            x = [ctx.original.values[i] for i in ids]
            y = [ctx.transformed.values[i] for i in ids]
            d, lo, hi = S.bootstrap_drop(x, y, seed=seed, resamples=options.bootstrap, level=options.level)
            subsets[subset] = {"n": len(ids), "drop": S.finite(d), "drop_ci": [S.finite(lo), S.finite(hi)]}
        return {"n_paired": len(a), "accuracy_original": S.accuracy(a), "accuracy_transformed": S.accuracy(b),
                "drop": S.finite(drop), "drop_ci": [S.finite(low), S.finite(high)], "subsets": subsets}


@METRICS.register("mcnemar")
class McNemar(Metric):
    """exact two-sided McNemar test on items right->wrong (b) vs wrong->right (c)"""

    scope = "paired"

    def compute(self, ctx: PairedContext) -> dict[str, Any]:
        a, b = ctx.paired_values()
        return {"mcnemar": S.mcnemar(a, b) if a else None}


@METRICS.register("flip_rate")
class FlipRate(Metric):
    """share of items that went right->wrong and wrong->right under the transform"""

    scope = "paired"

    def compute(self, ctx: PairedContext) -> dict[str, Any]:
        flips = S.flip_rates(*ctx.paired_values())
        return {"flip_right_to_wrong": S.finite(flips["right_to_wrong"]),
                "flip_wrong_to_right": S.finite(flips["wrong_to_right"])}


@METRICS.register("score_shift")
class ScoreShift(Metric):
    """mean |r - r~| over responses the transform changed, divided by the std of original scores"""

    scope = "paired"

    def compute(self, ctx: PairedContext) -> dict[str, Any]:
        xs, ys = ctx.score_pairs
        return {"n_responses_changed": len(xs),
                "score_shift": S.score_shift(xs, ys, scale=ctx.scale or 0.0) if xs else None}


@METRICS.register("kendall_tau")
class KendallTau(Metric):
    """Kendall's tau-b between original and transformed scores of the same responses"""

    scope = "paired"

    def compute(self, ctx: PairedContext) -> dict[str, Any]:
        xs, ys = ctx.score_pairs
        return {"kendall_tau": S.kendall_tau(xs, ys) if len(xs) >= 2 else None}
