"""`mock` backend: deterministic replies without a model, for trying recipes and judge specs and for tests.

Each reply is a pure function of the request (messages and sample index), so runs repeat exactly:

- ``replies``: one of these strings, picked by a hash of the request (default ``["mock reply"]``);
- ``echo_after``: if the last user message contains this marker, reply the text after its last occurrence
  with ``prefix`` in front (e.g. ``echo_after: "Text:"`` and ``prefix: "In other words, "`` makes a
  "paraphrase" that passes similarity checks, to try a recipe end to end);
- ``fail_rate``: that share of requests (by hash) fails with an error, to exercise failure handling.

Top logprobs, when asked for, put the reply's first token first, then "A" and "B".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from judgekit.backends.base import BACKENDS, Backend, ChatRequest, Emit, Generation, Usage
from judgekit.backends.spec import BackendSpec


class MockOptions(BackendSpec):
    """Options of the `mock` backend."""

    backend: str = "mock"
    model: str | None = "mock"
    replies: list[str] = Field(default_factory=lambda: ["mock reply"], min_length=1)
    echo_after: str | None = Field(None, description="reply the text after this marker in the last user message")
    prefix: str = ""
    fail_rate: float = Field(0.0, ge=0.0, le=1.0)


def _digest(request: ChatRequest) -> int:
    blob = json.dumps([request.message_dicts(), request.sample_index, request.seed], sort_keys=True)
    return int.from_bytes(hashlib.sha256(blob.encode("utf-8")).digest()[:8], "big")


@BACKENDS.register("mock")
class MockBackend(Backend):
    """Deterministic replies without a model (try recipes and judges offline; write tests)."""

    name = "mock"
    Options = MockOptions

    def __init__(self, spec: MockOptions) -> None:
        super().__init__()
        self.spec = spec

    def identity(self) -> dict[str, Any]:
        return {"backend": "mock", "model": self.spec.model, "replies": self.spec.replies,
                "echo_after": self.spec.echo_after, "prefix": self.spec.prefix, "fail_rate": self.spec.fail_rate}

    def reply(self, request: ChatRequest) -> Generation:
        digest = _digest(request)
        if self.spec.fail_rate and (digest % 10_000) / 10_000 < self.spec.fail_rate:
            return Generation(text=None, error="mock: injected failure (fail_rate)")
        last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        marker = self.spec.echo_after
        if marker and marker in last:
            text = self.spec.prefix + last.rsplit(marker, 1)[1].strip()
        else:
            text = self.spec.replies[digest % len(self.spec.replies)]
        top = None
        if request.logprobs:
            first = (text.split() or [""])[0]
            top = {first: -0.1, "A": -2.0, "B": -2.5}
        prompt_tokens = sum(len(m.content.split()) for m in request.messages)
        return Generation(text=text, finish_reason="stop", usage=Usage(prompt_tokens, len(text.split())),
                          top_logprobs=top)

    def _generate(self, requests: Sequence[ChatRequest], emit: Emit) -> None:
        for index, request in enumerate(requests):
            emit(index, self.reply(request))
