"""Visibility: did the judge see a transform at all?

A transform that changes the text but not what the model reads (BERT's tokenizer splits punctuation, so
`punct-spaces` leaves a WordPiece model's token ids unchanged) cannot move the judge: a drop of exactly 0 there
means "invisible", not "robust". Judges record a fingerprint of each item's model input in
``Judgment.meta["input_sha256"]`` (token ids for scalar judges, the rendered requests for generative ones); this
metric reports, per judge x transform, the share of paired items whose input is unchanged, and flags transforms
that no item made visible. Reports keep flagged transforms out of mean-drop aggregates.
"""

from __future__ import annotations

from typing import Any

from judgekit.eval.metrics import METRICS, Metric, PairedContext

INVISIBLE_ABOVE = 0.95  # a transform whose items are >= 95% unchanged to the judge is flagged


@METRICS.register("visibility")
class Visibility(Metric):
    """share of paired items whose model input (token ids / rendered prompt) the transform left unchanged"""

    scope = "paired"

    def compute(self, ctx: PairedContext) -> dict[str, Any]:
        before = {j.id: j.meta.get("input_sha256") for j in ctx.original.judgments}
        after = {j.id: j.meta.get("input_sha256") for j in ctx.transformed.judgments}
        known = [i for i in after if before.get(i) and after[i]]
        if not known:
            return {}
        unchanged = sum(1 for i in known if before[i] == after[i]) / len(known)
        return {"input_unchanged": unchanged, "invisible": unchanged >= INVISIBLE_ABOVE}
