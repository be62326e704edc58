"""One request budget for every Ray worker of a run: concurrency slots and requests/tokens-per-minute
limits held by one Ray actor, so the whole cluster sends at most ``concurrency`` requests at once (not the
limit times the number of workers).

Each worker's backend waits on the actor before sending (`RayBudget.enter`) and tells it when the reply
came (`leave`); rate limits are token buckets inside the actor. Two small remote calls per request. Waiting
calls run in a concurrency group of their own, so a release is never queued behind the waiting (which
would deadlock), and each worker keeps at most ``concurrency`` of them pending.
"""

from __future__ import annotations

import uuid
from typing import Any

from judgekit.backends.dispatch import LocalBudget


class _BudgetActor:
    """The actor: a `LocalBudget` on the event loop of its "waiting" concurrency group (an async actor);
    releases come in on another group's loop and are handed to that one."""

    def __init__(self, concurrency: int, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self.budget = LocalBudget(concurrency, requests_per_minute, tokens_per_minute)
        self.in_flight = 0
        self.max_in_flight = 0
        self._loop: Any = None

    async def admit(self, tokens: int) -> None:
        await self.budget.admit(tokens)

    async def enter(self) -> None:
        import asyncio

        self._loop = asyncio.get_running_loop()
        await self.budget.enter()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _release(self) -> None:
        self.in_flight -= 1
        self.budget._slots.release()  # on the waiting group's loop

    async def leave(self) -> None:
        self._loop.call_soon_threadsafe(self._release)

    async def stats(self) -> dict[str, int]:
        return {"in_flight": self.in_flight, "max_in_flight": self.max_in_flight}


class RayBudget:
    """What a worker's backend holds: the actor's handle (picklable; ships inside a stage)."""

    def __init__(self, actor: Any, concurrency: int) -> None:
        self.actor = actor
        self.concurrency = concurrency
        self._mine: Any = None  # this worker's own share of pending waits (created on its loop)

    def __getstate__(self) -> dict[str, Any]:
        return {"actor": self.actor, "concurrency": self.concurrency, "_mine": None}

    async def admit(self, tokens: int) -> None:
        await self.actor.admit.remote(tokens)

    async def enter(self) -> None:
        import asyncio

        self._mine = self._mine or asyncio.Semaphore(self.concurrency)
        await self._mine.acquire()
        try:
            await self.actor.enter.remote()
        except BaseException:
            self._mine.release()
            raise

    async def leave(self) -> None:
        try:
            await self.actor.leave.remote()
        finally:
            self._mine.release()

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

    class BudgetActor(_BudgetActor):
        @ray.method(concurrency_group="waiting")
        async def enter(self) -> None:
            await super().enter()

        @ray.method(concurrency_group="waiting")
        async def admit(self, tokens: int) -> None:
            await super().admit(tokens)

    actor_class = ray.remote(num_cpus=0, concurrency_groups={"waiting": 1_000_000})(BudgetActor)
    actor = actor_class.options(name=f"judgekit-budget-{uuid.uuid4().hex[:12]}").remote(
        concurrency, getattr(backend_spec, "requests_per_minute", None), getattr(backend_spec, "tokens_per_minute", None))
    return executor.share(RayBudget(actor, concurrency))


def attach_budget(backend: Any, budget: Any) -> None:
    """Make ``backend`` (or the backend a cache wraps) send under ``budget``, if it takes one."""
    target = getattr(backend, "inner", backend)
    use = getattr(target, "use_budget", None)
    if use is not None and budget is not None:
        use(budget)
