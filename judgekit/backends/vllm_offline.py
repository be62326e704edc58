"""`vllm` backend: offline `vllm.LLM(...).chat(conversations, SamplingParams(...))` on your GPUs.

Follows vLLM's documented offline API: one `LLM` per backend, every request of a `generate` call handed
to `LLM.chat` at once (vLLM schedules and batches), one `SamplingParams` per request. Needs
``pip install judgekit[vllm]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from judgekit.backends.base import BACKENDS, Backend, ChatRequest, Emit, Generation, Usage
from judgekit.backends.spec import BackendSpec
from judgekit.errors import BackendError


class VLLMOptions(BackendSpec):
    """Options of the `vllm` backend (offline vllm.LLM)."""

    backend: str = "vllm"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    revision: str | None = None
    tensor_parallel_size: int = Field(1, ge=1)
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    max_model_len: int | None = None
    trust_remote_code: bool = False


@BACKENDS.register("vllm")
class VLLMBackend(Backend):
    """Offline vLLM (LLM.chat + SamplingParams) on local GPUs."""

    name = "vllm"
    Options = VLLMOptions

    def __init__(self, spec: VLLMOptions) -> None:
        super().__init__()
        if not spec.model or spec.model == "embedded":
            raise BackendError("the vllm backend needs backend.model (a hub id or a local folder)")
        self.spec = spec
        self._llm = None

    def identity(self) -> dict[str, Any]:
        return {"backend": "vllm", "model": self.spec.model, "revision": self.spec.revision, "dtype": self.spec.dtype}

    def load(self):
        if self._llm is None:
            try:
                import vllm
            except ImportError:
                raise BackendError("the vllm backend needs vLLM: pip install 'judgekit[vllm]' (Linux + CUDA GPU)") from None
            options: dict[str, Any] = {
                "model": self.spec.model,
                "dtype": self.spec.dtype,
                "tensor_parallel_size": self.spec.tensor_parallel_size,
                "gpu_memory_utilization": self.spec.gpu_memory_utilization,
                "trust_remote_code": self.spec.trust_remote_code,
            }
            if self.spec.revision:
                options["revision"] = self.spec.revision
            if self.spec.max_model_len:
                options["max_model_len"] = self.spec.max_model_len
            self._llm = vllm.LLM(**options)
        return self._llm

    def sampling_params(self, request: ChatRequest):
        from vllm import SamplingParams

        return SamplingParams(n=1, temperature=request.temperature, top_p=request.top_p, max_tokens=request.max_tokens,
                              seed=request.seed, stop=list(request.stop) or None, logprobs=request.logprobs)

    def _generate(self, requests: Sequence[ChatRequest], emit: Emit) -> None:
        llm = self.load()
        conversations = [r.message_dicts() for r in requests]
        params = [self.sampling_params(r) for r in requests]
        try:
            outputs = llm.chat(conversations, sampling_params=params, use_tqdm=False)
        except Exception as exc:  # noqa: BLE001 - the whole batch failed; say so per request
            for index in range(len(requests)):
                emit(index, Generation(text=None, error=f"vllm: {type(exc).__name__}: {exc}"))
            return
        for index, (request, output) in enumerate(zip(requests, outputs, strict=True)):
            emit(index, _to_generation(request, output))


def _to_generation(request: ChatRequest, output: Any) -> Generation:
    if not output.outputs:
        return Generation(text=None, error="vllm returned no completion")
    completion = output.outputs[0]
    top = None
    if request.logprobs and completion.logprobs:
        top = {lp.decoded_token: float(lp.logprob) for lp in completion.logprobs[0].values()}
    usage = Usage(len(output.prompt_token_ids or []), len(completion.token_ids or []))
    return Generation(text=completion.text, finish_reason=completion.finish_reason, usage=usage, top_logprobs=top)
