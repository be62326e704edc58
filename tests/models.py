"""Locations of the offline models used by tests (wrappers around judgekit.embedded)."""

from __future__ import annotations

from pathlib import Path

import pytest


def minilm_dir() -> Path:
    from judgekit.embedded import minilm_dir as locate
    from judgekit.errors import JudgekitError

    try:
        return locate()
    except JudgekitError as exc:
        pytest.skip(str(exc))


def smollm2_tokenizer():
    """The SmolLM2 tokenizer (with its chat template), read from the GGUF file without the weights."""
    from transformers import AutoTokenizer

    from judgekit.embedded import smollm2_gguf
    from judgekit.errors import JudgekitError

    try:
        gguf = smollm2_gguf()
    except JudgekitError as exc:
        pytest.skip(str(exc))
    return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
