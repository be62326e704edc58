"""Text-quality checks of rewrites: preamble and wrapper stripping, refusal detection, length ratio, and
embedding similarity (all-MiniLM-L6-v2, mean pooling, L2-normalised, as reWordBench does).

The one place these checks live: the LLM transforms use them to decide whether to resample, and recipe
filters (judgekit.synth.filters) use them to drop generated items.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

_PREAMBLE = re.compile(
    r"""^\s*(?:
        (?:sure|certainly|of\ course|okay|ok|absolutely)[!,.]?\s*
      )?(?:
        here(?:'s|\ is|\ are)\ (?:the\ |a\ |an\ |your\ |my\ )?
        (?:paraphrased|paraphrase[ds]?|rewritten|rewrite|translated|translation|revised|reworded|rephrased|new|updated)?
        [^\n:]{0,60}:
      | (?:paraphrased?|paraphrase|rewritten|rewrite|translation|translated|rephrased|reworded)
        (?:\ (?:text|version|instruction|response|answer))?
        (?:\ \([^)\n]{0,40}\))?\s*:
      )\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_POSTAMBLE = re.compile(
    r"\n+\s*(?:let me know|i hope this|hope this helps|feel free to|note:|this (?:paraphrase|translation|version) )"
    r"[^\n]*\s*$",
    re.IGNORECASE,
)
_QUOTES = (('"', '"'), ("\u201c", "\u201d"), ("'", "'"), ("```", "```"))
_REFUSAL = re.compile(
    r"^\s*(?:i'?m sorry|i am sorry|sorry,|i (?:can(?:no|')t|cannot|won'?t|am unable|'m unable|am not able)"
    r"|as an ai\b|i apologi[sz]e)",
    re.IGNORECASE,
)


def clean_generation(text: str) -> str:
    """Remove a leading "Here is the paraphrase:"-style preamble, trailing chit-chat, and wrapping quotes."""
    cleaned = text.strip()
    for _ in range(2):
        stripped = _PREAMBLE.sub("", cleaned, count=1).strip()
        if not stripped:
            break
        cleaned = stripped
    cleaned = _POSTAMBLE.sub("", cleaned).strip()
    for left, right in _QUOTES:
        if len(cleaned) > len(left) + len(right) and cleaned.startswith(left) and cleaned.endswith(right):
            inner = cleaned[len(left):-len(right)]
            if left not in inner and right not in inner:  # only a wrapper, not quotes inside the text
                cleaned = inner.strip()
            break
    return cleaned


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.match(text))


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def length_ratio(candidate: str, original: str) -> float:
    """len(candidate) / len(original) in characters (1.0 for two empty texts)."""
    if not original:
        return 1.0 if not candidate else float("inf")
    return len(candidate) / len(original)


def rejection_reason(candidate: str, original: str, *, min_ratio: float, max_ratio: float) -> str | None:
    """Why a rewrite is unusable (empty, identical, refusal, length), or None."""
    if not candidate.strip():
        return "empty"
    if normalise(candidate) == normalise(original):
        return "identical to the original"
    if is_refusal(candidate) and not is_refusal(original):
        return "refusal"
    ratio = length_ratio(candidate, original)
    if ratio < min_ratio or ratio > max_ratio:
        return f"length ratio {ratio:.2f} outside [{min_ratio:g}, {max_ratio:g}]"
    return None


# -- similarity ------------------------------------------------------------------------------------------
_LOADING = threading.Lock()
_EMBEDDING = threading.Lock()


class SentenceEmbedder:
    """Embeds texts with a BERT-like model folder (default: the embedded all-MiniLM-L6-v2); loads on first use."""

    def __init__(self, model_dir: str | Path | None = None, *, batch_size: int = 8, max_length: int = 256) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.max_length = max_length
        self._model = None
        self._tokenizer = None

    def _load(self) -> None:
        if self._model is not None:
            return
        with _LOADING:  # chunks on several threads: load once (and import transformers once)
            if self._model is None:
                self._load_now()

    def _load_now(self) -> None:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = self.model_dir
        if path is None:
            from judgekit.embedded import minilm_dir

            path = minilm_dir()
        self._tokenizer = AutoTokenizer.from_pretrained(str(path))
        self._model = AutoModel.from_pretrained(str(path)).eval()

    def embed(self, texts: Sequence[str]):
        """A (len(texts), dim) float tensor of unit vectors.

        Each text is padded to the next multiple of 32 tokens and batched only with texts padded to the
        same width, in batches of ``batch_size`` rows (filled up with empty texts), so the model sees the same
        shapes whatever else is embedded: a vector depends on its text alone (a chunked or streamed run gets
        the bytes a whole-dataset run gets)."""
        import torch

        self._load()
        if not texts:
            return torch.zeros(0, 384)
        with _EMBEDDING:  # threads share one model and tokenizer (a fast tokenizer is not re-entrant)
            return self._embed(texts)

    def _embed(self, texts: Sequence[str]):
        import torch

        lengths = [len(ids) for ids in self._tokenizer(list(texts), truncation=True, max_length=self.max_length,
                                                        verbose=False)["input_ids"]]
        widths = [min(self.max_length, -(-n // 32) * 32) for n in lengths]
        out: list[Any] = [None] * len(texts)
        for width in sorted(set(widths)):
            members = [i for i, w in enumerate(widths) if w == width]
            for start in range(0, len(members), self.batch_size):
                batch = members[start:start + self.batch_size]
                filled = [texts[i] for i in batch] + [""] * (self.batch_size - len(batch))
                encoded = self._tokenizer(filled, padding="max_length", truncation=True, max_length=width,
                                          return_tensors="pt")
                with torch.inference_mode():
                    hidden = self._model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                for index, vector in zip(batch, torch.nn.functional.normalize(pooled, dim=-1)[:len(batch)], strict=True):
                    out[index] = vector
        return torch.stack(out)

    def similarities(self, left: Sequence[str], right: Sequence[str]) -> list[float]:
        """Cosine similarity of each pair (left[i], right[i])."""
        if len(left) != len(right):
            raise ValueError("similarities needs two lists of the same length")
        if not left:
            return []
        vectors = self.embed([*left, *right])
        a, b = vectors[: len(left)], vectors[len(left):]
        return [round(float(x), 6) for x in (a * b).sum(-1).tolist()]


@lru_cache(maxsize=4)
def shared_embedder(model_dir: str | None = None) -> SentenceEmbedder:
    """One embedder per model folder per process."""
    return SentenceEmbedder(model_dir)
