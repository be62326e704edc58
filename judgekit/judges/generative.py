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

Templates read the mode's variables plus a rubric, few-shot records, the reference answer and any item
field (judgekit.judges.inputs); ``samples: k`` and ``reprompt`` are in judgekit.judges.sampling. Every call
is batched through the backend once per mode; a call that fails or cannot be parsed makes its comparison
"failed", with the reason kept in the judgment; an item the template cannot render (a missing
``item.meta`` field or reference) fails as "input" and is never sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from judgekit.backends.base import Backend, ChatRequest, Generation
from judgekit.data.example import Example, Message
from judgekit.errors import SpecError
from judgekit.judges.base import JUDGES, Comparison, Judge, Judgment, fingerprint, judgment_from_scores
from judgekit.judges.inputs import REFERENCE_KEYS, TemplateInputs, reference_of
from judgekit.judges.parsers import PARSERS, ParseError, logprob_preference
from judgekit.judges.placement import balanced_placements, default_placement
from judgekit.judges.sampling import FORMATS, REPROMPT_TEMPLATE, Answer, ask, sample_request
from judgekit.judges.spec import GenerativeJudgeSpec
from judgekit.templates import conversation_text, load_template


@JUDGES.register("generative")
class GenerativeJudge(Judge):
    """An LLM-as-judge: backend + prompt template + strict parser (pairwise, pointwise, best-of-n, verifier)."""

    kind = "generative"
    Spec = GenerativeJudgeSpec

    def __init__(self, spec: GenerativeJudgeSpec, *, backend: Backend | None = None) -> None:
        self.spec = spec
        self.name = spec.display_name
        self._backend = backend
        self._wrappers: list[Callable[[Backend], Backend]] = []
        self._progress: Callable[[int, int], None] | None = None
        self.template = load_template(spec.template_name)
        self.inputs = TemplateInputs.for_judge(self.template, mode=spec.mode, rubric=spec.rubric,
                                               rubric_file=spec.rubric_file, fewshot_file=spec.fewshot_file)
        self.parser = PARSERS.get(spec.parser_name)
        self.followup = load_template(REPROMPT_TEMPLATE) if spec.reprompt else None
        self.counters = {"calls": 0, "call_errors": 0, "parse_failures": 0, "prompt_tokens": 0,
                         "completion_tokens": 0, "cached": 0}
        if spec.reprompt:
            self.counters.update(first_try_parse_failures=0, reprompts=0, reprompt_recovered=0)

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            from judgekit.backends import load_backend

            self._backend = load_backend(self.spec.backend)
        while self._wrappers:
            self._backend = self._wrappers.pop(0)(self._backend)
        return self._backend

    def wrap_backend(self, wrapper: Callable[[Backend], Backend]) -> None:
        """Put ``wrapper(backend)`` between this judge and its backend (e.g. a spending limit); applied when
        the backend is first used, so nothing loads now."""
        self._wrappers.append(wrapper)

    def identity(self) -> dict[str, Any]:
        extra: dict[str, Any] = dict(self.inputs.identity())
        if self.spec.samples > 1:
            extra["samples"] = self.spec.samples
        if self.spec.reprompt:
            extra.update(reprompt=True, reprompt_template_sha256=self.followup.sha256)
        return {"kind": "generative", "backend": self.backend.identity(), "mode": self.spec.mode,
                "template": self.spec.template_name, "template_sha256": self.template.sha256,
                "parser": self.spec.parser_name, "both_orders": self.spec.both_orders,
                "inconsistent": self.spec.inconsistent, "logprobs": self.spec.logprobs,
                "max_tokens": self.spec.max_tokens, "temperature": self.spec.temperature, "seed": self.spec.seed,
                **extra}

    def stats(self) -> dict[str, Any]:
        return dict(self.counters)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()

    def placements(self, examples: Sequence[Example], seed: int) -> dict[str, int]:
        """Balanced positions of the correct answer over ``examples`` (the originals of a run)."""
        sizes = [1 + len(e.rejected) if self.spec.mode == "best-of-n" else 2 for e in examples]
        return balanced_placements([e.id for e in examples], sizes, seed=seed)

    def planned_requests(self, examples: Sequence[Example], placements: dict[str, int] | None = None,
                         ) -> list[ChatRequest]:
        """Every first-try request `judge` would send (samples included; re-prompts depend on the replies).
        Renders every prompt, so a template error shows here; sends nothing."""
        mode = self.spec.mode
        if mode == "pairwise":
            requests = self._pairwise_requests(examples, placements or {})[0]
        elif mode == "best-of-n":
            requests = self._best_of_n_requests(examples, placements or {})[0]
        else:
            requests = self._per_response_requests(examples)[0]
        return [sample_request(r, s) for r in requests for s in range(self.spec.samples)]

    # -- plumbing -------------------------------------------------------------------------------------
    def _render(self, example: Example, **values: Any) -> str:
        return self.template.render(self.inputs.values(example, **values))

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
        """(value, None, None) or (None, reason, "call" | "parse"); logprob mode gives P(A)."""
        if self.spec.logprobs:
            if not generation.ok and generation.top_logprobs is None:
                return None, f"backend error: {generation.error or 'no text'}", "call"
            try:
                return logprob_preference(generation.top_logprobs), None, None
            except ParseError as exc:
                return None, f"parse failure: {exc}", "parse"
        if not generation.ok:
            return None, f"backend error: {generation.error or 'no text'}", "call"
        try:
            return self.parser(generation.text, n_options), None, None
        except ParseError as exc:
            return None, f"parse failure: {exc}", "parse"

    def _instruction(self, n_options: int) -> str:
        hint = FORMATS.get(self.spec.parser_name) or PARSERS.entry(self.spec.parser_name).description
        return self.followup.render({"format": hint.format(n=n_options)})

    def _ask(self, requests: list[ChatRequest], n_options: Sequence[int]) -> list[Answer]:
        answers = ask(requests, samples=self.spec.samples, run=self._run, parse=self._parse, n_options=n_options,
                      instruction=self._instruction if self.followup is not None else None,
                      draw="tie" if self.spec.parser_name == "pairwise" else None)
        for answer in answers:
            self.counters["parse_failures"] += int(answer.failure == "parse")
            if self.spec.reprompt:
                self.counters["first_try_parse_failures"] += answer.first_try_failures
                self.counters["reprompts"] += answer.first_try_failures
                self.counters["reprompt_recovered"] += answer.recovered
        return answers

    def _note(self, judgment: Judgment, answer: Answer) -> None:
        """Self-consistency and re-prompt counts an item's metrics read (judgekit.eval.judge_metrics)."""
        if answer.agreement is not None:
            judgment.meta.setdefault("sample_agreement", []).append(answer.agreement)
        if self.spec.reprompt:
            parses = judgment.meta.setdefault("parses", {"first_try_failures": 0, "recovered": 0})
            parses["first_try_failures"] += answer.first_try_failures
            parses["recovered"] += answer.recovered

    def _rendered(self, example: Example, input_errors: dict[int, str], e_index: int, **values: Any) -> str | None:
        try:
            return self._render(example, **values)
        except SpecError as exc:  # a per-item value the template reads is missing: this item only
            has = ", ".join(sorted(example.meta)) or "nothing"
            input_errors.setdefault(e_index, f"input: {exc} (item.meta has: {has}"
                                    f"{'; no reference answer' if reference_of(example) is None else ''})")
            return None

    def check_item(self, example: Example) -> None:
        """Render this judge's prompts for one item; SpecError if the template cannot (nothing is sent)."""
        if self.spec.mode == "pairwise":
            errors = self._pairwise_requests([example], {})[2]
        elif self.spec.mode == "best-of-n":
            errors = self._best_of_n_requests([example], {})[2]
        else:
            errors = self._per_response_requests([example])[2]
        if errors.get(0, "").startswith("input: "):
            raise SpecError(errors[0].removeprefix("input: "))

    def judge(self, examples: Sequence[Example], *, placements: dict[str, int] | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Judgment]:
        self._progress = progress
        mode, placed = self.spec.mode, placements or {}
        judgments = (self._pairwise(examples, placed) if mode == "pairwise" else
                     self._best_of_n(examples, placed) if mode == "best-of-n" else self._per_response(examples))
        for example, judgment in zip(examples, judgments, strict=True):  # what the model read, for `visibility`
            judgment.meta["input_sha256"] = fingerprint(self.planned_requests([example], placed))
        return judgments

    def _input_failure(self, example: Example, error: str) -> Judgment:
        self.counters["input_failures"] = self.counters.get("input_failures", 0) + 1
        nones = [None] * len(example.chosen), [None] * len(example.rejected)
        judgment = judgment_from_scores(example, *nones, errors=[error], failure="input")
        judgment.scores_chosen = judgment.scores_rejected = None
        return judgment

    # -- pairwise -------------------------------------------------------------------------------------
    def _pairwise_requests(self, examples: Sequence[Example], placements: dict[str, int]):
        requests, slots, input_errors = [], [], {}
        for e_index, example in enumerate(examples):
            question = conversation_text(example.prompt)
            built = []
            for i, chosen in enumerate(example.chosen):
                for j, rejected in enumerate(example.rejected):
                    if self.spec.both_orders:
                        orders = ["AB", "BA"]
                    else:
                        position = placements.get(example.id, default_placement(self.spec.seed, example.id, 2))
                        orders = ["AB" if position == 0 else "BA"]
                    for order in orders:
                        a, b = (chosen, rejected) if order == "AB" else (rejected, chosen)
                        text = self._rendered(example, input_errors, e_index, question=question, answer_a=a,
                                              answer_b=b)
                        built.append((self._request(text or "", id=example.id, order=order), (e_index, i, j, order)))
            if e_index not in input_errors:
                requests += [r for r, _ in built]
                slots += [slot for _, slot in built]
        return requests, slots, input_errors

    def _pairwise(self, examples: Sequence[Example], placements: dict[str, int]) -> list[Judgment]:
        requests, slots, input_errors = self._pairwise_requests(examples, placements)
        answers = self._ask(requests, [2] * len(requests))
        judgments = [self._input_failure(e, input_errors[k]) if k in input_errors else Judgment(e.id, e.subset)
                     for k, e in enumerate(examples)]
        per_pair: dict[tuple[int, int, int], dict[str, tuple[str, float | None, str | None]]] = {}
        for (e_index, i, j, order), answer in zip(slots, answers, strict=True):
            verdict = self._order_verdict(answer, order, judgments[e_index])
            per_pair.setdefault((e_index, i, j), {})[order] = verdict
        for (e_index, i, j), orders in per_pair.items():
            judgments[e_index].comparisons.append(self._combine(i, j, orders))
        return judgments

    def _order_verdict(self, answer: Answer, order: str, judgment: Judgment) -> tuple[str, float | None, str | None]:
        """(verdict, P(chosen) in logprob mode, failure kind) of one presentation order."""
        judgment.raw.append({"order": order, **answer.raw()})
        self._note(judgment, answer)
        if answer.failure:
            judgment.errors.append(f"{order}: {answer.error}")
            return "failed", None, answer.failure
        if self.spec.logprobs:
            p_chosen = answer.value if order == "AB" else 1.0 - answer.value
            return ("chosen" if p_chosen > 0.5 else "rejected" if p_chosen < 0.5 else "tie"), p_chosen, None
        if answer.value == "tie":
            return "tie", None, None
        chosen_label = "A" if order == "AB" else "B"
        return ("chosen" if answer.value == chosen_label else "rejected"), None, None

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
    def _best_of_n_requests(self, examples: Sequence[Example], placements: dict[str, int]):
        requests, layouts, input_errors = [], {}, {}
        for e_index, example in enumerate(examples):
            n = 1 + len(example.rejected)
            position = placements.get(example.id, default_placement(self.spec.seed, example.id, n)) % n
            layout: list[int] = list(range(len(example.rejected)))  # rejected indices in shown order
            layout.insert(position, -1)  # -1 = the chosen response
            answers = [example.chosen[0] if k == -1 else example.rejected[k] for k in layout]
            text = self._rendered(example, input_errors, e_index, question=conversation_text(example.prompt),
                                  answers=answers, n=n)
            if text is not None:
                requests.append(self._request(text, id=example.id, position=position))
                layouts[e_index] = layout
        return requests, layouts, input_errors

    def _best_of_n(self, examples: Sequence[Example], placements: dict[str, int]) -> list[Judgment]:
        requests, layouts, input_errors = self._best_of_n_requests(examples, placements)
        answers = iter(self._ask(requests, [len(layout) for layout in layouts.values()]))
        judgments = []
        for e_index, example in enumerate(examples):
            if e_index in input_errors:
                judgments.append(self._input_failure(example, input_errors[e_index]))
                continue
            layout, answer = layouts[e_index], next(answers)
            judgment = Judgment(example.id, example.subset, meta={"position": layout.index(-1)})
            judgment.raw.append(answer.raw())
            self._note(judgment, answer)
            if answer.failure:
                judgment.errors.append(answer.error)
                judgment.choice = -1
                verdicts = ["failed"] * len(example.rejected)
            else:
                picked = layout[answer.value]
                judgment.choice = 0 if picked == -1 else 1 + picked
                verdicts = ["chosen" if picked == -1 else "rejected"] * len(example.rejected)
            judgment.comparisons = [Comparison(0, j, v, failure=answer.failure) for j, v in enumerate(verdicts)]
            judgments.append(judgment)
        return judgments

    # -- pointwise rating / reference-based verification -----------------------------------------------
    def _per_response_requests(self, examples: Sequence[Example]):
        verifier = self.spec.mode == "verifier"
        from_chosen = verifier and self.spec.reference == "chosen"
        keys: dict[tuple[Any, str, str | None], int] = {}
        requests, skipped = [], {}
        for e_index, example in enumerate(examples):
            reference = example.chosen[0] if from_chosen else reference_of(example)
            if verifier and reference is None:
                skipped[e_index] = (f"no reference answer in meta ({'/'.join(REFERENCE_KEYS)}) for the verifier; "
                                    "set 'reference: chosen' to check rejected responses against the chosen one")
                continue
            question = conversation_text(example.prompt)
            built = {}
            for response in example.rejected if from_chosen else (*example.chosen, *example.rejected):
                key = (example.prompt, response, reference)
                if key in keys or key in built:
                    continue
                values = {"question": question, "answer": response}
                if verifier:
                    values["reference"] = reference
                text = self._rendered(example, skipped, e_index, **values)
                built[key] = self._request(text or "", id=example.id)
            if e_index not in skipped:
                for key, request in built.items():
                    keys[key] = len(requests)
                    requests.append(request)
        return requests, keys, skipped

    def _per_response(self, examples: Sequence[Example]) -> list[Judgment]:
        from_chosen = self.spec.mode == "verifier" and self.spec.reference == "chosen"
        requests, keys, skipped = self._per_response_requests(examples)
        answers = self._ask(requests, [10] * len(requests))
        results = [(a, None if a.failure else float(a.value)) for a in answers]
        judgments = []
        for e_index, example in enumerate(examples):
            if e_index in skipped:
                judgments.append(self._input_failure(example, skipped[e_index]))
                continue
            reference = example.chosen[0] if from_chosen else reference_of(example)
            judged = example.rejected if from_chosen else (*example.chosen, *example.rejected)
            found = {r: results[keys[(example.prompt, r, reference)]] for r in judged}
            errors = [f"response {n}: {found[r][0].error}" for n, r in enumerate(judged) if found[r][0].failure]
            failures = {r: found[r][0].failure for r in judged}
            if from_chosen:
                judgment = _against_chosen(example, [found[r][1] for r in example.rejected], errors,
                                           [failures[r] for r in example.rejected])
            else:
                judgment = judgment_from_scores(example, [found[r][1] for r in example.chosen],
                                                [found[r][1] for r in example.rejected], errors=errors,
                                                chosen_failures=[failures[r] for r in example.chosen],
                                                rejected_failures=[failures[r] for r in example.rejected])
            judgment.raw = [found[r][0].raw() for r in judged]
            for r in judged:
                self._note(judgment, found[r][0])
            judgments.append(judgment)
        return judgments


def _against_chosen(example: Example, accepted: list[float | None], errors: list[str],
                    failures: list[str | None]) -> Judgment:
    """Master-key setting: the chosen response is the reference; a rejected one the verifier accepts wins."""
    comparisons = [Comparison(0, j, "failed", failure=failures[j] or "parse") if a is None
                   else Comparison(0, j, "rejected" if a >= 1.0 else "chosen") for j, a in enumerate(accepted)]
    return Judgment(example.id, example.subset, comparisons, scores_rejected=list(accepted), errors=errors,
                    meta={"reference": "chosen"})
