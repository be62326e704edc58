"""The hf backend on a tiny random Llama (fast) and on the embedded SmolLM2 (slow); specs; optional backends."""

from __future__ import annotations

import importlib.util

import pytest

from judgekit.backends import BACKENDS, ChatRequest, load_backend, parse_backend_spec
from judgekit.errors import BackendError, SpecError

PROMPTS = ["Hi", "Tell me a long story about a dragon and a knight in a castle", "2+2?", "Name three colours please"]


@pytest.fixture(scope="module")
def tiny(tiny_llama_dir):
    return load_backend({"backend": "hf", "model": str(tiny_llama_dir), "cache": False, "batch_size": 4,
                         "device": "cpu", "dtype": "float32", "threads": 1})


def test_batched_left_padded_generation_matches_one_at_a_time(tiny):
    requests = [ChatRequest.from_messages(p, max_tokens=8) for p in PROMPTS]
    batched = tiny.generate(requests)
    single = [tiny.generate([r])[0] for r in requests]
    assert [g.text for g in batched] == [g.text for g in single]
    for g in batched:
        assert g.ok and g.usage.prompt_tokens > 0
        assert g.usage.completion_tokens <= 8
        assert g.finish_reason in ("stop", "length")


def test_first_token_logprobs(tiny):
    out = tiny.generate([ChatRequest.from_messages("Hello", max_tokens=1, logprobs=5)])[0]
    top = out.top_logprobs
    assert top is not None and 1 <= len(top) <= 5
    assert all(v <= 0 for v in top.values())
    assert max(top, key=top.get) == out.text or out.text == ""  # greedy picks the likeliest token


def test_seeded_sampling_is_reproducible_and_unseeded_differs(tiny):
    requests = [ChatRequest.from_messages(p, max_tokens=6, temperature=1.0, seed=7) for p in PROMPTS[:2]]
    first = [g.text for g in tiny.generate(requests)]
    assert first == [g.text for g in tiny.generate(requests)]
    other = [ChatRequest.from_messages(p, max_tokens=6, temperature=1.0, seed=8) for p in PROMPTS[:2]]
    assert first != [g.text for g in tiny.generate(other)]


def test_stop_strings_cut_the_text(tiny):
    full = tiny.generate([ChatRequest.from_messages("Hi", max_tokens=12)])[0].text
    assert len(full) > 2
    stop = full[len(full) // 2: len(full) // 2 + 2]
    cut = tiny.generate([ChatRequest.from_messages("Hi", max_tokens=12, stop=[stop])])[0]
    assert stop not in cut.text and full.startswith(cut.text) and cut.finish_reason == "stop"


def test_hf_goes_through_the_cache(tiny_llama_dir, tmp_path):
    spec = {"backend": "hf", "model": str(tiny_llama_dir), "cache_path": str(tmp_path / "c.sqlite")}
    first = load_backend(spec).generate([ChatRequest.from_messages("Hi", max_tokens=4)])
    backend = load_backend(spec)
    second = backend.generate([ChatRequest.from_messages("Hi", max_tokens=4)])
    assert second[0].cached and second[0].text == first[0].text and backend.usage.sent == 0


@pytest.mark.slow
def test_embedded_smollm2_answers():
    backend = load_backend({"backend": "hf", "cache": False, "threads": 1})
    out = backend.generate([ChatRequest.from_messages("What is the capital of France? Answer in one word.",
                                                      max_tokens=8)])
    assert out[0].ok and "paris" in out[0].text.lower()


# -- specs ---------------------------------------------------------------------------------------------
def test_spec_strings():
    assert parse_backend_spec("embedded").is_embedded
    assert parse_backend_spec("hf:/models/x").model == "/models/x"
    spec = parse_backend_spec("openai:Qwen/Qwen2.5-7B@http://localhost:8000/v1")
    assert (spec.backend, spec.model, spec.base_url) == ("openai", "Qwen/Qwen2.5-7B", "http://localhost:8000/v1")
    assert parse_backend_spec({"backend": "vllm", "model": "m"}).label() == "vllm:m"
    with pytest.raises(SpecError, match="unknown backend 'gpt4'"):
        parse_backend_spec("gpt4")


def test_spec_rejects_unknown_fields_and_keys_in_place_of_names():
    with pytest.raises(SpecError, match="backend.temprature: unknown field"):
        parse_backend_spec({"backend": "hf", "temprature": 0.1})
    with pytest.raises(SpecError, match="NAME of an environment variable"):
        parse_backend_spec({"backend": "openai", "api_key_env": "sk-abc123"})
    with pytest.raises(SpecError):
        parse_backend_spec({"backend": "bard"})


def test_registry_lists_every_backend():
    assert {"openai", "hf", "vllm", "llamacpp"} <= set(BACKENDS.names())


def test_importing_backends_stays_light():
    import subprocess
    import sys

    code = ("import sys, judgekit.backends.builtin, judgekit.transforms.llm, judgekit.synth; "
            "print(sorted(m for m in ('torch', 'transformers', 'openai', 'vllm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is not None, reason="llama_cpp is installed")
def test_llamacpp_missing_is_a_clear_error():
    backend = load_backend({"backend": "llamacpp", "cache": False})
    with pytest.raises(BackendError, match=r"pip install 'judgekit\[llamacpp\]'"):
        backend.generate([ChatRequest.from_messages("hi")])


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_vllm_missing_is_a_clear_error():
    backend = load_backend({"backend": "vllm", "model": "some/model", "cache": False})
    with pytest.raises(BackendError, match=r"judgekit\[vllm\]"):
        backend.generate([ChatRequest.from_messages("hi")])
