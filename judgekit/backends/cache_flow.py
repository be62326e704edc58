"""The bookkeeping behind `CachedBackend.submit`: one thread per cached backend that looks requests up,
claims the misses, sends what it claimed, waits for what other processes claimed, and commits results.

Every SQLite operation happens on this thread, batched (all requests submitted since its last turn are
looked up and claimed in one transaction each; results are committed as they arrive, a few per
transaction), so submitting 100k requests costs a few hundred transactions, not 100k. Callers get Futures
and never wait for one another: a hit resolves at once, a miss when its own reply arrives.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from judgekit.backends.base import ChatRequest, Generation

POLL_SECONDS = 0.05  # how often requests another process claimed are looked for (backs off to 0.5 s)


def _copy(generation: Generation, *, cached: bool) -> Generation:
    return Generation(text=generation.text, error=generation.error, finish_reason=generation.finish_reason,
                      usage=generation.usage, cached=cached, top_logprobs=generation.top_logprobs)


class CacheFlow:
    def __init__(self, backend: Any, key: Callable[[ChatRequest], str]) -> None:  # a CachedBackend
        self.backend = backend
        self.key = key
        self.cache = backend.cache
        self.identity = backend.identity()
        self.lease = backend.lease
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Condition()
        self._incoming: list[tuple[str, ChatRequest]] = []
        self._finished: list[tuple[str, Generation | None, BaseException | None]] = []
        self._futures: dict[str, list[Future]] = {}  # key -> futures asking for it (the first one sent it)
        self._waiting: dict[str, ChatRequest] = {}  # claimed by another process
        self._sending: set[str] = set()
        self._thread: threading.Thread | None = None
        self._pid = -1
        self._closed = False
        self.waited = 0  # requests another process was sending when this one wanted them

    # -- callers ---------------------------------------------------------------------------------------
    def submit(self, request: ChatRequest) -> Future:
        inner = self.backend.inner
        if not request.cacheable or inner.refused:
            return inner.submit(request)
        key = self.key(request)
        future: Future = Future()
        with self._wake:
            self._ensure_thread()
            if key in self._futures:  # the same request is in flight in this process: wait for it
                self._futures[key].append(future)
            else:
                self._futures[key] = [future]
                self._incoming.append((key, request))
                self._wake.notify()
        return future

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=30)
        self.cache.release(sorted(self._sending), self.owner)

    # -- the flow's thread -----------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None or self._pid != os.getpid():
            if self._pid not in (-1, os.getpid()):  # a forked child: the parent's requests are not its own
                self._incoming, self._finished, self._futures, self._waiting, self._sending = [], [], {}, {}, set()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._serve, name="judgekit-cache", daemon=True)
            self._thread.start()

    def _serve(self) -> None:
        poll, next_poll, next_renew = POLL_SECONDS, 0.0, time.monotonic() + self.lease / 3
        while True:
            with self._wake:
                while not (self._incoming or self._finished or self._closed):
                    now = time.monotonic()
                    due = min(next_renew, next_poll if self._waiting else float("inf"))
                    if due <= now:
                        break
                    self._wake.wait(timeout=due - now)
                if self._closed and not self._finished:
                    return
                incoming, self._incoming = self._incoming, []
                finished, self._finished = self._finished, []
            if finished:
                self._commit(finished)
            if incoming:
                self._admit(incoming)
            now = time.monotonic()
            if self._waiting and now >= next_poll:
                poll = POLL_SECONDS if self._look_for_waited() else min(0.5, poll * 1.5)
                next_poll = now + poll
            if now >= next_renew:
                if self._sending:
                    self.cache.renew(sorted(self._sending), self.owner, self.lease)
                next_renew = now + self.lease / 3

    def _admit(self, incoming: list[tuple[str, ChatRequest]]) -> None:
        keys = [key for key, _ in incoming]
        found = self.cache.get_many(keys)
        misses = [(key, request) for key, request in incoming if key not in found]
        for key in keys:
            if key in found:
                self._resolve_hit(key, found[key])
        self._claim_and_send(misses)

    def _claim_and_send(self, misses: list[tuple[str, ChatRequest]]) -> None:
        if not misses:
            return
        won = self.cache.claim([key for key, _ in misses], self.owner, self.lease)
        for key, request in misses:
            if key in won:
                self._waiting.pop(key, None)
                self._send(key, request)
            else:
                if key not in self._waiting:
                    self.waited += 1
                self._waiting[key] = request

    def _look_for_waited(self) -> bool:
        keys = list(self._waiting)
        found = self.cache.get_many(keys)
        for key in keys:
            if key in found:
                del self._waiting[key]
                self._resolve_hit(key, found[key])
        rest = [key for key in keys if key not in found]
        live = self.cache.live_claims(rest) if rest else set()
        self._claim_and_send([(key, self._waiting[key]) for key in rest if key not in live])
        return bool(found)

    def _send(self, key: str, request: ChatRequest) -> None:
        self._sending.add(key)
        future = self.backend.inner.submit(request)

        def done(result: Future, key: str = key) -> None:
            error = result.exception()
            with self._wake:
                self._finished.append((key, None if error else result.result(), error))
                self._wake.notify()

        future.add_done_callback(done)

    def _commit(self, finished: list[tuple[str, Generation | None, BaseException | None]]) -> None:
        good = [(key, self.identity, generation) for key, generation, error in finished
                if generation is not None and generation.ok]
        if good:
            self.cache.put_many(good)
        keys = [key for key, _, _ in finished]
        self.cache.release(keys, self.owner)
        for key, generation, error in finished:
            self._sending.discard(key)
            with self._wake:
                futures = self._futures.pop(key, [])
            for position, future in enumerate(futures):
                if error is not None:
                    future.set_exception(error)
                elif position == 0:
                    future.set_result(generation)  # counted by the inner backend
                else:
                    assert generation is not None
                    self.backend.usage.add(requests=1, cache_hits=int(generation.ok))
                    future.set_result(_copy(generation, cached=generation.ok))

    def _resolve_hit(self, key: str, record: dict[str, Any]) -> None:
        generation = Generation.from_record(record, cached=True)
        with self._wake:
            futures = self._futures.pop(key, [])
        self.backend.usage.add(requests=len(futures), cache_hits=len(futures))
        for future in futures:
            future.set_result(generation)
