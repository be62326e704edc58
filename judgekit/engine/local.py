"""The local executor: chunks through a process pool, a bounded number in flight, results in chunk order.

Memory stays flat: at most ``in_flight`` chunks are read and not yet committed (default two per worker),
whatever the source's size. With ``workers=1`` everything runs in this process (no pool, no pickling).
With ``threads=N`` chunks run on N threads of this process, sharing the stages' set-up state: what LLM
stages need (one backend, one budget, many chunks' requests in flight at once; the GIL is released while
they wait).
`LocalExecutor.arun` is the same loop for asyncio callers: it awaits chunk futures without blocking the
event loop.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from judgekit.engine.pipeline import ChunkSpec, InProcess, Pipeline, Shared, run_chunk
from judgekit.engine.stages import StageRunner

# Worker state, set once per process by the pool's initializer (inherited on fork, pickled once on spawn).
_WORKER: dict[str, Any] = {}


def _install(pipeline: Pipeline) -> None:
    _WORKER["pipeline"] = pipeline
    _WORKER["runner"] = StageRunner(pipeline.stages)


def _work(spec: ChunkSpec) -> Any:
    return run_chunk(_WORKER["pipeline"], _WORKER["runner"], spec)


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class LocalExecutor:
    """Processes on this machine (``workers``), at most ``in_flight`` chunks between read and commit."""

    name = "local"

    def __init__(self, *, workers: int = 1, in_flight: int | None = None, threads: int = 0) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.threads = threads
        self.in_flight = max(1, in_flight or 2 * max(workers, threads))

    def share(self, value: Any) -> Shared:
        return InProcess(value)

    def close(self) -> None:
        """Nothing outlives a run: each `run` opens and closes its own pool."""

    # -- synchronous ---------------------------------------------------------------------------------
    def run(self, pipeline: Pipeline, chunks: Iterable[ChunkSpec]) -> Iterator[tuple[ChunkSpec, Any]]:
        if self.workers == 1 and not self.threads:
            runner = StageRunner(pipeline.stages)
            for spec in chunks:
                yield spec, run_chunk(pipeline, runner, spec)
            return
        pool, work = self._executor(pipeline)
        window: deque[tuple[ChunkSpec, Future]] = deque()
        try:
            for spec in chunks:
                window.append((spec, pool.submit(work, spec)))
                while len(window) >= self.in_flight:
                    head, future = window.popleft()
                    yield head, future.result()
            while window:
                head, future = window.popleft()
                yield head, future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- asyncio -------------------------------------------------------------------------------------
    async def arun(self, pipeline: Pipeline, chunks: Iterable[ChunkSpec]) -> AsyncIterator[tuple[ChunkSpec, Any]]:
        """`run` for asyncio callers: chunks are awaited, never waited for on the event loop's thread."""
        if self.workers == 1 and not self.threads:
            runner = StageRunner(pipeline.stages)
            for spec in chunks:
                yield spec, await asyncio.to_thread(run_chunk, pipeline, runner, spec)
            return
        pool, work = self._executor(pipeline)
        window: deque[tuple[ChunkSpec, asyncio.Future]] = deque()
        try:
            for spec in chunks:
                window.append((spec, asyncio.wrap_future(pool.submit(work, spec))))
                while len(window) >= self.in_flight:
                    head, future = window.popleft()
                    yield head, await future
            while window:
                head, future = window.popleft()
                yield head, await future
        finally:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    def _executor(self, pipeline: Pipeline) -> tuple[Executor, Any]:
        if self.threads:
            runner = StageRunner(pipeline.stages)
            return ThreadPoolExecutor(self.threads, thread_name_prefix="judgekit-chunk"), (
                lambda spec: run_chunk(pipeline, runner, spec))
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(), initializer=_install,
                                   initargs=(pipeline,))
        return pool, _work
