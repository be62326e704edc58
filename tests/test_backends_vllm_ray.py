"""The `vllm-ray` backend: requests become the rows Ray Data's vLLM processor documents, replies come back
by index. The engine itself needs vLLM and a GPU: that part is skipped here (see the README)."""

from __future__ import annotations

import json

import pytest

from judgekit.backends import ChatRequest, load_backend
from judgekit.backends.vllm_ray import generation_of, postprocess, preprocess, request_row


def test_a_request_becomes_the_documented_row():
    request = ChatRequest.from_messages([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
                                        max_tokens=12, temperature=0.7, seed=5, stop=["\n"])
    row = preprocess(json.loads(json.dumps(request_row(3, request))))  # rows travel as plain JSON-able values
    assert row == {"index": 3, "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
                   "sampling_params": {"temperature": 0.7, "top_p": 1.0, "max_tokens": 12, "seed": 5, "stop": ["\n"]}}
    greedy = preprocess(request_row(0, ChatRequest.from_messages("x")))
    assert "seed" not in greedy["sampling_params"]


def test_replies_and_errors_come_back_per_row():
    done = generation_of(postprocess({"index": 1, "generated_text": "hello", "prompt_token_ids": [1, 2, 3],
                                      "generated_tokens": [7, 8]}))
    assert done.ok and done.text == "hello" and (done.usage.prompt_tokens, done.usage.completion_tokens) == (3, 2)
    failed = generation_of(postprocess({"index": 2, "generated_text": "", "__inference_error__": "OOM"}))
    assert not failed.ok and "OOM" in failed.error


def test_the_backend_is_registered_and_needs_a_model():
    from judgekit.errors import BackendError, SpecError

    with pytest.raises((BackendError, SpecError), match="needs backend.model"):
        load_backend({"backend": "vllm-ray", "cache": False})
    backend = load_backend({"backend": "vllm-ray", "model": "Qwen/Qwen2.5-7B-Instruct", "replicas": 4, "cache": False})
    assert backend.identity()["model"] == "Qwen/Qwen2.5-7B-Instruct"


@pytest.mark.gpu
def test_generates_on_a_gpu_through_the_processor():
    pytest.importorskip("vllm", reason="vllm is not installed (pip install 'ray[data,llm]' vllm; Linux + CUDA)")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    backend = load_backend({"backend": "vllm-ray", "model": "Qwen/Qwen2.5-0.5B-Instruct", "cache": False,
                            "engine_kwargs": {"max_model_len": 2048}})
    out = backend.generate([ChatRequest.from_messages(f"Say {i}", max_tokens=8) for i in range(4)])
    assert all(g.ok for g in out)
