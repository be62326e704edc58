"""One request budget for every Ray worker of a run: concurrency slots and requests/tokens-per-minute
limits held by one Ray actor, so the whole cluster sends at most ``concurrency`` requests at once (not the
limit times the number of workers).

Each worker's backend waits on the actor before sending (`RayBudget.enter`) and tells it when the reply
came (`leave`); rate limits are token buckets inside the actor. Two small remote calls per request.
"""

from __future__ import annotations

import uuid
from typing import Any

from judgekit.backends.dispatch import LocalBudget


class _BudgetActor:
    """The actor: a `LocalBudget` on the actor's own event loop (an async actor)."""

    def __init__(self, concurrency: int, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self.budget = LocalBudget(concurrency, requests_per_minute, tokens_per_minute)
        self.in_flight = 0
        self.max_in_flight = 0

    async def admit(self, tokens: int) -> None:
        await self.budget.admit(tokens)

    async def enter(self) -> None:
        await self.budget.enter()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    async def leave(self) -> None:
        self.in_flight -= 1
        await self.budget.leave()

    async def stats(self) -> dict[str, int]:
        return {"in_flight": self.in_flight, "max_in_flight": self.max_in_flight}


class RayBudget:
    """What a worker's backend holds: the actor's handle (picklable; ships inside a stage)."""

    def __init__(self, actor: Any, concurrency: int) -> None:
        self.actor = actor
        self.concurrency = concurrency

    async def admit(self, tokens: int) -> None:
        await self.actor.admit.remote(tokens)

    async def enter(self) -> None:
        await self.actor.enter.remote()

    async def leave(self) -> None:
        await self.actor.leave.remote()

    def stats(self) -> dict[str, int]:
        import ray

        return ray.get(self.actor.stats.remote())


def make_budget(executor: Any, backend_spec: Any) -> Any:
    """A `RayBudget` for a run on ``executor`` (a RayExecutor) from the backend's options, shared once; None
    for backends without a request budget."""
    concurrency = getattr(backend_spec, "concurrency", None)
    if concurrency is None:
        return None
    import ray

    executor._init()
    actor_class = ray.remote(num_cpus=0, max_concurrency=max(1000, 4 * concurrency))(_BudgetActor)
    actor = actor_class.options(name=f"judgekit-budget-{uuid.uuid4().hex[:12]}").remote(
        concurrency, getattr(backend_spec, "requests_per_minute", None), getattr(backend_spec, "tokens_per_minute", None))
    return executor.share(RayBudget(actor, concurrency))


def attach_budget(backend: Any, budget: Any) -> None:
    """Make ``backend`` (or the backend a cache wraps) send under ``budget``, if it takes one."""
    target = getattr(backend, "inner", backend)
    use = getattr(target, "use_budget", None)
    if use is not None and budget is not None:
        use(budget)
