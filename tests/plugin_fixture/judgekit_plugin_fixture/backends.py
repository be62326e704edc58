"""A third-party backend with its own options (test fixture): always prefers the response shown first."""

from __future__ import annotations

from typing import Any

from judgekit.backends.base import BACKENDS, Backend, Generation
from judgekit.backends.spec import BackendSpec


class FirstOptions(BackendSpec):
    backend: str = "fixture-first"
    model: str | None = "first"
    verdict: str = "[[A]]"


@BACKENDS.register("fixture-first")
class FirstBackend(Backend):
    """Answers every judge prompt with the same verdict (a plugin example)."""

    name = "fixture-first"
    Options = FirstOptions

    def __init__(self, spec: FirstOptions) -> None:
        super().__init__()
        self.spec = spec

    def identity(self) -> dict[str, Any]:
        return {"backend": "fixture-first", "verdict": self.spec.verdict}

    def _generate(self, requests, emit) -> None:
        for index, _ in enumerate(requests):
            emit(index, Generation(text=self.spec.verdict))
