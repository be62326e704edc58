"""Before an evaluation spends anything: template checks, the dry run, and the spending limit.

`check_templates` renders every judge's prompt for the first item of a variant (a template error, or an
``item.meta`` field or reference the first item lacks, stops the run before any request; exit 2).
`plan_run` answers ``judgekit eval --dry-run``: per judge (per panel member), the requests a run would
send (first tries, samples included; re-prompts depend on the replies and are not counted), how many the
response cache already holds, estimated prompt tokens (characters / 4 + 4 per message, as ``synth
--dry-run``), the most completion tokens they may take (``max_tokens`` each) and the cost at most, from the
backend's ``price_input_per_mtok`` / ``price_output_per_mtok`` (and, when the cache holds some of this
judge's replies, the expected cost with outputs as long as those). Nothing is sent and nothing is written;
variants of LLM transforms are not generated: the originals stand in for them (and their own requests are
planned against the suite's backend).

`Budget` + `BudgetedBackend` enforce ``--max-cost``: before each batch a judge sends, the cost at most of its
requests not in the cache is checked against what is left; what fits is sent (and committed to the cache
as it completes), and when the next request does not fit the run stops with `BudgetExceeded` (exit 5).
A rerun resumes: cached replies cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from judgekit.backends.base import Backend, ChatRequest, Emit, Generation, WrappedBackend
from judgekit.data.example import Example
from judgekit.errors import BackendError, BudgetExceeded, SpecError
from judgekit.judges.base import Judge


def estimate_tokens(request: ChatRequest) -> tuple[int, int]:
    """(estimated prompt tokens, the most completion tokens) of one request."""
    return sum(len(m.content) for m in request.messages) // 4 + 4 * len(request.messages), request.max_tokens


def parts_of(judge: Judge, prefix: str = "") -> list[tuple[str, Judge]]:
    """(display name, judge) of a judge, or of every member of a panel (recursively)."""
    name = f"{prefix}{judge.name}"
    members = getattr(judge, "members", None)
    if members:
        return [p for m in members for p in parts_of(m, f"{name} › ")]
    return [(name, judge)]


def check_templates(judges: Sequence[Judge], variants: Sequence[tuple[str, Sequence[Example]]]) -> None:
    """Render every judge's prompt for the first item of each variant; SpecError (exit 2) on any error."""
    for variant, items in variants:
        if not items:
            continue
        for judge in judges:
            for name, part in parts_of(judge):
                check = getattr(part, "check_item", None)
                if check is None:
                    continue
                try:
                    check(items[0])
                except SpecError as exc:
                    raise SpecError(f"judge {name}, variant {variant}, item {items[0].id}: {exc}. Fix the template "
                                    "or the data; nothing was sent") from None


def prices_of(judge: Judge) -> tuple[float | None, float | None]:
    backend = getattr(getattr(judge, "spec", None), "backend", None)
    return (getattr(backend, "price_input_per_mtok", None), getattr(backend, "price_output_per_mtok", None))


def require_prices(judges: Sequence[Judge], transform_backend: Any = None) -> None:
    """With --max-cost, every judge (and the LLM transforms' backend) on a paid API (the openai backend) must
    say what it costs."""
    if getattr(transform_backend, "backend", None) == "openai" and transform_backend.price_input_per_mtok is None \
            and transform_backend.price_output_per_mtok is None:
        raise SpecError("--max-cost: the suite's backend (for LLM transforms) has no prices; set "
                        "backend.price_input_per_mtok and backend.price_output_per_mtok (USD per million tokens)")
    for judge in judges:
        for name, part in parts_of(judge):
            backend = getattr(getattr(part, "spec", None), "backend", None)
            if getattr(backend, "backend", None) == "openai" and prices_of(part) == (None, None):
                raise SpecError(f"--max-cost: judge {name} has no prices; set its backend's price_input_per_mtok "
                                "and price_output_per_mtok (USD per million tokens), e.g. --set "
                                "judges.0.backend.price_input_per_mtok=0.15 --set "
                                "judges.0.backend.price_output_per_mtok=0.6")


@dataclass
class JudgePlan:
    """What one judge (or panel member) would send."""

    judge: str
    backend: str
    requests: int = 0
    cache_hits: int = 0
    to_send: int = 0
    prompt_tokens: int = 0
    completion_tokens_max: int = 0
    cost_usd_max: float | None = None
    cost_usd_expected: float | None = None  # output at the mean length of this judge's cached replies
    note: str = ""


@dataclass
class RunPlan:
    """The dry run of a suite: items, variants and what each judge would send."""

    items: int
    variants: dict[str, int]
    judges: list[JudgePlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def cost_usd_max(self) -> float | None:
        costs = [j.cost_usd_max for j in self.judges if j.cost_usd_max is not None]
        return sum(costs) if costs else None


def plan_requests(name: str, label: str, requests: Sequence[ChatRequest], backend: Backend | None,
                  prices: tuple[float | None, float | None], note: str = "") -> JudgePlan:
    """Count one backend's requests: cache hits, distinct requests to send, tokens and the cost at most."""
    plan = JudgePlan(name, label, requests=len(requests), note=note)
    keys: list[Any] = list(range(len(requests)))
    hits: dict[int, Generation] = {}
    if backend is not None and hasattr(backend, "lookup"):
        hits = backend.lookup(requests)
        keys = [k if k is not None else ("uncached", i) for i, k in enumerate(backend.keys(requests))]
    plan.cache_hits = len(hits)
    seen = set()
    for index, request in enumerate(requests):
        if index in hits or keys[index] in seen:
            continue
        seen.add(keys[index])
        prompt, completion = estimate_tokens(request)
        plan.to_send += 1
        plan.prompt_tokens += prompt
        plan.completion_tokens_max += completion
    if prices != (None, None):
        plan.cost_usd_max = (plan.prompt_tokens * (prices[0] or 0.0)
                             + plan.completion_tokens_max * (prices[1] or 0.0)) / 1e6
        lengths = [g.usage.completion_tokens for g in hits.values() if g.usage.completion_tokens]
        if lengths:
            mean = sum(lengths) / len(lengths)
            plan.cost_usd_expected = (plan.prompt_tokens * (prices[0] or 0.0)
                                      + plan.to_send * mean * (prices[1] or 0.0)) / 1e6
    return plan


def placements_for(judge: Judge, examples: Sequence[Example], seed: int) -> dict[str, Any]:
    """Balanced positions of the correct answer over the original items, for judges that place answers."""
    placements = getattr(judge, "placements", None)
    return placements(examples, seed) if placements is not None else {}


def plan_judge(judge: Judge, examples: Sequence[Example], placements: dict[str, Any], *,
               use_cache: bool = True) -> list[JudgePlan]:
    """One plan per judge, or per member of a panel."""
    plans = []
    for name, part in parts_of(judge):
        planner = getattr(part, "planned_requests", None)
        if planner is None:
            plans.append(JudgePlan(name, "local model", note=f"{len(examples)} items scored locally, no requests"))
            continue
        given = placements.get(part.name) if part is not judge else placements
        requests = planner(examples, given if isinstance(given, dict) else None)
        note, backend = "", None
        try:
            backend = part.backend if use_cache else None
        except BackendError as exc:
            note = f"cache not checked: {exc}"
        spec = part.spec.backend
        plans.append(plan_requests(name, spec.label(), requests, backend, prices_of(part), note))
    return plans


def plan_run(suite: Any, judges: Sequence[Judge], transforms: Sequence[Any]) -> RunPlan:
    """The dry run: read the data, run the rule-based transforms, check the templates, count every judge's
    requests, cache hits, tokens and cost at most. Sends nothing, writes nothing."""
    from judgekit.data.selection import select_examples
    from judgekit.eval.results import ORIGINAL
    from judgekit.transforms.engine import run_transforms

    examples = list(select_examples(suite.data, base=suite.base_dir))
    check_templates(judges, [(ORIGINAL, examples)])
    local = [t for t in transforms if not t.needs_backend]
    remote = [t for t in transforms if t.needs_backend]
    outcomes = run_transforms(examples, local, seed=suite.seed, workers=suite.workers) if local else {}
    variants = [(ORIGINAL, examples)] + [(t.display_name(), list(outcomes[t.display_name()].examples)) for t in local]
    check_templates(judges, variants[1:])
    plan = RunPlan(items=len(examples), variants={name: len(items) for name, items in variants})
    for transform in remote:
        plan.variants[transform.display_name()] = len(examples)
        plan.notes.append(f"{transform.display_name()}: LLM transform, not generated in a dry run; the originals "
                          "stand in for its items (counted as not cached)")
    text = [t for t in remote if t.needs_text_backend and hasattr(t, "plan")]
    if text:
        from judgekit.backends import load_backend
        from judgekit.backends.spec import parse_backend_spec
        from judgekit.transforms.base import item_rng

        spec = suite.backend or parse_backend_spec("embedded")
        backend = load_backend(spec)
        for transform in text:
            name = transform.display_name()
            requests = transform.plan(examples, [item_rng(suite.seed, name, e.id) for e in examples])
            plan.judges.append(plan_requests(f"transform {name}", spec.label(), requests, backend,
                                             (spec.price_input_per_mtok, spec.price_output_per_mtok),
                                             "first stage, first tries"))
        backend.close()
    flat = [e for _, items in variants for e in items]
    for judge in judges:
        placements = placements_for(judge, examples, suite.seed)
        plans = plan_judge(judge, flat, placements)
        if remote:
            for judged, stand_in in zip(plans, plan_judge(judge, examples, placements, use_cache=False), strict=True):
                judged.requests += stand_in.requests * len(remote)
                judged.to_send += stand_in.to_send * len(remote)
                judged.prompt_tokens += stand_in.prompt_tokens * len(remote)
                judged.completion_tokens_max += stand_in.completion_tokens_max * len(remote)
                if judged.cost_usd_max is not None:
                    judged.cost_usd_max += (stand_in.cost_usd_max or 0.0) * len(remote)
        plan.judges += plans
    if any(getattr(part, "spec", None) is not None and getattr(part.spec, "reprompt", False)
           for judge in judges for _, part in parts_of(judge)):
        plan.notes.append("re-prompts are not counted: they depend on the replies")
    return plan


@dataclass
class Budget:
    """The most a run may spend (USD) and what it has spent on generated (not cached) replies."""

    limit: float
    spent: float = 0.0
    sent: int = 0

    def charge(self, generation: Generation, request: ChatRequest, prices: tuple[float, float]) -> None:
        if generation.cached:
            return
        prompt, completion = generation.usage.prompt_tokens, generation.usage.completion_tokens
        if generation.ok and prompt == completion == 0:  # a server that reports no usage: assume the most
            prompt, completion = estimate_tokens(request)
        self.spent += (prompt * prices[0] + completion * prices[1]) / 1e6
        self.sent += 1


class BudgetedBackend(WrappedBackend):
    """Sends only what the budget still covers (cost at most: estimated prompt + max_tokens); cache hits are free."""

    def __init__(self, inner: Backend, budget: Budget, label: str) -> None:
        super().__init__(inner)
        self.budget = budget
        self.label = label

    def generate(self, requests: Sequence[ChatRequest], *, progress: Callable[[int], None] | None = None,
                 on_result: Emit | None = None) -> list[Generation]:
        usage = self.inner.usage
        prices = (usage.price_input_per_mtok or 0.0, usage.price_output_per_mtok or 0.0)
        if prices == (0.0, 0.0):
            return self.inner.generate(requests, progress=progress, on_result=on_result)
        lookup = getattr(self.inner, "lookup", None)
        hits = lookup(requests) if lookup is not None else {}
        results: list[Generation | None] = [None] * len(requests)

        def send(indices: list[int]) -> None:
            def seen(k: int, generation: Generation) -> None:
                self.budget.charge(generation, requests[indices[k]], prices)
                if on_result is not None:
                    on_result(indices[k], generation)

            for k, generation in enumerate(self.inner.generate([requests[i] for i in indices], progress=progress,
                                                               on_result=seen)):
                results[indices[k]] = generation

        if hits:
            send(sorted(hits))
        pending = [i for i in range(len(requests)) if i not in hits]
        while pending:
            room, take, total = self.budget.limit - self.budget.spent, [], 0.0
            for index in pending:
                prompt, completion = estimate_tokens(requests[index])
                cost = (prompt * prices[0] + completion * prices[1]) / 1e6
                if total + cost > room:
                    break
                take.append(index)
                total += cost
            if not take:
                raise BudgetExceeded(
                    f"--max-cost ${self.budget.limit:g} reached: ${self.budget.spent:.4f} spent on "
                    f"{self.budget.sent} requests; the next request of {self.label} could cost up to ${cost:.4f} "
                    f"more ({len(pending)} of its {len(requests)} requests not sent). What was done is in the "
                    "response cache: run again (with a higher --max-cost) to resume; cached replies cost nothing")
            send(take)
            pending = pending[len(take):]
        return [r for r in results if r is not None]


def budget_run(judges: Sequence[Judge], transforms: Sequence[Any], suite_backend: Any, transform_backend: Any,
               max_cost: float) -> Any:
    """One `Budget` of ``max_cost`` USD over every judge's backend and the LLM transforms' backend (checked for
    prices first). Returns the transforms' backend, budgeted (loaded from ``suite_backend`` when the run has
    LLM transforms and none was given; the caller closes it), or None when no transform needs one."""
    llm = any(t.needs_backend and t.needs_text_backend for t in transforms)
    require_prices(judges, suite_backend if llm and transform_backend is None else None)
    budget = Budget(max_cost)
    for judge in judges:
        wrap = getattr(judge, "wrap_backend", None)
        if wrap is not None:
            wrap(lambda backend, name=judge.name: BudgetedBackend(backend, budget, f"judge {name}"))
    if not llm:
        return None
    if transform_backend is None:
        from judgekit.backends import load_backend

        transform_backend = load_backend(suite_backend or "embedded")
    return BudgetedBackend(transform_backend, budget, "the LLM transforms")
