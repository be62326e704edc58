"""Generative judges: a backend + a prompt template + a strict parser.

Modes:
    pairwise   chosen[i] vs rejected[j], in both presentation orders by default. The two verdicts
               agree (position-consistent) or not; an inconsistent pair counts as a tie by default
               (``inconsistent: wrong`` or ``first`` change that). With ``logprobs: k`` the verdict is
               P(A) vs P(B) of the first generated token, averaged over both orders.
    pointwise  each response rated 1-10 on its own; comparisons by rating (equal ratings tie).
    best-of-n  all candidates in one prompt, the correct one at a seeded, balanced position.
    verifier   each response checked against a reference answer (``meta.reference``); the chosen
               response should be judged correct and the rejected one incorrect.

Every call is batched through the backend once per mode; a call that fails or cannot be parsed makes
its comparison "failed", with the reason kept in the judgment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from judgekit.backends.base import Backend, ChatRequest, Generation
from judgekit.data.example import Example, Message
from judgekit.judges.base import JUDGES, Comparison, Judge, Judgment, judgment_from_scores
from judgekit.judges.parsers import PARSERS, ParseError, logprob_preference
from judgekit.judges.spec import GenerativeJudgeSpec
from judgekit.templates import conversation_text, load_template

REFERENCE_KEYS = ("reference", "reference_answer", "answer")


def default_placement(seed: int | None, example_id: str, n: int) -> int:
    """A seeded position in [0, n) for one item when the runner gives none (balanced in expectation)."""
    digest = hashlib.blake2b(f"{seed}\x00placement\x00{example_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n


def balanced_placements(ids: Sequence[str], n_options: Sequence[int], *, seed: int | None) -> dict[str, int]:
    """Positions for the correct answer that are exactly balanced over items with the same N.

    Items are ordered by a seeded hash of their id and dealt positions 0, 1, ..., N-1, 0, ... in turn,
    so the placement of an item does not depend on which other items are in the set's order.
    """
    out: dict[str, int] = {}
    by_n: dict[int, list[str]] = {}
    for example_id, n in zip(ids, n_options, strict=True):
        by_n.setdefault(n, []).append(example_id)
    for n, group in by_n.items():
        ranked = sorted(group, key=lambda i: hashlib.blake2b(f"{seed}\x00{i}".encode(), digest_size=8).digest())
        for rank, example_id in enumerate(ranked):
            out[example_id] = rank % n
    return out


def _reference(example: Example) -> str | None:
    """The reference answer a verifier checks against (``meta.reference``, ``reference_answer`` or ``answer``)."""
    value = next((example.meta[k] for k in REFERENCE_KEYS if example.meta.get(k)), None)
    return None if value is None else str(value)


@JUDGES.register("generative")
class GenerativeJudge(Judge):
    """An LLM-as-judge: backend + prompt template + strict parser (pairwise, pointwise, best-of-n, verifier)."""

    kind = "generative"
    Spec = GenerativeJudgeSpec

    def __init__(self, spec: GenerativeJudgeSpec, *, backend: Backend | None = None) -> None:
        self.spec = spec
        self.name = spec.display_name
        self._backend = backend
        self._progress: Callable[[int, int], None] | None = None
        self.template = load_template(spec.template_name)
        self.parser = PARSERS.get(spec.parser_name)
        self.counters = {"calls": 0, "call_errors": 0, "parse_failures": 0, "prompt_tokens": 0,
                         "completion_tokens": 0, "cached": 0}

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            from judgekit.backends import load_backend

            self._backend = load_backend(self.spec.backend)
        return self._backend

    def identity(self) -> dict[str, Any]:
        return {"kind": "generative", "backend": self.backend.identity(), "mode": self.spec.mode,
                "template": self.spec.template_name, "template_sha256": self.template.sha256,
                "parser": self.spec.parser_name, "both_orders": self.spec.both_orders,
                "inconsistent": self.spec.inconsistent, "logprobs": self.spec.logprobs,
                "max_tokens": self.spec.max_tokens, "temperature": self.spec.temperature, "seed": self.spec.seed}

    def stats(self) -> dict[str, Any]:
        return dict(self.counters)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()

    # -- plumbing -------------------------------------------------------------------------------------
    def _request(self, text: str, **metadata: Any) -> ChatRequest:
        messages = ((Message("system", self.spec.system),) if self.spec.system else ()) + (Message("user", text),)
        if self.spec.logprobs:
            return ChatRequest(messages, max_tokens=1, temperature=0.0, seed=self.spec.seed,
                               logprobs=self.spec.logprobs, metadata=metadata)
        return ChatRequest(messages, max_tokens=self.spec.max_tokens, temperature=self.spec.temperature,
                           seed=self.spec.seed, metadata=metadata)

    def _run(self, requests: list[ChatRequest]) -> list[Generation]:
        if not requests:
            return []
        total, done = len(requests), 0
        report = self._progress

        def step(n: int) -> None:
            nonlocal done
            done += n
            if report is not None:
                report(done, total)

        generations = self.backend.generate(requests, progress=step)
        for generation in generations:
            self.counters["calls"] += 1
            self.counters["call_errors"] += int(not generation.ok)
            self.counters["prompt_tokens"] += generation.usage.prompt_tokens
            self.counters["completion_tokens"] += generation.usage.completion_tokens
            self.counters["cached"] += int(generation.cached)
        return generations

    def _parse(self, generation: Generation, n_options: int) -> tuple[Any, str | None, str | None]:
        """(value, None, None) or (None, reason, "call" | "parse")."""
        if not generation.ok:
            return None, f"backend error: {generation.error or 'no text'}", "call"
        try:
            return self.parser(generation.text, n_options), None, None
        except ParseError as exc:
            self.counters["parse_failures"] += 1
            return None, f"parse failure: {exc}", "parse"

    def judge(self, examples: Sequence[Example], *, placements: dict[str, int] | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Judgment]:
        self._progress = progress
        mode = self.spec.mode
        if mode == "pairwise":
            return self._pairwise(examples, placements or {})
        if mode == "best-of-n":
            return self._best_of_n(examples, placements or {})
        return self._per_response(examples)

    # -- pairwise -------------------------------------------------------------------------------------
    def _pairwise(self, examples: Sequence[Example], placements: dict[str, int]) -> list[Judgment]:
        requests, slots = [], []
        for e_index, example in enumerate(examples):
            question = conversation_text(example.prompt)
            for i, chosen in enumerate(example.chosen):
                for j, rejected in enumerate(example.rejected):
                    if self.spec.both_orders:
                        orders = ["AB", "BA"]
                    else:
                        position = placements.get(example.id, default_placement(self.spec.seed, example.id, 2))
                        orders = ["AB" if position == 0 else "BA"]
                    for order in orders:
                        a, b = (chosen, rejected) if order == "AB" else (rejected, chosen)
                        text = self.template.render({"question": question, "answer_a": a, "answer_b": b})
                        requests.append(self._request(text, id=example.id, order=order))
                        slots.append((e_index, i, j, order))
        generations = self._run(requests)
        judgments = [Judgment(e.id, e.subset) for e in examples]
        per_pair: dict[tuple[int, int, int], dict[str, tuple[str, float | None]]] = {}
        for (e_index, i, j, order), generation in zip(slots, generations, strict=True):
            judgment = judgments[e_index]
            verdict, probability, failure = self._order_verdict(generation, order, judgment)
            per_pair.setdefault((e_index, i, j), {})[order] = (verdict, probability, failure)
        for (e_index, i, j), orders in per_pair.items():
            judgments[e_index].comparisons.append(self._combine(i, j, orders))
        return judgments

    def _order_verdict(self, generation: Generation, order: str,
                       judgment: Judgment) -> tuple[str, float | None, str | None]:
        """(verdict, P(chosen) in logprob mode, failure kind) of one presentation order."""
        judgment.raw.append({"order": order, "text": generation.text,
                             **({"top_logprobs": generation.top_logprobs} if self.spec.logprobs else {})})
        if self.spec.logprobs:
            if not generation.ok and generation.top_logprobs is None:
                judgment.errors.append(f"{order}: backend error: {generation.error or 'no text'}")
                return "failed", None, "call"
            try:
                p_a = logprob_preference(generation.top_logprobs)
            except ParseError as exc:
                self.counters["parse_failures"] += 1
                judgment.errors.append(f"{order}: parse failure: {exc}")
                return "failed", None, "parse"
            p_chosen = p_a if order == "AB" else 1.0 - p_a
            return ("chosen" if p_chosen > 0.5 else "rejected" if p_chosen < 0.5 else "tie"), p_chosen, None
        value, error, failure = self._parse(generation, 2)
        if error:
            judgment.errors.append(f"{order}: {error}")
            return "failed", None, failure
        if value == "tie":
            return "tie", None, None
        chosen_label = "A" if order == "AB" else "B"
        return ("chosen" if value == chosen_label else "rejected"), None, None

    def _combine(self, i: int, j: int, orders: dict[str, tuple[str, float | None, str | None]]) -> Comparison:
        verdicts = {order: v for order, (v, _, _) in orders.items()}
        probabilities = [p for _, p, _ in orders.values() if p is not None]
        probability = sum(probabilities) / len(probabilities) if len(probabilities) == len(orders) else None
        failures = {f for _, _, f in orders.values() if f}
        values = list(verdicts.values())
        if "failed" in values:
            failure = "call" if "call" in failures else "parse"
            return Comparison(i, j, "failed", orders=verdicts, probability=probability, failure=failure)
        if len(values) == 1 or values[0] == values[1]:
            verdict = values[0]
        elif probability is not None:  # logprob mode: the average probability decides
            verdict = "chosen" if probability > 0.5 else "rejected" if probability < 0.5 else "tie"
        else:
            verdict = {"tie": "tie", "wrong": "rejected", "first": verdicts.get("AB", values[0])}[self.spec.inconsistent]
        return Comparison(i, j, verdict, orders=verdicts, probability=probability)

    # -- best-of-N ------------------------------------------------------------------------------------
    def _best_of_n(self, examples: Sequence[Example], placements: dict[str, int]) -> list[Judgment]:
        requests, layouts = [], []
        for example in examples:
            n = 1 + len(example.rejected)
            position = placements.get(example.id, default_placement(self.spec.seed, example.id, n)) % n
            layout: list[int] = list(range(len(example.rejected)))  # rejected indices in shown order
            layout.insert(position, -1)  # -1 = the chosen response
            answers = [example.chosen[0] if k == -1 else example.rejected[k] for k in layout]
            text = self.template.render({"question": conversation_text(example.prompt), "answers": answers, "n": n})
            requests.append(self._request(text, id=example.id, position=position))
            layouts.append(layout)
        judgments = []
        for example, layout, generation in zip(examples, layouts, self._run(requests), strict=True):
            judgment = Judgment(example.id, example.subset, meta={"position": layout.index(-1)})
            judgment.raw.append({"text": generation.text})
            value, error, failure = self._parse(generation, len(layout))
            if error:
                judgment.errors.append(error)
                judgment.choice = -1
                verdicts = ["failed"] * len(example.rejected)
            else:
                picked = layout[value]
                judgment.choice = 0 if picked == -1 else 1 + picked
                verdicts = ["chosen" if picked == -1 else "rejected"] * len(example.rejected)
            judgment.comparisons = [Comparison(0, j, v, failure=failure) for j, v in enumerate(verdicts)]
            judgments.append(judgment)
        return judgments

    # -- pointwise rating / reference-based verification -----------------------------------------------
    def _per_response(self, examples: Sequence[Example]) -> list[Judgment]:
        verifier = self.spec.mode == "verifier"
        from_chosen = verifier and self.spec.reference == "chosen"
        keys: dict[tuple[Any, str, str | None], int] = {}
        requests, missing_reference = [], set()
        for example in examples:
            reference = example.chosen[0] if from_chosen else _reference(example)
            if verifier and reference is None:
                missing_reference.add(example.id)
                continue
            question = conversation_text(example.prompt)
            for response in example.rejected if from_chosen else (*example.chosen, *example.rejected):
                key = (example.prompt, response, reference)
                if key in keys:
                    continue
                keys[key] = len(requests)
                values = {"question": question, "answer": response}
                if verifier:
                    values["reference"] = reference
                requests.append(self._request(self.template.render(values), id=example.id))
        results = []
        for generation in self._run(requests):
            value, error, failure = self._parse(generation, 10)
            results.append((generation.text, None if error else float(value), error, failure))
        judgments = []
        for example in examples:
            if example.id in missing_reference:
                error = (f"no reference answer in meta ({'/'.join(REFERENCE_KEYS)}) for the verifier; "
                         "set 'reference: chosen' to check rejected responses against the chosen one")
                nones = [None] * len(example.chosen), [None] * len(example.rejected)
                judgments.append(judgment_from_scores(example, *nones, errors=[error], failure="input"))
                continue
            reference = example.chosen[0] if from_chosen else _reference(example)
            judged = example.rejected if from_chosen else (*example.chosen, *example.rejected)
            found = {r: results[keys[(example.prompt, r, reference)]] for r in judged}
            errors = [f"response {n}: {found[r][2]}" for n, r in enumerate(judged) if found[r][2]]
            if from_chosen:
                judgment = _against_chosen(example, [found[r][1] for r in example.rejected], errors,
                                           [found[r][3] for r in example.rejected])
            else:
                judgment = judgment_from_scores(example, [found[r][1] for r in example.chosen],
                                                [found[r][1] for r in example.rejected], errors=errors,
                                                chosen_failures=[found[r][3] for r in example.chosen],
                                                rejected_failures=[found[r][3] for r in example.rejected])
            judgment.raw = [{"text": found[r][0]} for r in judged]
            judgments.append(judgment)
        return judgments


def _against_chosen(example: Example, accepted: list[float | None], errors: list[str],
                    failures: list[str | None]) -> Judgment:
    """Master-key setting: the chosen response is the reference; a rejected one the verifier accepts wins."""
    comparisons = [Comparison(0, j, "failed", failure=failures[j] or "parse") if a is None
                   else Comparison(0, j, "rejected" if a >= 1.0 else "chosen") for j, a in enumerate(accepted)]
    return Judgment(example.id, example.subset, comparisons, scores_rejected=list(accepted), errors=errors,
                    meta={"reference": "chosen"})
