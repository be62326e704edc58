"""`back-transcription` (reWordBench): each response spoken (text to speech) and transcribed back (speech to text).

The prose of a response is spoken sentence by sentence; fenced code is kept as it is (nobody reads code
aloud). Each transcript goes through the same checks as a paraphrase (`judgekit.transforms.quality`: not
empty, not identical, length ratio; then MiniLM cosine similarity >= ``min_similarity``), and an item whose
texts fail is reported with the reason per text (`GenerationFailed`). Speech comes from a speech backend named
by the arguments (`judgekit.backends.speech`): ``speech=offline`` (espeak-ng + PocketSphinx, English) or
``speech=openai`` (``base_url``, models, voice). The text-generation backend the engine passes is not used.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from judgekit.data.example import Example
from judgekit.errors import SpecError
from judgekit.transforms.base import BatchTransform, NotApplicable, transform
from judgekit.transforms.llm import GenerationFailed
from judgekit.transforms.quality import rejection_reason
from judgekit.transforms.textspans import fenced_blocks

if TYPE_CHECKING:
    from judgekit.backends.base import Backend
    from judgekit.backends.speech import SpeechBackend
    from judgekit.transforms.pool import Pool

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")


def pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` as (piece, spoken) pairs: prose paragraphs are spoken, fenced code blocks are kept."""
    out: list[tuple[str, bool]] = []
    position = 0
    for block in fenced_blocks(text):
        out.extend(_paragraphs(text[position:block.start()]))
        out.append((block.group(), False))
        position = block.end()
    out.extend(_paragraphs(text[position:]))
    return out


def _paragraphs(prose: str) -> list[tuple[str, bool]]:
    out = []
    for part in re.split(r"(\n\s*\n)", prose):
        out.append((part, bool(part.strip()) and not part.isspace()))
    return [p for p in out if p[0]]


@transform("back-transcription")
class BackTranscription(BatchTransform):
    """Speak each response (text to speech) and transcribe it back (speech to text), e.g. offline or OpenAI audio."""

    family = "naturalistic"
    targets = ("chosen", "rejected")
    preserves = "meaning"
    in_all: ClassVar[bool] = False  # needs a speech backend: never part of "all" or a family selection
    needs_text_backend: ClassVar[bool] = False  # its speech backend comes from its own arguments

    speech: str = "offline"  # offline (espeak-ng + PocketSphinx, English) | openai
    base_url: str = ""  # openai: the server (empty: api.openai.com)
    api_key_env: str = "OPENAI_API_KEY"
    tts_model: str = "tts-1"
    stt_model: str = "whisper-1"
    voice: str = ""  # empty: alloy (openai) / en-us (offline)
    language: str = "en"
    min_similarity: float = 0.7
    min_length_ratio: float = 0.5
    max_length_ratio: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= self.min_similarity <= 1:
            raise SpecError(f"back-transcription: min_similarity must be within [0, 1], got {self.min_similarity}")
        if not 0 < self.min_length_ratio <= 1 <= self.max_length_ratio:
            raise SpecError("back-transcription: need 0 < min_length_ratio <= 1 <= max_length_ratio")
        if self.speech not in ("offline", "openai"):
            raise SpecError(f"back-transcription: speech must be offline or openai, got {self.speech!r}")

    def speech_backend(self) -> SpeechBackend:
        from judgekit.backends.speech import load_speech

        if self.speech == "offline":
            return load_speech("offline", voice=self.voice or "en-us", language=self.language)
        return load_speech("openai", base_url=self.base_url, api_key_env=self.api_key_env, tts_model=self.tts_model,
                           stt_model=self.stt_model, voice=self.voice or "alloy", language=self.language)

    def transcribe(self, text: str, speech: SpeechBackend) -> str:
        """``text`` through speech and back, sentence by sentence; code blocks and blank lines kept."""
        from judgekit.backends.speech import SpeechError

        out = []
        for piece, spoken in pieces(text):
            if not spoken:
                out.append(piece)
                continue
            heard = []
            for sentence in _SENTENCE.split(piece.strip()):
                if sentence.strip():
                    heard.append(speech.transcribe(speech.synthesize(sentence)).strip())
            if not any(heard):
                raise SpeechError("nothing was recognised")
            lead, trail = piece[:len(piece) - len(piece.lstrip())], piece[len(piece.rstrip()):]
            out.append(lead + " ".join(h for h in heard if h) + trail)
        return "".join(out)

    def apply_batch(self, examples: Sequence[Example], rngs: Sequence[random.Random],
                    backend: Backend | None) -> list[Example | NotApplicable]:
        from judgekit.backends.speech import SpeechError

        speech = self.speech_backend()
        units: list[dict[str, Any]] = []
        for item, example in enumerate(examples):
            for field in self.targets:
                for index, original in enumerate(getattr(example, field)):
                    unit = {"item": item, "field": field, "index": index, "where": f"{field}[{index}]",
                            "original": original, "result": None, "reason": None, "similarity": None}
                    try:
                        unit["result"] = self.transcribe(original, speech)
                        unit["reason"] = rejection_reason(unit["result"], original, min_ratio=self.min_length_ratio,
                                                          max_ratio=self.max_length_ratio)
                    except SpeechError as exc:
                        unit["reason"] = str(exc)
                    units.append(unit)
        checked = [u for u in units if u["reason"] is None]
        if checked and self.min_similarity > 0:
            from judgekit.transforms.quality import shared_embedder

            scores = shared_embedder().similarities([u["result"] for u in checked], [u["original"] for u in checked])
            for unit, score in zip(checked, scores, strict=True):
                unit["similarity"] = float(score)
                if score < self.min_similarity:
                    unit["reason"] = f"similarity {score:.2f} < {self.min_similarity:g}"
        identity = speech.identity()
        results: list[Example | NotApplicable] = []
        for item, example in enumerate(examples):
            mine = [u for u in units if u["item"] == item]
            failed = {u["where"]: u["reason"] for u in mine if u["reason"] is not None}
            if failed:
                summary = "; ".join(f"{where}: {reason}" for where, reason in failed.items())
                results.append(GenerationFailed(f"back-transcription: {summary}", failed))
                continue
            changes = {field: tuple(u["result"] for u in mine if u["field"] == field) for field in self.targets}
            provenance = {"transform": self.name, "speech": identity,
                          "texts": {u["where"]: {"similarity": u["similarity"]} for u in mine}}
            results.append(example.replace(**changes).with_meta(speech=provenance))
        return results

    def run_batch(self, examples: Sequence[Example], rngs: Sequence[random.Random], backend: Backend | None,
                  pool: Pool | None = None) -> list[Example | NotApplicable]:
        return self.apply_batch(examples, rngs, backend)
