"""`openai` backend: any OpenAI-compatible chat-completions server (OpenAI, `vllm serve`, llama.cpp server, ...).

Uses `openai.AsyncOpenAI` (auth, HTTP errors and timeouts from the SDK; its own retries off) and posts the
chat-completions body with the client's low-level ``post`` (documented for custom requests), which skips
the SDK's per-request parameter transform and typed-model parsing: about a third less CPU per request.
Async under the hood (one event loop per `generate` call), bounded concurrency, optional requests- and
tokens-per-minute limits, tenacity retries with jittered exponential backoff that honour ``Retry-After``
on 429/5xx/timeouts/connection errors/malformed or empty replies. 400 fails the request. 401/403/404 mean
every other request would fail too: the backend is marked refused, nothing more is sent (requests waiting
for a slot are reported "not sent"), and `generate` raises `BackendRefused` (exit code 4).

The base URL is resolved once, as the SDK would: ``base_url`` from the spec, else ``OPENAI_BASE_URL``, else
``OPENAI_API_BASE``, else https://api.openai.com/v1. That resolved URL is what the identity (and so the
response cache key, manifests and reports) records.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from pydantic import Field, field_validator

from judgekit.backends.base import BACKENDS, Backend, ChatRequest, Emit, Generation, Usage
from judgekit.backends.spec import BackendSpec
from judgekit.errors import BackendError

DEFAULT_BASE_URL = "https://api.openai.com/v1"

_FATAL_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not found"}


class RetryableReply(Exception):
    """A 200 reply that is unusable (malformed body, no choices, empty content); worth retrying."""


class _FatalError(Exception):
    """Every further request would fail the same way (bad key, bad model, bad URL)."""


class RateLimiter:
    """Async token bucket: ``per_minute`` units refill continuously; bursts up to 5 seconds' worth."""

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * 5.0)
        self.level = self.capacity
        self.stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self, amount: float = 1.0) -> None:
        amount = min(amount, self.capacity)  # one oversized request may still go, alone
        async with self._lock:
            while True:
                now = time.monotonic()
                self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.level >= amount:
                    self.level -= amount
                    return
                await asyncio.sleep((amount - self.level) / self.rate)


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
    base_url: str | None = Field(None, description="server URL; default $OPENAI_BASE_URL, else api.openai.com")
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


def resolve_base_url(spec: OpenAIOptions) -> str:
    """The URL requests actually go to (the spec's, else the SDK's environment variables, else OpenAI's)."""
    url = spec.base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or DEFAULT_BASE_URL
    return url.strip().rstrip("/")


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
        self.base_url = resolve_base_url(spec)
        key = os.environ.get(spec.api_key_env)
        if not key:
            if not _local(self.base_url):
                raise BackendError(f"no API key for {self.base_url}: set the environment variable {spec.api_key_env}"
                                   " (or point backend.base_url at a local server)")
            key = "not-needed"  # local servers (vllm serve, llama.cpp) accept any key
        self._key = key

    def identity(self) -> dict[str, Any]:
        identity: dict[str, Any] = {"backend": "openai", "model": self.spec.model, "base_url": self.base_url}
        if self.spec.extra_body:
            identity["extra_body"] = self.spec.extra_body
        return identity

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key and len(self._key) > 3 else text

    # -- the event loop --------------------------------------------------------------------------------
    def _generate(self, requests: Sequence[ChatRequest], emit: Emit) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(self._run(requests, emit))
            return
        # called from inside a running loop (a notebook): run ours in a thread
        failure: list[BaseException] = []

        def target() -> None:
            try:
                asyncio.run(self._run(requests, emit))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                failure.append(exc)

        thread = threading.Thread(target=target, name="judgekit-openai")
        thread.start()
        thread.join()
        if failure:
            raise failure[0]

    async def _run(self, requests: Sequence[ChatRequest], emit: Emit) -> None:
        import openai

        spec = self.spec
        client = openai.AsyncOpenAI(api_key=self._key, base_url=self.base_url, timeout=spec.timeout, max_retries=0)
        slots = asyncio.Semaphore(spec.concurrency)
        rpm = RateLimiter(spec.requests_per_minute) if spec.requests_per_minute else None
        tpm = RateLimiter(spec.tokens_per_minute) if spec.tokens_per_minute else None
        fatal: list[str] = []
        queue = iter(enumerate(requests))

        async def worker() -> None:
            for index, request in queue:
                if fatal:
                    emit(index, Generation(text=None, error=f"not sent: {fatal[0]}"))
                    continue
                try:
                    generation = await self._call(client, request, slots, rpm, tpm, fatal)
                except _FatalError as exc:
                    fatal.append(str(exc))
                    self.refused = self.refused or str(exc)
                    generation = Generation(text=None, error=str(exc))
                emit(index, generation)

        # more workers than slots, so a worker sleeping in backoff does not idle a slot
        workers = [asyncio.create_task(worker()) for _ in range(min(len(requests), spec.concurrency * 2))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await client.close()

    async def _call(self, client, request: ChatRequest, slots, rpm, tpm, fatal: list[str]) -> Generation:
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
                        self.usage.retries += 1
                    if rpm is not None:
                        await rpm.acquire(1)
                    if tpm is not None:
                        await tpm.acquire(_estimate_tokens(request))
                    async with slots:
                        if fatal:  # another request found the key/model/URL wrong while this one waited
                            return Generation(text=None, error=f"not sent: {fatal[0]}")
                        # the documented low-level call: same auth, errors and timeouts as
                        # chat.completions.create, without its per-request params transform (~1 ms CPU each)
                        response = await client.post("/chat/completions", body=kwargs, cast_to=object)
                    return _parse(response, request)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            return Generation(text=None, error=self._scrub(f"{_describe(last)} (after {attempts} attempts)"))
        except openai.APIStatusError as exc:
            message = self._scrub(_describe(exc))
            if exc.status_code in _FATAL_STATUS:
                raise _FatalError(f"{self.base_url} refused the request ({message}): check backend.model, "
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
