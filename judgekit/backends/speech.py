"""Speech backends for back-transcription: text -> speech (WAV bytes) -> text.

- ``openai``: any OpenAI-compatible server's ``audio.speech`` (TTS) and ``audio.transcriptions`` (STT)
  endpoints (OpenAI; vLLM and others serve Whisper-class models there), through the openai SDK.
- ``offline``: on this machine, no network and no weights to download: eSpeak NG (the Debian/Ubuntu package
  ``espeak-ng``) speaks, PocketSphinx (``pocketsphinx`` on PyPI, its US-English model inside the wheel)
  listens. English only, and a robotic voice heard by a small recogniser: expect many transcripts to fail
  the similarity check.

Both turn one text into one WAV and one WAV into one text; `SpeechBackend.identity` goes into provenance.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import wave
from dataclasses import dataclass
from typing import Any, Protocol

from judgekit.errors import SpecError

RATE = 16_000  # PocketSphinx's acoustic model is 16 kHz mono


class SpeechError(Exception):
    """One synthesis or transcription failed (the text is reported as failed, with this message)."""


class SpeechBackend(Protocol):
    def synthesize(self, text: str) -> bytes: ...

    def transcribe(self, audio: bytes) -> str: ...

    def identity(self) -> dict[str, Any]: ...


# -- offline: eSpeak NG + PocketSphinx ------------------------------------------------------------------
def pcm16(wav: bytes, rate: int = RATE) -> bytes:
    """Mono 16-bit PCM at ``rate`` from a WAV file (low-pass filtered, then linearly resampled)."""
    import numpy as np

    with wave.open(io.BytesIO(wav)) as reader:
        source_rate, channels, width = reader.getframerate(), reader.getnchannels(), reader.getsampwidth()
        frames = reader.readframes(reader.getnframes())
    if width != 2:
        raise SpeechError(f"expected 16-bit WAV, got {8 * width}-bit")
    samples = np.frombuffer(frames, dtype=np.int16).astype(np.float64)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    if source_rate != rate:
        if source_rate > rate:  # windowed-sinc low-pass below the new Nyquist frequency
            cutoff = 0.45 * rate / source_rate
            taps = np.arange(-32, 33)
            kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(len(taps))
            samples = np.convolve(samples, kernel / kernel.sum(), mode="same")
        count = int(round(len(samples) * rate / source_rate))
        samples = np.interp(np.arange(count) * source_rate / rate, np.arange(len(samples)), samples)
    return np.clip(samples, -32768, 32767).astype(np.int16).tobytes()


@functools.lru_cache(maxsize=1)
def _decoder():
    from pocketsphinx import Decoder

    return Decoder(samprate=RATE, loglevel="FATAL")


@dataclass(frozen=True)
class OfflineSpeech:
    """eSpeak NG (text to speech) and PocketSphinx with its bundled en-US model (speech to text)."""

    voice: str = "en-us"
    words_per_minute: int = 160
    language: str = "en"

    def __post_init__(self) -> None:
        if self.language != "en":
            raise SpecError(f"offline speech: PocketSphinx ships a US-English model only, not {self.language!r}; "
                            "use speech=openai with a multilingual recogniser")

    @staticmethod
    def check() -> None:
        """Raise SpecError (with the fix) when a part of the offline path is missing."""
        if shutil.which("espeak-ng") is None:
            raise SpecError("offline speech needs the espeak-ng program: apt-get install espeak-ng")
        try:
            import pocketsphinx  # noqa: F401
        except ImportError:
            raise SpecError("offline speech needs PocketSphinx: pip install pocketsphinx") from None

    def synthesize(self, text: str) -> bytes:
        try:
            done = subprocess.run(["espeak-ng", "-v", self.voice, "-s", str(self.words_per_minute), "--stdout"],
                                  input=text.encode("utf-8"), capture_output=True, check=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SpeechError(f"espeak-ng failed: {exc}") from None
        return done.stdout

    def transcribe(self, audio: bytes) -> str:
        decoder = _decoder()
        decoder.start_utt()
        decoder.process_raw(pcm16(audio), full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""

    def identity(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {"speech": "offline", "tts": f"espeak-ng:{self.voice}@{self.words_per_minute}wpm",
                "stt": f"pocketsphinx {version('pocketsphinx')} en-us"}


# -- OpenAI-compatible audio endpoints -----------------------------------------------------------------
@dataclass(frozen=True)
class OpenAISpeech:
    """``audio.speech`` + ``audio.transcriptions`` of an OpenAI-compatible server (openai SDK)."""

    base_url: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    tts_model: str = "tts-1"
    stt_model: str = "whisper-1"
    voice: str = "alloy"
    language: str = "en"
    timeout: float = 120.0
    max_retries: int = 2

    @functools.cached_property
    def client(self):
        from openai import OpenAI

        key = os.environ.get(self.api_key_env) or ("EMPTY" if self.base_url else None)
        if key is None:
            raise SpecError(f"speech=openai needs an API key in ${self.api_key_env} (or a base_url of a local server)")
        return OpenAI(base_url=self.base_url or None, api_key=key, timeout=self.timeout, max_retries=self.max_retries)

    def synthesize(self, text: str) -> bytes:
        from openai import OpenAIError

        try:
            response = self.client.audio.speech.create(model=self.tts_model, voice=self.voice, input=text,
                                                       response_format="wav")
        except OpenAIError as exc:
            raise SpeechError(f"speech endpoint: {type(exc).__name__}: {exc}") from None
        return response.read()

    def transcribe(self, audio: bytes) -> str:
        from openai import OpenAIError

        try:
            result = self.client.audio.transcriptions.create(model=self.stt_model, file=("speech.wav", audio, "audio/wav"),
                                                             language=self.language or None)
        except OpenAIError as exc:
            raise SpeechError(f"transcription endpoint: {type(exc).__name__}: {exc}") from None
        return getattr(result, "text", "") or ""

    def identity(self) -> dict[str, Any]:
        return {"speech": "openai", "base_url": self.base_url or "https://api.openai.com/v1",
                "tts": f"{self.tts_model}:{self.voice}", "stt": self.stt_model}


def load_speech(kind: str, **options: Any) -> SpeechBackend:
    """``offline`` or ``openai``, with that backend's options (unknown options are a SpecError)."""
    classes = {"offline": OfflineSpeech, "openai": OpenAISpeech}
    if kind not in classes:
        raise SpecError(f"unknown speech backend {kind!r}: use offline (espeak-ng + PocketSphinx) or openai")
    cls = classes[kind]
    fields = set(cls.__dataclass_fields__)
    unknown = set(options) - fields
    if unknown:
        raise SpecError(f"speech={kind} takes {', '.join(sorted(fields))}; got {', '.join(sorted(unknown))}")
    backend = cls(**options)
    if kind == "offline":
        OfflineSpeech.check()
    return backend
