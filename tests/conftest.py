"""Shared fixtures: the real data in ../shared/data, tiny random models, temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("JUDGEKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))

# Nothing in the test suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Shipped suites and configs name hub datasets; tests read them from the local mirror (the shared data).
if SHARED_DATA.is_dir():
    os.environ.setdefault("JUDGEKIT_DATA_MIRROR", str(SHARED_DATA))


def shared_file(relative: str) -> Path:
    """A file of the shared real data, or skip the test with the reason."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real data not found: {path} (set JUDGEKIT_SHARED_DATA or place ../shared/data beside the repo)")
    return path


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found: {SHARED_DATA} (set JUDGEKIT_SHARED_DATA or place ../shared/data beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory) -> Path:
    """A random-initialised BERT reward model (num_labels=1) with the MiniLM tokenizer, saved as an HF folder."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from tests.models import minilm_dir

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, num_labels=1)
    model = BertForSequenceClassification(config)
    out = tmp_path_factory.mktemp("tiny-bert")
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(minilm_dir()).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory) -> Path:
    """A random-initialised Llama causal LM with the SmolLM2 tokenizer and chat template, saved as an HF folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from tests.models import smollm2_tokenizer

    torch.manual_seed(0)
    tokenizer = smollm2_tokenizer()
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=2048,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    model = LlamaForCausalLM(config)
    out = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` skip, with the reason, where no CUDA device is present."""
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (none here); run on a GPU machine")
    for item in gpu_items:
        item.add_marker(skip)
