"""Judge-bias metrics as registered metrics (the statistics are judgekit.eval.bias), each with a bootstrap CI.

- ``position_bias`` (pairwise generative judges shown both orders): how often the first slot is picked, and
  accuracy when the chosen response is shown first vs second.
- ``length_bias`` (every judge): accuracy per comparison when the chosen response is longer vs shorter (in
  characters), per RewardBench length category where the data has RewardBench subsets, a length-controlled
  accuracy, and for judges that give scores the Spearman correlation of score with length.
- ``style_bias`` (RM-Bench items): accuracy when the chosen response is plainer than the rejected one (hard)
  vs more styled (easy), from the 3x3 style matrix, and their gap.

Intervals: percentile bootstrap over items with the suite's seed, resamples and level. A tie counts per the
suite's ``ties`` policy in length bias; failed comparisons are left out of every bias metric (they say
nothing about a preference) and counted in the failure rates.
"""

from __future__ import annotations

from typing import Any

from judgekit.eval import bias
from judgekit.eval.metrics import METRICS, Metric, VariantContext
from judgekit.eval.scoring.rmbench import StyleItem
from judgekit.eval.sections import is_matrix
from judgekit.eval.statistics import comparison_value

LENGTH_UNIT = "characters"


def estimate(value: bias.Estimate) -> dict[str, Any]:
    """An Estimate as report.json holds it: value, [low, high] and the number of items behind it."""
    return {"value": value.value, "ci": [value.low, value.high], "n": value.n}


def _kw(ctx: VariantContext) -> dict[str, Any]:
    return {"seed": ctx.seed, "resamples": ctx.options.bootstrap, "confidence": ctx.options.level}


@METRICS.register("position_bias")
class PositionBias(Metric):
    """share of first-slot picks, and accuracy with the chosen response shown first vs second (both-order judges)"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if ctx.kind == "scalar":
            return {}
        presentations = bias.presentations_from_judgments(ctx.judgments)
        if not any(p.picked in ("first", "second") for p in presentations):
            return {}
        result = bias.position_bias(presentations, **_kw(ctx))
        return {"position_bias": {
            "first_slot_rate": estimate(result.first_slot_rate),
            "accuracy_chosen_first": estimate(result.accuracy_chosen_first),
            "accuracy_chosen_second": estimate(result.accuracy_chosen_second),
            "gap": estimate(result.gap), "undecided": result.undecided}}


def length_records(ctx: VariantContext) -> list[bias.LengthRecord]:
    """One record per decided comparison chosen[i] vs rejected[j], with both responses' lengths."""
    records = []
    for judgment in ctx.judgments:
        example = ctx.examples.get(judgment.id)
        if example is None:
            continue
        for c in judgment.comparisons:
            if c.verdict == "failed" or c.chosen >= len(example.chosen) or c.rejected >= len(example.rejected):
                continue
            credit = comparison_value(c.verdict, ties=ctx.options.ties)
            if credit is None:
                continue
            records.append(bias.LengthRecord(judgment.id, credit, len(example.chosen[c.chosen]),
                                             len(example.rejected[c.rejected]), judgment.subset))
    return records


def score_points(ctx: VariantContext) -> tuple[list[float | None], list[float], list[str]]:
    """(score, length, item id) of every scored response, each response once per item."""
    scores: list[float | None] = []
    lengths: list[float] = []
    items: list[str] = []
    for judgment in ctx.judgments:
        example = ctx.examples.get(judgment.id)
        if example is None or judgment.scores_chosen is None or judgment.scores_rejected is None:
            continue
        for texts, values in ((example.chosen, judgment.scores_chosen), (example.rejected, judgment.scores_rejected)):
            for text, score in zip(texts, values, strict=False):
                scores.append(score)
                lengths.append(float(len(text)))
                items.append(judgment.id)
    return scores, lengths, items


@METRICS.register("length_bias")
class LengthBias(Metric):
    """accuracy with the chosen response longer vs shorter, length-controlled accuracy, Spearman(score, length)"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        records = length_records(ctx)
        scores, lengths, items = score_points(ctx)
        if not records and not scores:
            return {}
        kw = _kw(ctx)
        result = bias.length_bias(records, **kw)
        out: dict[str, Any] = {
            "unit": LENGTH_UNIT,
            "accuracy": estimate(result.accuracy),
            "accuracy_chosen_longer": estimate(result.accuracy_chosen_longer),
            "accuracy_chosen_shorter": estimate(result.accuracy_chosen_shorter),
            "equal_length": result.equal_length,
            "length_controlled_accuracy": estimate(result.length_controlled_accuracy),
            "by_category": {name: estimate(e) for name, e in result.by_category.items()},
        }
        if scores:
            out["score_length_spearman"] = estimate(bias.score_length_correlation(scores, lengths, items=items, **kw))
        return {"length_bias": out}


@METRICS.register("style_bias")
class StyleBias(Metric):
    """RM-Bench style: accuracy with the chosen response plainer (hard) vs more styled (easy) than the rejected"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        items = [StyleItem.from_judgment(j) for j in ctx.judgments
                 if j.id in ctx.examples and is_matrix(ctx.examples[j.id])]
        if not items:
            return {}
        result = bias.style_bias(items, **_kw(ctx))
        return {"style_bias": {name: estimate(getattr(result, name)) for name in ("hard", "normal", "easy", "gap")}}
