"""One request budget for every Ray worker of a run: concurrency slots and requests/tokens-per-minute
limits held by one Ray actor, so the whole cluster sends at most ``concurrency`` requests at once (not the
limit times the number of workers).

Slots are leased: a worker that needs slots asks the actor for as many as it has requests waiting
(`_BudgetActor.acquire` returns at least one, as soon as one is free), uses them for request after
request while it has work, and hands back what it no longer needs a few milliseconds after its queue
empties. So the slots of the whole cluster never exceed ``concurrency``, busy workers share them, and a
request costs a fraction of a remote call instead of two. Rate limits are token buckets in the actor,
taken a batch at a time the same way. Waiting calls run in a concurrency group of their own, so a release
never queues behind them.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from judgekit.backends.dispatch import RateLimiter

RETURN_AFTER = 0.01  # seconds a worker keeps slots it has no request for


class _BudgetActor:
    """The actor (async; waiting calls on their own loop, releases handed over to it)."""

    def __init__(self, concurrency: int, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self.concurrency = concurrency
        self.free = concurrency
        self.max_in_flight = 0
        self._rpm = RateLimiter(requests_per_minute) if requests_per_minute else None
        self._tpm = RateLimiter(tokens_per_minute) if tokens_per_minute else None
        self._loop: Any = None
        self._changed: asyncio.Condition | None = None

    async def acquire(self, want: int) -> int:
        """At least one slot (and at most ``want``), as soon as one is free."""
        self._loop = asyncio.get_running_loop()
        self._changed = self._changed or asyncio.Condition()
        async with self._changed:
            await self._changed.wait_for(lambda: self.free > 0)
            granted = min(want, self.free)
            self.free -= granted
            self.max_in_flight = max(self.max_in_flight, self.concurrency - self.free)
            return granted

    async def admit(self, requests: int, tokens: int) -> None:
        if self._rpm is not None:
            await self._rpm.acquire(requests)
        if self._tpm is not None:
            await self._tpm.acquire(tokens)

    async def _give_back(self, count: int) -> None:
        assert self._changed is not None
        async with self._changed:
            self.free += count
            self._changed.notify_all()

    async def release(self, count: int) -> None:
        asyncio.run_coroutine_threadsafe(self._give_back(count), self._loop)

    async def stats(self) -> dict[str, int]:
        return {"in_use": self.concurrency - self.free, "max_in_flight": self.max_in_flight}


class RayBudget:
    """A worker's side: the actor's handle (picklable; ships inside a stage) and the slots it holds."""

    def __init__(self, actor: Any, concurrency: int, rated: bool) -> None:
        self.actor = actor
        self.concurrency = concurrency
        self.rated = rated
        self._reset()

    def _reset(self) -> None:
        self._held = 0  # slots leased from the actor
        self._busy = 0  # ... of which sending a request now
        self._waiting: list[asyncio.Future] = []
        self._asking = False
        self._returning: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"actor": self.actor, "concurrency": self.concurrency, "rated": self.rated}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset()

    async def admit(self, tokens: int) -> None:
        if self.rated:
            await self.actor.admit.remote(1, tokens)

    async def enter(self) -> None:
        if self._busy < self._held and not self._waiting:
            self._busy += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._ask()
        await waiter

    def _ask(self) -> None:
        if not self._asking and self._waiting:
            self._asking = True
            # a quarter of the budget at most per lease: busy workers take turns, none takes everything
            asyncio.ensure_future(self._lease(min(len(self._waiting), max(1, self.concurrency // 4))))

    async def _lease(self, want: int) -> None:
        try:
            granted = await self.actor.acquire.remote(want)
        finally:
            self._asking = False
        self._held += granted
        self._hand_out()
        self._ask()

    def _hand_out(self) -> None:
        while self._waiting and self._busy < self._held:
            waiter = self._waiting.pop(0)
            if not waiter.done():
                self._busy += 1
                waiter.set_result(None)

    async def leave(self) -> None:
        self._busy -= 1
        self._hand_out()
        if self._busy < self._held and self._returning is None:
            self._returning = asyncio.get_running_loop().call_later(RETURN_AFTER, self._return_spare)

    def _return_spare(self) -> None:
        self._returning = None
        spare = self._held - self._busy
        if spare > 0 and not self._waiting:
            self._held -= spare
            self.actor.release.remote(spare)

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
        async def acquire(self, want: int) -> int:
            return await super().acquire(want)

        @ray.method(concurrency_group="waiting")
        async def admit(self, requests: int, tokens: int) -> None:
            await super().admit(requests, tokens)

    rpm, tpm = getattr(backend_spec, "requests_per_minute", None), getattr(backend_spec, "tokens_per_minute", None)
    actor_class = ray.remote(num_cpus=0, concurrency_groups={"waiting": 100_000})(BudgetActor)
    actor = actor_class.options(name=f"judgekit-budget-{uuid.uuid4().hex[:12]}").remote(concurrency, rpm, tpm)
    return executor.share(RayBudget(actor, concurrency, bool(rpm or tpm)))


def attach_budget(backend: Any, budget: Any) -> None:
    """Make ``backend`` (or the backend a cache wraps) send under ``budget``, if it takes one."""
    target = getattr(backend, "inner", backend)
    use = getattr(target, "use_budget", None)
    if use is not None and budget is not None:
        use(budget)
