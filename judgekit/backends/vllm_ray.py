"""`vllm-ray` backend: vLLM engines on a Ray cluster's GPUs, through Ray Data's LLM processor.

A thin use of the documented API (``ray.data.llm.vLLMEngineProcessorConfig`` + ``build_processor``): each
`generate` call becomes one Ray Data dataset of chat requests (``messages`` + per-row ``sampling_params``)
that the processor runs on ``replicas`` vLLM engine replicas of ``tensor_parallel_size`` GPUs each, in
batches of ``batch_size``; the replies come back by row index. Ray Data starts the engines for each
execution, so hand it large batches (a recipe's chunks do: ``--chunk-size``). Needs ``pip install
'ray[data,llm]' vllm`` on the cluster; ``ray_address`` attaches to it (default: the driver's Ray).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from judgekit.backends.base import BACKENDS, Backend, ChatRequest, Emit, Generation, Usage
from judgekit.backends.spec import BackendSpec
from judgekit.errors import BackendError


class VLLMRayOptions(BackendSpec):
    """Options of the `vllm-ray` backend (vLLM through Ray Data's LLM processor)."""

    backend: str = "vllm-ray"
    tensor_parallel_size: int = Field(1, ge=1, description="GPUs per engine replica")
    replicas: int = Field(1, ge=1, description="vLLM engine replicas (the processor's concurrency)")
    batch_size: int = Field(64, ge=1, description="rows per batch sent to an engine")
    accelerator_type: str | None = Field(None, description="e.g. H100, A100 (Ray's accelerator_type)")
    engine_kwargs: dict[str, Any] = Field(default_factory=dict, description="vLLM engine arguments")
    ray_address: str | None = Field(None, description="Ray cluster to attach to (default: the running one)")


def request_row(index: int, request: ChatRequest) -> dict[str, Any]:
    """One dataset row per request (JSON text columns: Arrow needs no schema for them)."""
    params: dict[str, Any] = {"temperature": request.temperature, "top_p": request.top_p,
                              "max_tokens": request.max_tokens}
    if request.seed is not None:
        params["seed"] = request.seed
    if request.stop:
        params["stop"] = list(request.stop)
    if request.logprobs:
        params["logprobs"] = request.logprobs
    return {"index": index, "messages_json": json.dumps(request.message_dicts()), "params_json": json.dumps(params)}


def preprocess(row: dict[str, Any]) -> dict[str, Any]:
    """What the processor's chat-template stage reads: OpenAI-style ``messages`` and ``sampling_params``."""
    return {"index": row["index"], "messages": json.loads(row["messages_json"]),
            "sampling_params": json.loads(row["params_json"])}


def postprocess(row: dict[str, Any]) -> dict[str, Any]:
    return {"index": row["index"], "text": row.get("generated_text"),
            "prompt_tokens": len(row.get("prompt_token_ids") or ()),
            "completion_tokens": len(row.get("generated_tokens") or ()),
            "error": row.get("__inference_error__") or None}


def generation_of(row: dict[str, Any]) -> Generation:
    if row.get("error") or row.get("text") is None:
        return Generation(text=None, error=f"vllm: {row.get('error') or 'no text'}")
    return Generation(text=row["text"], finish_reason="stop",
                      usage=Usage(int(row["prompt_tokens"]), int(row["completion_tokens"])))


@BACKENDS.register("vllm-ray")
class VLLMRayBackend(Backend):
    """vLLM engine replicas on a Ray cluster (Ray Data's vLLM engine processor)."""

    name = "vllm-ray"
    Options = VLLMRayOptions

    def __init__(self, spec: VLLMRayOptions) -> None:
        super().__init__()
        if not spec.model or spec.model == "embedded":
            raise BackendError("the vllm-ray backend needs backend.model (a hub id or a folder every node reads)")
        self.spec = spec
        self._processor: Any = None

    def identity(self) -> dict[str, Any]:
        return {"backend": "vllm", "model": self.spec.model, "engine_kwargs": self.spec.engine_kwargs}

    def processor(self) -> Any:
        if self._processor is None:
            try:
                import ray
                from ray.data.llm import build_processor, vLLMEngineProcessorConfig
            except ImportError as exc:
                raise BackendError(f"the vllm-ray backend needs Ray Data's LLM support ({exc}): "
                                   "pip install 'ray[data,llm]' vllm") from None
            if not ray.is_initialized():
                ray.init(address=self.spec.ray_address, log_to_driver=False)
            config = vLLMEngineProcessorConfig(
                model_source=self.spec.model,
                engine_kwargs={"tensor_parallel_size": self.spec.tensor_parallel_size, **self.spec.engine_kwargs},
                concurrency=self.spec.replicas, batch_size=self.spec.batch_size,
                accelerator_type=self.spec.accelerator_type, should_continue_on_error=True)
            self._processor = build_processor(config, preprocess=preprocess, postprocess=postprocess)
        return self._processor

    def _generate(self, requests: Sequence[ChatRequest], emit: Emit) -> None:
        import ray

        processor = self.processor()
        dataset = ray.data.from_items([request_row(i, r) for i, r in enumerate(requests)])
        for row in processor(dataset).iter_rows():
            emit(int(row["index"]), generation_of(row))
