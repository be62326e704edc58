"""`panel` judges: several member judges decide each comparison by a vote.

Votes (``vote``):
    majority   the verdict with the most member votes (chosen, rejected or tie) wins;
    mean       members that give scores (reward models, pointwise ratings): the mean score of each response
               decides (the panel's judgment carries those scores); otherwise the mean of each member's
               preference for the chosen response (1 chosen, 0.5 tie, 0 rejected; P(chosen) in logprob
               mode) decides, above or below 0.5;
    unanimous  chosen (or rejected, or tie) only when every voting member says so.

A failed member (call, parse or input failure) abstains; a comparison no member decided fails, with the
most telling failure kind (call, then input, then parse). When the vote is undecided (a draw for the most
votes, a mean of exactly 0.5 or equal mean scores, members that disagree under ``unanimous``), ``tie_break``
settles it: ``tie`` (a tie), ``wrong`` (counted as the rejected response winning) or ``first`` (the first
member with a chosen/rejected verdict decides). Each judgment keeps every member's verdicts in
``meta.votes``; the report turns them into member agreement (Fleiss' kappa, judgekit.eval.judge_metrics).

Members are judge names, files, folders or inline specs, looked up beside the panel's file first. To see
each member's own accuracy next to the panel's, pass the members as judges too: their calls are cached,
so the second pass costs nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from judgekit.backends.base import Backend
from judgekit.data.example import Example
from judgekit.judges.base import JUDGES, Comparison, Judge, Judgment, compare_scores
from judgekit.judges.spec import JudgeSpec

PREFERENCE = {"chosen": 1.0, "tie": 0.5, "rejected": 0.0}


class PanelJudgeSpec(JudgeSpec):
    """Member judges and how their verdicts are combined."""

    kind: Literal["panel"] = "panel"
    members: list[str | dict[str, Any]] = Field(min_length=2, description="judge names, files, folders or specs")
    vote: Literal["majority", "mean", "unanimous"] = "majority"
    tie_break: Literal["tie", "wrong", "first"] = Field(
        "tie", description="what an undecided vote counts as: a tie, the rejected response winning, or the "
        "first member's verdict")

    @model_validator(mode="after")
    def _members(self) -> PanelJudgeSpec:
        from judgekit.errors import SpecError
        from judgekit.judges.loader import resolve_spec

        names = []
        for index, member in enumerate(self.members):
            try:
                names.append(resolve_spec(member).display_name)
            except SpecError as exc:
                raise ValueError(f"members.{index}: {exc}") from None
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"two members are named {', '.join(duplicates)}; give them distinct 'name's")
        return self

    @property
    def display_name(self) -> str:
        return self.name or "panel"


def _failed(votes: list[Comparison]) -> Comparison | None:
    """The failed comparison when no member decided, else None."""
    if any(v.verdict != "failed" for v in votes):
        return None
    kinds = {v.failure for v in votes}
    kind = next((k for k in ("call", "input", "parse") if k in kinds), "parse")
    return Comparison(votes[0].chosen, votes[0].rejected, "failed", failure=kind)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


@JUDGES.register("panel")
class PanelJudge(Judge):
    """Member judges that vote on each comparison (majority, mean score, or unanimous) with a tie rule."""

    kind = "panel"
    Spec = PanelJudgeSpec

    def __init__(self, spec: PanelJudgeSpec, *, members: Sequence[Judge] | None = None) -> None:
        from judgekit.judges.loader import load_judge

        self.spec = spec
        self.name = spec.display_name
        self.members = list(members) if members is not None else [load_judge(m) for m in spec.members]

    def identity(self) -> dict[str, Any]:
        return {"kind": "panel", "vote": self.spec.vote, "tie_break": self.spec.tie_break,
                "members": [{"name": m.name, **m.identity()} for m in self.members]}

    def stats(self) -> dict[str, Any]:
        per_member = {m.name: m.stats() for m in self.members}
        totals: Counter[str] = Counter()
        for stats in per_member.values():
            totals.update({k: v for k, v in stats.items() if isinstance(v, int | float)})
        return {**dict(totals), "members": per_member}

    def close(self) -> None:
        for member in self.members:
            member.close()

    def wrap_backend(self, wrapper: Callable[[Backend], Backend]) -> None:
        for member in self.members:
            if hasattr(member, "wrap_backend"):
                member.wrap_backend(wrapper)

    def check_item(self, example: Example) -> None:
        for member in self.members:
            if hasattr(member, "check_item"):
                member.check_item(example)

    def placements(self, examples: Sequence[Example], seed: int) -> dict[str, Any]:
        """Each member's placements, by member name."""
        return {m.name: m.placements(examples, seed) for m in self.members if hasattr(m, "placements")}

    def judge(self, examples: Sequence[Example], *, placements: dict[str, Any] | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Judgment]:
        placements = placements or {}
        state: dict[str, tuple[int, int]] = {}
        results = []
        for member in self.members:
            def tick(done: int, total: int, name: str = member.name) -> None:
                state[name] = (done, total)
                if progress is not None:
                    progress(sum(d for d, _ in state.values()), sum(t for _, t in state.values()))

            given = placements.get(member.name)
            results.append(member.judge(examples, placements=given if isinstance(given, dict) else None,
                                        progress=tick))
        return [self._combine(example, [r[k] for r in results]) for k, example in enumerate(examples)]

    # -- the vote -------------------------------------------------------------------------------------------
    def _combine(self, example: Example, judged: list[Judgment]) -> Judgment:
        names = [m.name for m in self.members]
        out = Judgment(example.id, example.subset, meta={"votes": {n: [c.verdict for c in j.comparisons]
                                                                   for n, j in zip(names, judged, strict=True)}})
        for name, judgment in zip(names, judged, strict=True):
            out.errors += [f"{name}: {e}" for e in judgment.errors]
            out.raw += [{"member": name, **r} for r in judgment.raw]
        scored = self.spec.vote == "mean" and all(j.scores_chosen is not None for j in judged)
        if scored:
            out.scores_chosen = [self._mean_score(judged, "scores_chosen", i) for i in range(len(example.chosen))]
            out.scores_rejected = [self._mean_score(judged, "scores_rejected", j)
                                   for j in range(len(example.rejected))]
        by_pair: dict[tuple[int, int], list[Comparison]] = {}
        for judgment in judged:
            for comparison in judgment.comparisons:
                by_pair.setdefault((comparison.chosen, comparison.rejected), []).append(comparison)
        for (i, j), votes in by_pair.items():
            failed = _failed(votes)
            if failed is not None:
                out.comparisons.append(failed)
                continue
            if scored:
                verdict = compare_scores(out.scores_chosen[i], out.scores_rejected[j])
                verdict = self._settle(votes) if verdict == "tie" else verdict
                if verdict == "failed":  # a score is missing on one side for every member
                    out.comparisons.append(Comparison(i, j, "failed", failure="parse"))
                    continue
            else:
                verdict = self._vote(votes)
            out.comparisons.append(Comparison(i, j, verdict))
        return out

    @staticmethod
    def _mean_score(judged: list[Judgment], side: str, index: int) -> float | None:
        values = []
        for judgment in judged:
            scores = getattr(judgment, side) or []
            if index < len(scores) and scores[index] is not None:
                values.append(scores[index])
        return _mean(values) if values else None

    def _vote(self, votes: list[Comparison]) -> str:
        cast = [v for v in votes if v.verdict != "failed"]
        verdicts = [v.verdict for v in cast]
        if self.spec.vote == "mean":
            preference = _mean([v.probability if v.probability is not None else PREFERENCE[v.verdict] for v in cast])
            return "chosen" if preference > 0.5 else "rejected" if preference < 0.5 else self._settle(cast)
        if self.spec.vote == "unanimous":
            return verdicts[0] if len(set(verdicts)) == 1 else self._settle(cast)
        counts = Counter(verdicts).most_common()
        if len(counts) > 1 and counts[0][1] == counts[1][1]:
            return self._settle(cast)
        return counts[0][0]

    def _settle(self, votes: list[Comparison]) -> str:
        if self.spec.tie_break == "first":
            return next((v.verdict for v in votes if v.verdict in ("chosen", "rejected")), "tie")
        return "tie" if self.spec.tie_break == "tie" else "rejected"
