"""`openai` backend: any OpenAI-compatible chat-completions server (OpenAI, `vllm serve`, llama.cpp server, ...).

Uses `openai.AsyncOpenAI` (auth, HTTP errors and timeouts from the SDK; its own retries off) and posts the
chat-completions body with the client's low-level ``post`` (documented for custom requests), which skips
the SDK's per-request parameter transform and typed-model parsing: about a third less CPU per request.
Async under the hood: every request of a backend, from `generate` or `submit`, whatever thread sent it,
runs on one event loop under one budget (bounded concurrency, optional requests- and tokens-per-minute
limits; on Ray, one budget shared by every worker of the run: `use_budget`), tenacity retries with jittered exponential backoff that honour ``Retry-After``
on 429/5xx/timeouts/connection errors/malformed or empty replies. 400 fails the request. 401/403/404 mean
every other request would fail too: the backend is marked refused, nothing more is sent (requests waiting
for a slot are reported "not sent"), and `generate` raises `BackendRefused` (exit code 4).

The base URL is resolved once, as the SDK would: ``base_url`` from the spec, else ``OPENAI_BASE_URL``, else
``OPENAI_API_BASE``, else https://api.openai.com/v1. That resolved URL is what the identity (and so the
response cache key, manifests and reports) records. ``base_url`` may also be a list of endpoints serving
the same model (``openai:MODEL@URL1,URL2``): each request goes to the endpoint with the fewest requests in
flight, and a retry may go to another; the identity then records the sorted list.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Sequence
from concurrent.futures import Future, as_completed
from typing import Any
from urllib.parse import urlparse

from pydantic import Field, field_validator

from judgekit.backends.base import BACKENDS, Backend, ChatRequest, Emit, Generation, Usage
from judgekit.backends.dispatch import Budget, LocalBudget, LoopThread, RateLimiter  # noqa: F401 (public)
from judgekit.backends.spec import BackendSpec
from judgekit.errors import BackendError

DEFAULT_BASE_URL = "https://api.openai.com/v1"

_FATAL_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not found"}


class RetryableReply(Exception):
    """A 200 reply that is unusable (malformed body, no choices, empty content); worth retrying."""


class _FatalError(Exception):
    """Every further request would fail the same way (bad key, bad model, bad URL)."""


def _local(base_url: str | None) -> bool:
    host = urlparse(base_url or "").hostname or ""
    return host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or host.endswith(".local")


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                continue
    return None


def _estimate_tokens(request: ChatRequest) -> int:
    return sum(len(m.content) for m in request.messages) // 4 + 4 * len(request.messages) + request.max_tokens


class OpenAIOptions(BackendSpec):
    """Options of the `openai` backend (any OpenAI-compatible chat-completions server)."""

    backend: str = "openai"
    base_url: str | list[str] | None = Field(None, description="server URL, or a list of URLs serving the same "
                                             "model; default $OPENAI_BASE_URL, else api.openai.com")
    api_key_env: str = Field("OPENAI_API_KEY", description="NAME of the environment variable holding the key")
    concurrency: int = Field(16, ge=1, le=4096, description="requests in flight at once")
    requests_per_minute: float | None = Field(None, gt=0)
    tokens_per_minute: float | None = Field(None, gt=0)
    timeout: float = Field(120.0, gt=0, description="seconds per request attempt")
    max_retries: int = Field(6, ge=0, le=100)
    max_backoff: float = Field(60.0, gt=0, description="longest wait between retries, seconds")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="extra JSON fields sent with each request")

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not value.replace("_", "").isalnum() or value.startswith("sk-"):
            raise ValueError("api_key_env is the NAME of an environment variable (e.g. OPENAI_API_KEY), "
                             "never the key itself")
        return value


    @field_validator("base_url", mode="before")
    @classmethod
    def _urls(cls, value: Any) -> Any:
        if isinstance(value, str) and "," in value:
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            if not value:
                raise ValueError("give at least one URL")
            return value[0] if len(value) == 1 else value
        return value


def resolve_base_urls(spec: OpenAIOptions) -> list[str]:
    """The URLs requests actually go to (the spec's, else the SDK's environment variables, else OpenAI's)."""
    given = spec.base_url
    if isinstance(given, list):
        return list(dict.fromkeys(url.strip().rstrip("/") for url in given))
    url = given or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or DEFAULT_BASE_URL
    return [url.strip().rstrip("/")]


def resolve_base_url(spec: OpenAIOptions) -> str:
    """The URL requests go to (the first of several)."""
    return resolve_base_urls(spec)[0]


@BACKENDS.register("openai")
class OpenAIBackend(Backend):
    """Any OpenAI-compatible chat-completions server (OpenAI, vllm serve, llama.cpp server, TGI, ...)."""

    name = "openai"
    Options = OpenAIOptions

    def __init__(self, spec: OpenAIOptions) -> None:
        super().__init__()
        if not spec.model:
            raise BackendError("the openai backend needs a model name (backend.model)")
        self.spec = spec
        self.base_urls = resolve_base_urls(spec)
        self.base_url = self.base_urls[0]
        key = os.environ.get(spec.api_key_env)
        if not key:
            remote = [url for url in self.base_urls if not _local(url)]
            if remote:
                raise BackendError(f"no API key for {remote[0]}: set the environment variable {spec.api_key_env}"
                                   " (or point backend.base_url at a local server)")
            key = "not-needed"  # local servers (vllm serve, llama.cpp) accept any key
        self._key = key
        self._loop = LoopThread(f"judgekit-openai-{spec.model}")
        self.budget: Budget = LocalBudget(spec.concurrency, spec.requests_per_minute, spec.tokens_per_minute)
        self._clients: list[Any] | None = None
        self._in_flight: list[int] = [0] * len(self.base_urls)
        self._turn = 0
        self._fatal: list[str] = []

    def identity(self) -> dict[str, Any]:
        where: str | list[str] = self.base_url if len(self.base_urls) == 1 else sorted(self.base_urls)
        identity: dict[str, Any] = {"backend": "openai", "model": self.spec.model, "base_url": where}
        if self.spec.extra_body:
            identity["extra_body"] = self.spec.extra_body
        return identity

    def use_budget(self, budget: Budget) -> None:
        """Send under another budget (one shared by every worker of a run) instead of this process's own."""
        self.budget = budget

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key and len(self._key) > 3 else text

    # -- the event loop --------------------------------------------------------------------------------
    def _raw(self, request: ChatRequest) -> Future:
        """Schedule one request on the backend's loop (no usage counted: the caller counts)."""
        return self._loop.run(self._one(request))

    def submit(self, request: ChatRequest) -> Future:
        if self.refused:
            return super().submit(request)
        self.usage.add(requests=1)
        future = self._raw(request)
        future.add_done_callback(lambda done: self.usage.record(done.result()) if not done.exception() else None)
        return future

    def _generate(self, requests: Sequence[ChatRequest], emit: Emit) -> None:
        futures = {self._raw(request): index for index, request in enumerate(requests)}
        for future in as_completed(futures):
            emit(futures[future], future.result())

    async def _one(self, request: ChatRequest) -> Generation:
        if self._fatal:
            return Generation(text=None, error=f"not sent: {self._fatal[0]}")
        if self._clients is None:
            import openai

            self._clients = [openai.AsyncOpenAI(api_key=self._key, base_url=url, timeout=self.spec.timeout,
                                                max_retries=0) for url in self.base_urls]
        try:
            return await self._call(request)
        except _FatalError as exc:
            self._fatal.append(str(exc))
            self.refused = self.refused or str(exc)
            return Generation(text=None, error=str(exc))
        except asyncio.CancelledError:  # `close` cancels what a stopped run left pending: an answer, not a hang
            return Generation(text=None, error="not completed: the run stopped first")

    def _pick(self) -> int:
        """The endpoint with the fewest requests in flight (ties: in turn)."""
        count = len(self._in_flight)
        self._turn = (self._turn + 1) % count
        order = [(self._turn + k) % count for k in range(count)]
        return min(order, key=lambda i: self._in_flight[i])

    def close(self) -> None:
        clients, self._clients = self._clients, None
        if clients:
            async def shut() -> None:
                for client in clients:
                    await client.close()

            with contextlib.suppress(Exception):  # closing is best effort
                self._loop.call(shut(), timeout=10)
        self._loop.stop()

    async def _call(self, request: ChatRequest) -> Generation:
        import openai
        from tenacity import AsyncRetrying, RetryError, retry_if_exception, stop_after_attempt

        spec = self.spec
        kwargs: dict[str, Any] = {
            "model": spec.model,
            "messages": request.message_dicts(),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
        }
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if request.logprobs:
            kwargs["logprobs"] = True
            kwargs["top_logprobs"] = request.logprobs
        if spec.extra_body:
            kwargs.update(spec.extra_body)

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, openai.APIStatusError):
                return exc.status_code == 408 or exc.status_code == 409 or exc.status_code == 429 or exc.status_code >= 500
            return isinstance(exc, openai.APIConnectionError | openai.APIResponseValidationError | RetryableReply
                              | ValueError | asyncio.TimeoutError)

        attempts = 0
        retrying = AsyncRetrying(stop=stop_after_attempt(spec.max_retries + 1), wait=_BackoffWait(spec.max_backoff),
                                 retry=retry_if_exception(retryable), reraise=False)
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    if attempts > 1:
                        self.usage.add(retries=1)
                    await self.budget.admit(_estimate_tokens(request))
                    await self.budget.enter()
                    endpoint = self._pick()
                    self._in_flight[endpoint] += 1
                    try:
                        if self._fatal:  # another request found the key/model/URL wrong while this one waited
                            return Generation(text=None, error=f"not sent: {self._fatal[0]}")
                        # the documented low-level call: same auth, errors and timeouts as
                        # chat.completions.create, without its per-request params transform (~1 ms CPU each)
                        response = await self._clients[endpoint].post("/chat/completions", body=kwargs,
                                                                      cast_to=object)
                    finally:
                        self._in_flight[endpoint] -= 1
                        await self.budget.leave()
                    return _parse(response, request)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            return Generation(text=None, error=self._scrub(f"{_describe(last)} (after {attempts} attempts)"))
        except openai.APIStatusError as exc:
            message = self._scrub(_describe(exc))
            if exc.status_code in _FATAL_STATUS:
                raise _FatalError(f"{', '.join(self.base_urls)} refused the request ({message}): check backend.model, "
                                  f"backend.base_url and the key in ${spec.api_key_env}") from None
            return Generation(text=None, error=message)
        except Exception as exc:  # noqa: BLE001 - one request's failure must not sink the batch
            return Generation(text=None, error=self._scrub(_describe(exc)))
        return Generation(text=None, error="internal: retry loop ended without a result")


class _BackoffWait:
    """Jittered exponential backoff; a server's Retry-After wins when it says how long."""

    def __init__(self, max_backoff: float, *, initial: float = 0.25) -> None:
        self.max_backoff = max_backoff
        self.initial = initial

    def __call__(self, retry_state) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        hinted = _retry_after(exc) if exc is not None else None
        if hinted is not None:
            return min(hinted, self.max_backoff)
        exponential = self.initial * 2 ** max(0, retry_state.attempt_number - 1)
        return min(self.max_backoff, exponential + random.uniform(0, self.initial))


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    status = getattr(exc, "status_code", None)
    if status is not None:
        return f"HTTP {status}: {_short(getattr(exc, 'message', None) or str(exc))}"
    if type(exc).__name__ == "APITimeoutError" or isinstance(exc, asyncio.TimeoutError):
        return "timeout: no reply within backend.timeout"
    if type(exc).__name__ == "APIConnectionError":
        return f"connection error: {_short(str(exc.__cause__ or exc))}"
    if isinstance(exc, RetryableReply):
        return str(exc)
    if isinstance(exc, ValueError) or type(exc).__name__ == "APIResponseValidationError":
        return f"malformed reply: {_short(str(exc))}"
    return f"{type(exc).__name__}: {_short(str(exc))}"


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse(response: Any, request: ChatRequest) -> Generation:
    """A chat.completion JSON object -> Generation; unusable replies raise `RetryableReply`."""
    if not isinstance(response, dict):
        raise RetryableReply("malformed reply: the server did not send a JSON object")
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise RetryableReply("malformed reply: no choices")
    choice = choices[0]
    message = choice.get("message") or {}
    text = message.get("content") if isinstance(message, dict) else None
    finish = choice.get("finish_reason")
    if not isinstance(text, str):
        raise RetryableReply("malformed reply: no message content")
    if not text.strip() and finish != "length":
        raise RetryableReply(f"empty completion (finish_reason={finish})")
    usage = response.get("usage") or {}
    counted = Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
    top: dict[str, float] | None = None
    if request.logprobs:
        content = (choice.get("logprobs") or {}).get("content") or []
        if content:
            top = {t["token"]: float(t["logprob"]) for t in content[0].get("top_logprobs") or []}
    return Generation(text=text, finish_reason=finish, usage=counted, top_logprobs=top)
