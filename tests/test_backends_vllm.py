"""The vllm backend on a real GPU (skipped where vllm is not importable or no CUDA device is present)."""

from __future__ import annotations

import os

import pytest

vllm = pytest.importorskip("vllm", reason="vllm is not installed (pip install 'judgekit[vllm]', Linux + CUDA)")
import torch  # noqa: E402  (required: a broken install must fail)

pytestmark = [pytest.mark.gpu, pytest.mark.slow,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="vllm needs a CUDA device")]


def test_vllm_chat_greedy_and_logprobs():
    from judgekit.backends import ChatRequest, load_backend
    from judgekit.embedded import smollm2_dir

    model = os.environ.get("JUDGEKIT_VLLM_MODEL") or str(smollm2_dir())
    backend = load_backend({"backend": "vllm", "model": model, "cache": False, "gpu_memory_utilization": 0.3,
                            "max_model_len": 2048})
    requests = [ChatRequest.from_messages("What is the capital of France? One word.", max_tokens=8),
                ChatRequest.from_messages("Say A or B.", max_tokens=1, logprobs=5)]
    out = backend.generate(requests)
    assert all(g.ok for g in out), [g.error for g in out]
    assert "paris" in out[0].text.lower()
    assert out[1].top_logprobs and len(out[1].top_logprobs) >= 1
    assert backend.usage.completion_tokens > 0
