"""Requests one at a time, as they come: what `Backend.submit` runs on, and the shared request budget.

- `LoopThread`: a persistent asyncio event loop in a daemon thread. Async backends (openai) run every
  request on it, whoever submitted it, so one set of slots and rate limits governs them all.
- `BatchDispatcher`: for backends that generate in batches (hf, vllm, llamacpp, mock): a thread takes
  whatever was submitted since its last batch and generates it, calling back as each request completes.
- `Budget`: concurrency slots and requests/tokens-per-minute limits. `LocalBudget` lives in one process;
  `judgekit.engine.budget.RayBudget` is one budget shared by every Ray worker of a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, Protocol

# (a backend, its requests and generations: judgekit.backends.base, which imports this module)
Backend = ChatRequest = Generation = Any


class LoopThread:
    """An asyncio loop running in a daemon thread; `run` schedules a coroutine and returns its Future.

    A forked child process gets a fresh loop on first use (the parent's thread does not survive a fork).
    """

    def __init__(self, name: str = "judgekit-loop") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = -1

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=serve, name=self.name, daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._pid, self._thread = loop, os.getpid(), thread
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        """Run a coroutine on the loop and wait for its result (never from the loop's own thread)."""
        return self.run(coroutine).result(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel what is still pending on the loop (requests a stopped run will not wait for: left pending,
        they would be reported as destroyed at exit), then stop the loop and close it."""
        with self._lock:
            loop, self._loop = self._loop, None
            thread, self._thread = self._thread, None
        if loop is None or self._pid != os.getpid() or not loop.is_running():
            return

        async def cancel_pending() -> None:
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        with contextlib.suppress(Exception):  # best effort: the loop may be stuck in a blocking call
            asyncio.run_coroutine_threadsafe(cancel_pending(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout)
        if not loop.is_running():
            loop.close()


class RateLimiter:
    """Async token bucket: ``per_minute`` units refill continuously; bursts up to 5 seconds' worth."""

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * 5.0)
        self.level = self.capacity
        self.stamp = time.monotonic()
        self._lock: asyncio.Lock | None = None

    async def acquire(self, amount: float = 1.0) -> None:
        amount = min(amount, self.capacity)  # one oversized request may still go, alone
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            while True:
                now = time.monotonic()
                self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.level >= amount:
                    self.level -= amount
                    return
                await asyncio.sleep((amount - self.level) / self.rate)


class Budget(Protocol):
    """What a request waits for before it is sent: the rate limits, then a concurrency slot."""

    concurrency: int

    async def admit(self, tokens: int) -> None: ...

    async def enter(self) -> None: ...

    async def leave(self) -> None: ...


class LocalBudget:
    """Slots and rate limits of one process (created on the loop that uses them)."""

    def __init__(self, concurrency: int, requests_per_minute: float | None = None,
                 tokens_per_minute: float | None = None) -> None:
        self.concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None
        self._rpm = RateLimiter(requests_per_minute) if requests_per_minute else None
        self._tpm = RateLimiter(tokens_per_minute) if tokens_per_minute else None

    async def admit(self, tokens: int) -> None:
        if self._rpm is not None:
            await self._rpm.acquire(1)
        if self._tpm is not None:
            await self._tpm.acquire(tokens)

    async def enter(self) -> None:
        self._slots = self._slots or asyncio.Semaphore(self.concurrency)
        await self._slots.acquire()

    async def leave(self) -> None:
        assert self._slots is not None
        self._slots.release()


class BatchDispatcher:
    """Submitted requests, generated in batches by a thread calling ``backend.generate``."""

    def __init__(self, backend: Backend, *, max_batch: int = 256) -> None:
        self.backend = backend
        self.max_batch = max_batch
        self._queue: list[tuple[ChatRequest, Future]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = -1

    def submit(self, request: ChatRequest) -> Future:
        future: Future = Future()
        with self._wake:
            self._queue.append((request, future))
            if self._thread is None or self._pid != os.getpid():
                self._thread = threading.Thread(target=self._serve, name=f"judgekit-{self.backend.name}", daemon=True)
                self._pid = os.getpid()
                self._thread.start()
            self._wake.notify()
        return future

    def _serve(self) -> None:
        while True:
            with self._wake:
                while not self._queue:
                    self._wake.wait()
                batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
            futures = [f for _, f in batch]

            def done(index: int, generation: Generation, futures: list[Future] = futures) -> None:
                futures[index].set_result(generation)

            try:
                self.backend.generate([r for r, _ in batch], on_result=done)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on these requests
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)



class Flow:
    """Requests in flight for jobs that react to each reply as it arrives (no rounds, no barriers).

    A job submits tagged requests (``tag[0]`` is the job itself); `drive` hands every reply to
    ``job.on_result(tag, generation, flow)`` the moment it arrives, which may submit more (a next stage, a
    resample), and calls ``job.settle(flow)`` for batched checks (embedding similarity) once ``SETTLE_AT``
    are waiting, or when no reply has come for ``SETTLE_AFTER`` seconds (so checks run in useful batches
    while replies stream in, and never wait long). It returns when nothing is in flight and nothing is left
    to settle, and raises `BackendRefused` as soon as the backend refuses (a bad key, model or URL).
    """

    SETTLE_AT = 64
    SETTLE_AFTER = 0.05

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._arrived: queue.SimpleQueue = queue.SimpleQueue()
        self.in_flight = 0

    def submit(self, request: ChatRequest, tag: tuple[Any, ...]) -> None:
        self.in_flight += 1
        self.backend.submit(request).add_done_callback(lambda future: self._arrived.put((tag, future)))

    def drive(self, jobs: list[Any]) -> None:
        while True:
            waiting = sum(getattr(job, "unsettled", 0) for job in jobs)
            if waiting >= self.SETTLE_AT or (waiting and not self.in_flight):
                for job in jobs:
                    job.settle(self)
                continue
            if not self.in_flight:
                return
            try:
                arrivals = [self._arrived.get(timeout=self.SETTLE_AFTER if waiting else None)]
            except queue.Empty:  # nothing arrived for a while: check what is waiting now
                for job in jobs:
                    job.settle(self)
                continue
            while True:
                try:
                    arrivals.append(self._arrived.get_nowait())
                except queue.Empty:
                    break
            for tag, future in arrivals:
                self.in_flight -= 1
                tag[0].on_result(tag, future.result(), self)
            refused = getattr(self.backend, "refused", None)
            if refused:
                from judgekit.errors import BackendRefused

                raise BackendRefused(refused)
