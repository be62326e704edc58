"""The official scores of RewardBench, RewardBench 2, RM-Bench and JudgeBench, as registered metrics.

Each metric computes its benchmark's score exactly as that benchmark's reference code does (the pure functions
of judgekit.eval.scoring, tested against upstream), and only where the data defines it: the suite option
``options.sections`` is ``auto`` (every benchmark the data holds), one benchmark's name (that one; where the
data lacks it the block says so), or ``none``. Each block says what it is: ``official: true``, the benchmark,
the reference (repository, version, function), what the data lacks (``missing``, scored as upstream scores it)
and the subsets no section lists (``unmapped``: listed, never dropped silently), plus ``notes``.

Official scores ignore the suite's ``ties``/``failures`` policy: upstream's rules apply (a scalar judge's tie
loses; a generative judge's tie or error earns 0.5 in RewardBench and 0.25 in RewardBench 2). judgekit's own
views of the same data are other metrics with their own labels (judgekit.eval.sections).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from judgekit.eval.metrics import METRICS, Metric, VariantContext
from judgekit.eval.scoring import judgebench as jb
from judgekit.eval.scoring import rewardbench as rb1
from judgekit.eval.scoring import rewardbench2 as rb2
from judgekit.eval.scoring import rmbench
from judgekit.eval.sections import is_matrix
from judgekit.judges.base import Judgment

REFERENCES = {
    "rewardbench": "allenai/reward-bench, PyPI rewardbench==0.1.4: per-subset accuracy as rewardbench/rewardbench.py "
                   "main, sections by rewardbench.utils.calculate_scores_per_section (weights: the fixed "
                   "EXAMPLE_COUNTS), overall = mean of the four sections",
    "rewardbench2": "allenai/reward-bench: best-of-N credit as rewardbench.utils.reroll_and_score_dataset (1/k for a "
                    "k-way tie at the top), per-subset accuracy as scripts/run_v2.py, Ties by "
                    "rewardbench.utils.process_single_model",
    "rm-bench": "THU-KEG/RM-Bench @73c52d7, scripts/utils.py compute_accuracy (domains chat, math, code, safety)",
    "judgebench": "ScalerLab/JudgeBench @e2c52c2, utils/metrics.py compute_final_metrics (categories by source "
                  "prefix as run_judge.py)",
}
TIES_REFERENCE = "main"
TIES_REFERENCE_TEXT = ("GitHub main @05a9005 (_compute_prompt_stats: margins over every prompt with both groups, "
                       "x/0 -> +-1, 0/0 -> 0)")


def finite(value: Any) -> float | None:
    """A number for report.json: NaN and infinities (upstream's 'undefined') become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def block(benchmark: str, key: str, scores: dict[str, Any], *, counts: dict[str, int] | None = None,
          missing: Any = (), unmapped: Any = (), notes: Any = (), **extra: Any) -> dict[str, Any]:
    """One benchmark's official score as report.json holds it."""
    return {"benchmark": benchmark, "official": True, "reference": REFERENCES[key],
            "scores": {k: finite(v) for k, v in scores.items()}, "counts": dict(counts or {}),
            "missing": list(missing), "unmapped": list(unmapped), "notes": list(notes), **extra}


def wanted(ctx: VariantContext, name: str) -> bool:
    return bool(ctx.judgments) and ctx.options.sections in ("auto", name)


def undefined(ctx: VariantContext, name: str, benchmark: str, key: str, why: str) -> dict[str, Any]:
    """Nothing under ``auto``; a block that says why when the suite asked for this benchmark."""
    if ctx.options.sections != name:
        return {}
    subsets = list(dict.fromkeys(j.subset for j in ctx.judgments))
    return {key: block(benchmark, name, {}, unmapped=subsets, notes=[why])}


def base_id(item_id: str) -> str:
    """The benchmark's own id (``prefix_ids`` adds ``source/`` in front)."""
    return item_id.rsplit("/", 1)[-1]


def both_orders(judgments: list[Judgment]) -> bool:
    return any(len(c.orders) == 2 for j in judgments for c in j.comparisons)


# -- RewardBench -------------------------------------------------------------------------------------------------
@METRICS.register("rewardbench")
class RewardBench(Metric):
    """RewardBench official score: sections weighted by upstream's EXAMPLE_COUNTS, a missing section 0, their mean"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if not wanted(ctx, "rewardbench"):
            return {}
        known = set(rb1.known_subsets())
        if not any(j.subset in known for j in ctx.judgments):
            return undefined(ctx, "rewardbench", "RewardBench", "rewardbench",
                             "no subset of the data is a RewardBench subset: the official score is not defined here")
        generative = ctx.kind == "generative"
        score = rb1.score_rewardbench([rb1.result_from_judgment(j, generative=generative) for j in ctx.judgments])
        notes = []
        if score.missing_sections:
            notes.append("sections without data score 0 in the overall, as upstream")
        partial = [s for s, n in score.counts.items() if s in known and n != rb1.EXAMPLE_COUNTS[s] and s != "math-prm"]
        if partial:
            notes.append("subsets weigh by upstream's fixed EXAMPLE_COUNTS, not by the items evaluated "
                         f"(partial here: {', '.join(partial)})")
        if generative:
            notes.append("generative judge: a tie or a failed verdict earns 0.5, upstream's 'error' credit")
            if both_orders(ctx.judgments):
                notes.append("each pair was judged in both orders and scored by the combined verdict "
                             "(upstream shows one random order)")
        return {"rewardbench": block(
            "RewardBench", "rewardbench", {**score.sections, "overall": score.overall},
            counts={s: n for s, n in score.counts.items()}, missing=score.missing_sections, unmapped=score.unmapped,
            notes=notes, subsets=score.subsets)}


# -- RewardBench 2 -----------------------------------------------------------------------------------------------
def _is_ties(subset: str) -> bool:
    return subset.lower() == "ties"


def _rb2_kind(ctx: VariantContext) -> str:
    """How upstream scores this judge: "scores" (reward model), "ratings", "choice" (4-way) or "pairwise" (none)."""
    scored = any(j.scores_chosen is not None and j.scores_rejected is not None for j in ctx.judgments)
    if scored:
        return "ratings" if ctx.kind == "generative" else "scores"
    if any(j.choice is not None for j in ctx.judgments):
        return "choice"
    return "pairwise" if ctx.kind == "generative" else "scores"


def _ties(judgments: list[Judgment], kind: str, notes: list[str]) -> dict[str, Any] | None:
    if kind not in ("scores", "ratings"):
        notes.append("Ties needs a score for every answer (a reward model or a rating-mode judge, as upstream's "
                     "run_generative_v2.py rates Ties); this judge gives none, so Ties and the overall are not defined")
        return None
    rows = [replace(rb2.ties_row_from_judgment(j), id=base_id(j.id)) for j in judgments]
    try:
        release = rb2.ties_score(rows, reference="0.1.4")
    except ValueError as exc:
        notes.append(f"Ties: {exc}")
        return None
    try:
        main = rb2.ties_score(rows, reference=TIES_REFERENCE)
    except ValueError as exc:
        notes.append(f"Ties: {exc}; the 0.1.4 release scores it {release.score:.4f}")
        return {"score": None, "reference": TIES_REFERENCE, "score_release_0_1_4": finite(release.score)}
    if main.common_prompts == 0:
        notes.append("Ties: no prompt has both a ref: and a tied: group, so upstream main's score is NaN (undefined)")
    if kind == "ratings":
        notes.append("Ties scored from ratings; an invalid rating counts -1, as upstream")
    return {"score": finite(main.score), "ref_accuracy": finite(main.ref_accuracy),
            "tied_accuracy": finite(main.tied_accuracy), "correctness_preferred": finite(main.correctness_preferred),
            "correctness_preferred_hard": finite(main.correctness_preferred_hard),
            "margin_score": finite(main.margin_score), "ref_prompts": main.ref_prompts,
            "tied_prompts": main.tied_prompts, "common_prompts": main.common_prompts,
            "reference": TIES_REFERENCE, "score_release_0_1_4": finite(release.score)}


@METRICS.register("rewardbench2")
class RewardBench2(Metric):
    """RewardBench 2 official score: per subset with 1/k tie credit, Ties with all its terms, mean of the six"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if not wanted(ctx, "rewardbench2"):
            return {}
        present = list(dict.fromkeys(j.subset for j in ctx.judgments))
        if not any(s in rb2.SUBSETS or _is_ties(s) for s in present):
            return undefined(ctx, "rewardbench2", "RewardBench 2", "rewardbench2",
                             "no subset of the data is a RewardBench 2 subset: the official score is not defined here")
        kind = _rb2_kind(ctx)
        notes: list[str] = []
        plain = [j for j in ctx.judgments if not _is_ties(j.subset)]
        if kind == "pairwise":
            notes.append("RewardBench 2 scores a 4-way choice, ratings or reward scores; a pairwise judge has no "
                         "official score here (use mode best-of-n or pointwise)")
            scores: dict[str, float | None] = {}
            counts: dict[str, int] = {}
        else:
            results = [rb2.result_from_judgment(j, mode="ratings" if kind == "ratings" else "scores") for j in plain]
            scores, counts = rb2.subset_scores(r for r in results if r.subset in rb2.SUBSETS)  # type: ignore[assignment]
            if kind in ("ratings", "choice"):
                notes.append("generative judge: an error earns 0.25 credit, as scripts/run_generative_v2.py")
        ties_judgments = [j for j in ctx.judgments if _is_ties(j.subset)]
        ties = _ties(ties_judgments, kind, notes) if ties_judgments else None
        if ties_judgments:
            scores["Ties"], counts["Ties"] = (ties or {}).get("score"), len(ties_judgments)
        ordered = {s: scores.get(s) for s in rb2.SUBSETS if s in scores or any(s == p for p in present)}
        missing = [s for s in rb2.SUBSETS if s not in ordered]
        values = [finite(ordered.get(s)) for s in rb2.SUBSETS]
        overall = float(np.mean(values)) if all(v is not None for v in values) else None
        if overall is None:
            notes.append("overall (the mean of the six subsets, as the leaderboard) needs all six scored"
                         + (f"; missing: {', '.join(missing)}" if missing else ""))
        return {"rewardbench2": block(
            "RewardBench 2", "rewardbench2", {**ordered, "overall": overall}, counts=counts, missing=missing,
            unmapped=[s for s in present if s not in rb2.SUBSETS and not _is_ties(s)], notes=notes, ties=ties,
            ties_reference=f"{TIES_REFERENCE}: {TIES_REFERENCE_TEXT}")}


# -- RM-Bench ----------------------------------------------------------------------------------------------------
def _domain(ctx: VariantContext, judgment: Judgment) -> str:
    example = ctx.examples.get(judgment.id)
    declared = example.meta.get("domain") if example is not None else None
    return str(declared) if isinstance(declared, str) and declared else judgment.subset


@METRICS.register("rm-bench")
class RMBench(Metric):
    """RM-Bench official score: easy / normal / hard from the 3x3 style matrix, per domain and over all four"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if not wanted(ctx, "rm-bench"):
            return {}
        matrix = [j for j in ctx.judgments if j.id in ctx.examples and is_matrix(ctx.examples[j.id])]
        if not matrix:
            return undefined(ctx, "rm-bench", "RM-Bench", "rm_bench",
                             "no item has RM-Bench's 3x3 style matrix: the official score is not defined here")
        items = [replace(rmbench.StyleItem.from_judgment(j), domain=_domain(ctx, j)) for j in matrix]
        score = rmbench.score_rmbench(items)
        notes = []
        if score.missing:
            notes.append(f"easy / normal / hard / total average the four domains; missing here: {', '.join(score.missing)}"
                         " (upstream's compute_accuracy needs all four), so only per-domain scores are given")
        if ctx.kind == "generative":
            notes.append("generative judge: a cell counts 1 only when its verdict is 'chosen' (ties and failures 0)")
        domains = {d: {"hard": r.hard, "normal": r.normal, "easy": r.easy, "average": r.average,
                       "matrix": [list(row) for row in r.matrix], "items": r.items} for d, r in score.domains.items()}
        scores = {d: (score.domains[d].average if d in score.domains else None) for d in rmbench.DOMAINS}
        scores.update(easy=score.easy, normal=score.normal, hard=score.hard, total=score.total)
        return {"rm_bench": block("RM-Bench", "rm-bench", scores, counts={d: r.items for d, r in score.domains.items()},
                                  missing=score.missing, unmapped=score.unmapped, notes=notes, domains=domains)}


# -- JudgeBench --------------------------------------------------------------------------------------------------
def _judgebench_pair(ctx: VariantContext, judgment: Judgment) -> jb.JudgedPair | None:
    example = ctx.examples.get(judgment.id)
    if example is None or example.meta.get("label") not in jb.LABELS:
        return None
    source = example.meta.get("source")
    origin = source.get("origin") if isinstance(source, Mapping) else None
    return jb.pair_from_judgment(judgment, label=example.meta["label"], source=str(origin or judgment.subset))


@METRICS.register("judgebench")
class JudgeBench(Metric):
    """JudgeBench official score: a pair judged in both orders (+1 / -1 per decision, correct when positive)"""

    def compute(self, ctx: VariantContext) -> dict[str, Any]:
        if not wanted(ctx, "judgebench"):
            return {}
        pairs = [p for p in (_judgebench_pair(ctx, j) for j in ctx.judgments) if p is not None]
        if not pairs:
            return undefined(ctx, "judgebench", "JudgeBench", "judgebench",
                             "no item carries a JudgeBench label ('A>B' / 'B>A'): the official score is not defined here")
        reverse = all(len(p.decisions) == 2 for p in pairs)
        notes = ["both orders: the second decision is flipped back; each decision equal to the label adds 1, "
                 "the opposite subtracts 1; a pair is correct when the sum is positive" if reverse else
                 "single game (one order, or a reward model): a pair is correct when its decision equals the label; "
                 "a reward model's tie counts 'B>A', as upstream"]
        if not reverse and any(len(p.decisions) == 2 for p in pairs):
            notes.append("some pairs were judged in one order only, so every pair is scored on its original order")
        scores = jb.score_judgebench(pairs, reverse_order=reverse)
        prefixes = {name: prefix for name, prefix in jb.CATEGORIES.items() if prefix}
        counts = {name: sum(p.source.startswith(prefix) for p in pairs) for name, prefix in prefixes.items()}
        counts["overall"] = len(pairs)
        unmapped = sorted({p.source for p in pairs if not p.source.startswith(tuple(prefixes.values()))})
        return {"judgebench": block("JudgeBench", "judgebench", scores, counts=counts,
                                    missing=[n for n, k in counts.items() if k == 0], unmapped=unmapped, notes=notes,
                                    mode="both orders" if reverse else "single game")}
