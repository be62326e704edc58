"""The Backend protocol: generate text for a batch of chat requests. Registry of implementations.

Subclasses implement `Backend._generate`, calling ``emit(index, generation)`` as each request completes
(in any order). `Backend.generate` collects the results in request order and counts usage. The response
cache (`judgekit.backends.cache.CachedBackend`) wraps a backend and relies on ``emit`` to commit every
completed request at once, so an interrupted run loses nothing it already paid for.

`Backend.submit` takes one request at a time and returns a Future: callers that must not wait for a whole
batch (a resample queued the moment its first attempt fails a check) submit as they go. Async backends
(openai) run every submitted request on one event loop under one budget; batch backends collect what was
submitted into batches (`judgekit.backends.dispatch`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from judgekit.data.example import Message
from judgekit.errors import BackendRefused
from judgekit.registry import Registry

Emit = Callable[[int, "Generation"], None]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion to make. Fields that change the output are part of the cache key."""

    messages: tuple[Message, ...]
    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    sample_index: int = 0  # the k-th sample of the same request (resampling)
    logprobs: int | None = None  # top-k logprobs of each generated token, where the backend gives them
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)  # not sent, not keyed

    @property
    def cacheable(self) -> bool:
        """Greedy or seeded requests are deterministic enough to cache; unseeded sampling is not."""
        return self.temperature == 0.0 or self.seed is not None

    @classmethod
    def from_messages(cls, messages: Sequence[Message | dict[str, str]] | str, **params: Any) -> ChatRequest:
        """Build a request from Messages, ``{"role", "content"}`` dicts or one user string."""
        if isinstance(messages, str):
            built: tuple[Message, ...] = (Message("user", messages),)
        else:
            built = tuple(m if isinstance(m, Message) else Message(m["role"], m["content"]) for m in messages)
        if "stop" in params and params["stop"] is not None:
            params["stop"] = tuple(params["stop"])
        return cls(messages=built, **params)

    def message_dicts(self) -> list[dict[str, str]]:
        return [m.to_dict() for m in self.messages]

    def params(self) -> dict[str, Any]:
        """The sampling parameters that change the output (what the cache keys on, besides messages)."""
        return {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": list(self.stop),
            "sample_index": self.sample_index,
            "logprobs": self.logprobs,
        }


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Generation:
    """The result of one request: text, or an error saying why there is none."""

    text: str | None
    error: str | None = None
    finish_reason: str | None = None
    usage: Usage = Usage()
    cached: bool = False
    # first-token top logprobs {token: logprob}, where requested and available
    top_logprobs: dict[str, float] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form (what the cache stores)."""
        return {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "usage": [self.usage.prompt_tokens, self.usage.completion_tokens],
            "top_logprobs": self.top_logprobs,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], *, cached: bool = False) -> Generation:
        prompt_tokens, completion_tokens = record.get("usage") or (0, 0)
        return cls(text=record["text"], finish_reason=record.get("finish_reason"),
                   usage=Usage(prompt_tokens, completion_tokens), cached=cached,
                   top_logprobs=record.get("top_logprobs"))


@dataclass
class UsageSummary:
    """Running totals for one backend: what was asked, sent, served from cache, failed, and paid."""

    requests: int = 0  # asked for, cached or not
    sent: int = 0  # actually generated (API calls / model runs), retries not counted
    cache_hits: int = 0
    failures: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    price_input_per_mtok: float | None = None
    price_output_per_mtok: float | None = None
    errors: dict[str, int] = field(default_factory=dict)  # error kind -> count
    lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)  # threads submit and emit

    @property
    def cost(self) -> float | None:
        """USD spent on generated (not cached) requests, when prices are known."""
        if self.price_input_per_mtok is None and self.price_output_per_mtok is None:
            return None
        return (self.prompt_tokens * (self.price_input_per_mtok or 0.0)
                + self.completion_tokens * (self.price_output_per_mtok or 0.0)) / 1e6

    def record(self, generation: Generation) -> None:
        """Count one generated (not cached) result."""
        with self.lock:
            self._record(generation)

    def add(self, **counts: int) -> None:
        """Add to counters (``requests=1, cache_hits=1``) from any thread."""
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def _record(self, generation: Generation) -> None:
        self.sent += 1
        self.prompt_tokens += generation.usage.prompt_tokens
        self.completion_tokens += generation.usage.completion_tokens
        if not generation.ok:
            self.failures += 1
            kind = (generation.error or "unknown").split(":", 1)[0][:60]
            self.errors[kind] = self.errors.get(kind, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        out = {
            "requests": self.requests,
            "sent": self.sent,
            "cache_hits": self.cache_hits,
            "failures": self.failures,
            "retries": self.retries,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "errors": dict(sorted(self.errors.items())),
        }
        if self.cost is not None:
            out["cost_usd"] = round(self.cost, 6)
        return out


class Backend:
    """Base class for text-generation backends.

    Subclasses are registered with ``@BACKENDS.register(name)``, declare ``Options`` (a
    `judgekit.backends.spec.BackendSpec` subclass with their own fields), take that spec in ``__init__``,
    and implement `identity` and `_generate`; callers use `generate`. A backend that learns every further
    request would fail the same way (a bad key, model or URL) sets ``refused`` to the reason: `generate`
    then raises `BackendRefused` after reporting what completed, and refuses to send anything more.
    """

    name: str = ""
    Options: Any = None

    def __init__(self) -> None:
        self.usage = UsageSummary()
        self.refused: str | None = None

    def identity(self) -> dict[str, Any]:
        """What makes outputs of this backend differ (backend name, model, revision, ...); no secrets."""
        raise NotImplementedError

    def _generate(self, requests: Sequence[ChatRequest], emit: Emit) -> None:
        """Generate every request, calling ``emit(i, generation)`` once per request as it completes."""
        raise NotImplementedError

    def generate(
        self,
        requests: Sequence[ChatRequest],
        *,
        progress: Callable[[int], None] | None = None,
        on_result: Emit | None = None,
    ) -> list[Generation]:
        """One Generation per request, in order. Never raises for a single failed request.

        Args:
            progress: called with 1 each time a request completes (drives progress bars).
            on_result: called with (index, generation) as each request completes.
        """
        if self.refused:
            raise BackendRefused(self.refused)
        results: list[Generation | None] = [None] * len(requests)
        self.usage.add(requests=len(requests))

        def emit(index: int, generation: Generation) -> None:
            if results[index] is not None:  # a backend bug; never let a duplicate overwrite silently
                raise RuntimeError(f"backend {self.name} emitted request {index} twice")
            results[index] = generation
            self.usage.record(generation)
            if on_result is not None:
                on_result(index, generation)
            if progress is not None:
                progress(1)

        if requests:
            self._generate(requests, emit)
        missing = [i for i, r in enumerate(results) if r is None]
        for index in missing:  # a backend that lost a request reports it, it does not vanish
            emit(index, Generation(text=None, error="internal: the backend returned no result for this request"))
        if self.refused:
            raise BackendRefused(self.refused)
        return [r for r in results if r is not None]

    def submit(self, request: ChatRequest) -> Future:
        """Queue one request; the Future gives its Generation as soon as it completes (never an exception
        for a failed request: a Generation with ``error``). A refused backend answers "not sent" at once."""
        if self.refused:
            future: Future = Future()
            future.set_result(Generation(text=None, error=f"not sent: {self.refused}"))
            return future
        dispatcher = getattr(self, "_dispatcher", None)
        if dispatcher is None:
            from judgekit.backends.dispatch import BatchDispatcher

            dispatcher = self._dispatcher = BatchDispatcher(self)
        return dispatcher.submit(request)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or GPU memory."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WrappedBackend(Backend):
    """A backend in front of another (the response cache, a spending budget, progress reporting): its name,
    usage, refusal, spec and identity are the inner backend's, and closing it closes the inner one."""

    def __init__(self, inner: Backend) -> None:  # not Backend.__init__: usage and refused are the inner one's
        self.inner = inner
        self.name = inner.name

    @property
    def usage(self):  # type: ignore[override]
        return self.inner.usage

    @property
    def refused(self) -> str | None:  # type: ignore[override]
        return self.inner.refused

    @property
    def spec(self) -> Any:
        return getattr(self.inner, "spec", None)

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def close(self) -> None:
        self.inner.close()


# name -> Backend subclass, built from its Options by judgekit.backends.spec.load_backend
BACKENDS: Registry[type[Backend]] = Registry("backend", builtin="backends")
