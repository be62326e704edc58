"""Metrics about judges themselves: two judges on the same items, panels, self-consistency, re-prompts.

``judges`` scope: a `JudgePairContext` holds two judges' values on the same variant; the report runs these
metrics for every pair of judges (in run order) on every variant and stores the keys under the first
judge's result as ``versus[<second judge>]``. This is how a prompt sweep's judges are compared: accuracy
difference with a paired bootstrap CI, and an exact McNemar test on the items where exactly one is right.

Variant metrics here read what judges leave in ``Judgment.meta``: a panel's member votes (``votes``), the
agreement rate of self-consistency samples (``sample_agreement``) and re-prompt counts (``parses``); each
returns {} for judges that leave nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from judgekit.eval import statistics as S
from judgekit.eval.metrics import METRICS, Metric, VariantContext


@dataclass
class JudgePairContext:
    """Judge ``first`` and judge ``second`` on the same variant; ``ids``: items both counted."""

    first: VariantContext
    second: VariantContext
    ids: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, first: VariantContext, second: VariantContext) -> JudgePairContext:
        ids = [i for i, v in first.values.items() if v is not None and second.values.get(i) is not None]
        return cls(first, second, ids)

    def paired_values(self) -> tuple[list[float], list[float]]:
        return ([self.first.values[i] for i in self.ids],  # type: ignore[misc]
                [self.second.values[i] for i in self.ids])  # type: ignore[misc]


@METRICS.register("judge_difference")
class JudgeDifference(Metric):
    """accuracy of one judge minus another's on the same items, paired bootstrap CI and exact McNemar p"""

    scope = "judges"

    def compute(self, ctx: JudgePairContext) -> dict[str, Any]:
        a, b = ctx.paired_values()
        options, seed = ctx.first.options, ctx.first.seed
        difference, low, high = S.bootstrap_drop(a, b, seed=seed, resamples=options.bootstrap, level=options.level)
        return {"n_paired": len(a), "accuracy": S.accuracy(a), "accuracy_other": S.accuracy(b),
                "difference": S.finite(difference), "difference_ci": [S.finite(low), S.finite(high)],
                "mcnemar": S.mcnemar(a, b) if a else None}


@METRICS.register("panel_agreement")
class PanelAgreement(Metric):
    """a panel's member agreement: Fleiss' kappa over comparisons every member decided, and the unanimous share"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        rows = []
        for judgment in ctx.judgments:
            votes = judgment.meta.get("votes")
            if not votes:
                continue
            for verdicts in zip(*votes.values(), strict=False):
                if "failed" not in verdicts:
                    rows.append(list(verdicts))
        if not any(j.meta.get("votes") for j in ctx.judgments):
            return {}
        return {"panel_kappa": S.fleiss_kappa(rows) if rows else None, "panel_comparisons": len(rows),
                "panel_unanimous_rate": sum(1 for r in rows if len(set(r)) == 1) / len(rows) if rows else None}


@METRICS.register("self_consistency")
class SelfConsistency(Metric):
    """mean share of a judge's samples that agree with its majority verdict (judges with samples > 1)"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        rates = [r for j in ctx.judgments for r in j.meta.get("sample_agreement") or []]
        if not rates:
            return {}
        return {"sample_agreement": sum(rates) / len(rates), "sampled_questions": len(rates)}


@METRICS.register("reprompt")
class Reprompt(Metric):
    """first-try parse rate of a judge's replies, and how many verdicts the re-prompt recovered"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        counted = [j for j in ctx.judgments if "parses" in j.meta]
        if not counted:
            return {}
        replies = sum(len(r.get("samples") or [None]) for j in counted for r in j.raw)
        failures = sum(j.meta["parses"]["first_try_failures"] for j in counted)
        recovered = sum(j.meta["parses"]["recovered"] for j in counted)
        return {"first_try_parse_rate": 1 - failures / replies if replies else None,
                "reprompts": failures, "reprompt_recovered": recovered,
                "reprompt_recovery_rate": recovered / failures if failures else None}
