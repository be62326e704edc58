"""A local OpenAI-compatible audio server for tests: ``POST /v1/audio/speech`` and ``/v1/audio/transcriptions``.

Speech is a real 16 kHz mono 16-bit WAV whose samples carry the UTF-8 bytes of the input (so transcription
can recover it); transcription parses the multipart upload, checks it is a WAV, decodes it and passes the
text through ``hear`` (to play a recogniser's mistakes). Every request is logged with what really arrived.
"""

from __future__ import annotations

import io
import json
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RATE = 16_000


def encode_wav(text: str) -> bytes:
    """A WAV whose samples are the text's bytes (x 64), padded with 100 ms of silence on each side."""
    samples = [0] * 1600 + [b * 64 for b in text.encode("utf-8")] + [0] * 1600
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))
    return buffer.getvalue()


def decode_wav(audio: bytes) -> str:
    with wave.open(io.BytesIO(audio)) as reader:
        frames = reader.readframes(reader.getnframes())
    values = [int.from_bytes(frames[i:i + 2], "little", signed=True) for i in range(0, len(frames), 2)]
    return bytes(v // 64 for v in values if v).decode("utf-8")


@dataclass
class AudioLog:
    path: str
    status: int
    model: str = ""
    text: str = ""  # speech: the input; transcriptions: what the WAV carried
    audio_bytes: int = 0
    riff: bool = False
    language: str | None = None


@dataclass
class FakeAudio:
    """``with FakeAudio(hear=str.lower) as server: ... server.base_url``."""

    hear: Callable[[str], str] = field(default=lambda text: text)
    fail_speech: int = 0  # the first N speech requests answer 500
    log: list[AudioLog] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.app = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeAudio:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def record(self, entry: AudioLog) -> None:
        with self._lock:
            self.log.append(entry)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        app: FakeAudio = self.server.app  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.endswith("/audio/speech"):
            body = json.loads(raw)
            failing = sum(e.path == "speech" for e in app.log) < app.fail_speech
            app.record(AudioLog("speech", 500 if failing else 200, body.get("model", ""), body.get("input", "")))
            if failing:
                self._send(500, b'{"error": {"message": "overloaded"}}', "application/json")
                return
            self._send(200, encode_wav(body["input"]), "audio/wav")
        elif self.path.endswith("/audio/transcriptions"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + raw)
            parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
            audio = parts["file"].get_payload(decode=True)
            model = parts["model"].get_content().strip()
            language = parts["language"].get_content().strip() if "language" in parts else None
            text = decode_wav(audio)
            app.record(AudioLog("transcriptions", 200, model, text, len(audio), audio[:4] == b"RIFF", language))
            self._send(200, json.dumps({"text": app.hear(text)}).encode(), "application/json")
        else:
            self._send(404, b'{"error": {"message": "not found"}}', "application/json")
