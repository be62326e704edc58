"""A third-party metric (test fixture): registered like the built-ins, dispatched by the report."""

from __future__ import annotations

from typing import Any

from judgekit.eval.metrics import METRICS, Metric


@METRICS.register("fixture-longer-chosen")
class LongerChosen(Metric):
    """share of items whose first chosen response is longer than their first rejected one (a plugin example)"""

    def compute(self, ctx) -> dict[str, Any]:
        items = [ctx.examples[j.id] for j in ctx.judgments if j.id in ctx.examples]
        if not items:
            return {}
        return {"fixture_longer_chosen": sum(len(e.chosen[0]) > len(e.rejected[0]) for e in items) / len(items)}
