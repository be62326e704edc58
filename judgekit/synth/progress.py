"""Progress of a synth run's requests, for the CLI's bar (this process's backend only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from judgekit.backends.base import Backend, ChatRequest, Emit, Generation, WrappedBackend

ProgressHook = Callable[[dict[str, int]], None]


class ReportingBackend(WrappedBackend):
    """Passes every call through to a backend and reports progress (done, total, cache hits, failures)."""

    def __init__(self, inner: Backend, hook: ProgressHook, *, expected: int = 0) -> None:
        import threading

        super().__init__(inner)
        self.hook = hook
        self.state = {"done": 0, "total": expected, "submitted": 0, "cache_hits": 0, "failures": 0}
        self._lock = threading.Lock()

    def submit(self, request: ChatRequest):
        with self._lock:
            self.state["submitted"] += 1
            self.state["total"] = max(self.state["total"], self.state["submitted"])
            snapshot = dict(self.state)
        self.hook(snapshot)
        future = self.inner.submit(request)

        def seen(done) -> None:
            generation = done.result() if not done.exception() else Generation(text=None, error="failed")
            with self._lock:
                self.state["done"] += 1
                self.state["cache_hits"] += int(generation.cached)
                self.state["failures"] += int(not generation.ok)
                snapshot = dict(self.state)
            self.hook(snapshot)

        future.add_done_callback(seen)
        return future

    def generate(self, requests: Sequence[ChatRequest], *, progress: Callable[[int], None] | None = None,
                 on_result: Emit | None = None) -> list[Generation]:
        state = self.state
        state["submitted"] += len(requests)
        state["total"] = max(state["total"], state["submitted"])
        self.hook(dict(state))

        def seen(index: int, generation: Generation) -> None:
            state["done"] += 1
            state["cache_hits"] += int(generation.cached)
            state["failures"] += int(not generation.ok)
            self.hook(dict(state))
            if on_result is not None:
                on_result(index, generation)

        return self.inner.generate(requests, progress=progress, on_result=seen)
