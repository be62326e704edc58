"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API, with fault injection.

Used by the backend, cache, synth and judge tests and by ``benchmarks/api_throughput.py``. Nothing is
mocked on the client side: judgekit's `openai` backend talks to this server over TCP.

Use in a test::

    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI(latency=0.0, fault_rate=0.2, seed=1) as server:
        backend = load_backend({"backend": "openai", "model": "fake", "base_url": server.base_url})
        ...
        server.log          # one LogEntry per HTTP request (key, fault, status, time)
        server.completed()  # keys of requests answered with a usable completion

or as a separate process (``python -m tests.fake_openai --port 0 --latency 0.2``), which prints
``READY <base_url>`` once it listens; ``GET <base_url>/_stats`` returns its request counts.

Replies are deterministic functions of the request: by default ``"[<8 hex of the request key>] <last user
message>"``. Pass ``reply=callable(body: dict) -> str | tuple[str, dict[str, float]]`` for your own; a
returned dict is the first token's top logprobs, sent back when the request asked for ``logprobs``
(default: the reply's first word at -0.05 and "B"/"A" alternatives below it).

Faults (``fault_rate`` of attempts, chosen by a hash of (request key, attempt number), so runs repeat
exactly and a retried request eventually gets through): ``429`` (with ``Retry-After``/``retry-after-ms``),
``500``, ``timeout`` (sleeps ``hang_seconds`` before answering), ``malformed`` (200 with a broken JSON
body), ``empty`` (200 with empty content). ``fail_status={key_substring: status}`` gives fixed errors.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("429", "500", "timeout", "malformed", "empty")
Reply = Callable[[dict[str, Any]], "str | tuple[str, dict[str, float]]"]


def request_key(body: dict[str, Any]) -> str:
    """Content key of a request body (model, messages and sampling params; not the stream flag)."""
    keep = {k: body.get(k) for k in ("model", "messages", "max_tokens", "max_completion_tokens", "temperature",
                                     "top_p", "seed", "stop", "logprobs", "top_logprobs", "n")}
    blob = json.dumps(keep, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def last_user_message(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def default_reply(body: dict[str, Any]) -> str:
    return f"[{request_key(body)[:8]}] {last_user_message(body)}"


@dataclass(frozen=True)
class LogEntry:
    key: str
    attempt: int  # 0 for the first time this key was seen
    fault: str | None
    status: int
    started: float
    finished: float
    sample: int | None  # the request's seed, handy for telling samples apart


class FakeOpenAI:
    """The server. Start with ``with FakeOpenAI(...) as server`` or `start`/`stop`."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        fault_rate: float = 0.0,
        faults: tuple[str, ...] = FAULTS,
        retry_after: float = 0.0,
        hang_seconds: float = 2.0,
        reply: Reply | None = None,
        fail_status: dict[str, int] | None = None,
        model: str = "fake-model",
        seed: int = 0,
        port: int = 0,
    ) -> None:
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {FAULTS}")
        self.latency = latency
        self.fault_rate = fault_rate
        self.faults = tuple(faults)
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.reply = reply or default_reply
        self.fail_status = dict(fail_status or {})
        self.model = model
        self.seed = seed
        self.log: list[LogEntry] = []
        self.authorization: list[str] = []  # Authorization headers seen (tests check keys are sent, not stored)
        self._attempts: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the server was handling at once
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.app = self
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inspection ------------------------------------------------------------------------------------
    def completed(self) -> list[str]:
        """Keys answered with a usable completion (status 200, no fault), in order."""
        with self._lock:
            return [e.key for e in self.log if e.status == 200 and e.fault is None]

    def requests_for(self, key: str) -> int:
        with self._lock:
            return sum(1 for e in self.log if e.key == key)

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- behaviour -------------------------------------------------------------------------------------
    def _next_attempt(self, key: str) -> int:
        with self._lock:
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
            return attempt

    def _fault_for(self, key: str, attempt: int) -> str | None:
        for fragment, _status in self.fail_status.items():
            if fragment in key:
                return "status"
        if self.fault_rate <= 0 or not self.faults:
            return None
        digest = hashlib.sha256(f"{self.seed}:{key}:{attempt}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= self.fault_rate:
            return None
        return self.faults[digest[8] % len(self.faults)]

    def _record(self, entry: LogEntry) -> None:
        with self._lock:
            self.log.append(entry)

    def completion(self, body: dict[str, Any], key: str, *, empty: bool = False) -> dict[str, Any]:
        produced = self.reply(body)
        text, top = (produced if isinstance(produced, tuple) else (produced, None))
        if empty:
            text = ""
        tokens = text.split()
        choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": text},
                                  "finish_reason": "stop"}
        if body.get("logprobs"):
            first = tokens[0] if tokens else ""
            top = top or {first: -0.05, "A": -3.0, "B": -3.5}
            k = int(body.get("top_logprobs") or len(top))
            ranked = sorted(top.items(), key=lambda kv: -kv[1])[:k]
            choice["logprobs"] = {"content": [{
                "token": first, "logprob": ranked[0][1] if ranked else 0.0, "bytes": None,
                "top_logprobs": [{"token": t, "logprob": lp, "bytes": None} for t, lp in ranked],
            }]}
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages") or [])
        return {
            "id": f"chatcmpl-{key[:16]}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model") or self.model,
            "choices": [choice],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
                      "total_tokens": prompt_tokens + len(tokens)},
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True
    app: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):  # a client that went away (killed, timed out): not our fault
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out as two writes; without TCP_NODELAY, Nagle + delayed ACK add ~40 ms to each
    # reply, which real servers (uvicorn, vllm serve) do not
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        pending, self._pending = getattr(self, "_pending", None), None
        if pending is not None:  # logged before the reply leaves: a client that has its reply finds it in the log
            key, attempt, fault, started, sample = pending
            self.server.app._record(LogEntry(key=key, attempt=attempt,
                                             fault=fault if fault != "status" else f"status-{status}", status=status,
                                             started=started, finished=time.time(), sample=sample))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        body = {"error": {"message": message, "type": "fake_error", "code": status}}
        self._send(status, json.dumps(body).encode(), headers)

    def do_GET(self) -> None:
        app = self.server.app
        if self.path.rstrip("/").endswith("/_stats"):  # for a server in another process (benchmarks)
            with app._lock:
                stats = {"requests": len(app.log), "completed": sum(1 for e in app.log if e.status == 200),
                         "max_in_flight": app.max_in_flight}
            self._send(200, json.dumps(stats).encode())
        elif self.path.rstrip("/").endswith("/models"):
            self._send(200, json.dumps({"object": "list", "data": [{"id": app.model, "object": "model"}]}).encode())
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        app = self.server.app
        started = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._error(404, f"no route {self.path}")
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._error(400, "request body is not JSON")
            return
        key = request_key(body)
        attempt = app._next_attempt(key)
        fault = app._fault_for(key, attempt)
        with app._lock:
            app.authorization.append(self.headers.get("Authorization", ""))
            app.in_flight += 1
            app.max_in_flight = max(app.max_in_flight, app.in_flight)
        self._pending = (key, attempt, fault, started, body.get("seed"))
        try:
            self._answer(app, body, key, fault)
        finally:
            with app._lock:
                app.in_flight -= 1

    def _answer(self, app: FakeOpenAI, body: dict[str, Any], key: str, fault: str | None) -> None:
        if app.latency:
            time.sleep(app.latency)
        if fault == "status":
            status = next(s for fragment, s in app.fail_status.items() if fragment in key)
            self._error(status, f"fixed failure {status}")
        elif fault == "429":
            self._error(429, "rate limited", {"Retry-After": f"{app.retry_after:g}",
                                             "retry-after-ms": str(int(app.retry_after * 1000))})
        elif fault == "500":
            self._error(500, "internal error")
        elif fault == "timeout":
            time.sleep(app.hang_seconds)
            with contextlib.suppress(OSError):  # the client gave up and closed the connection
                self._send(200, json.dumps(app.completion(body, key)).encode())
        elif fault == "malformed":
            self._send(200, b'{"id": "chatcmpl-broken", "choices": [{"index": 0, "mess')
        else:
            self._send(200, json.dumps(app.completion(body, key, empty=fault == "empty")).encode())


def rewrite_or_verdict(body: dict[str, Any]) -> str:
    """A reply that passes judgekit's checks: a verdict for a judge prompt, else a light rewrite of the text
    after "Text:" / "Instruction:" (what its paraphrase and translation templates end with)."""
    message = last_user_message(body)
    if "[Start of Response A]" in message:
        return "[[A]]" if int(request_key(body)[:2], 16) % 2 else "[[B]]"
    for marker in ("\nText:\n", "\nInstruction:\n"):
        if marker in message:
            return "So, " + message.split(marker, 1)[1]
    return default_reply(body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI chat-completions server (for tests and benchmarks)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated subset of " + ",".join(FAULTS))
    parser.add_argument("--hang-seconds", type=float, default=2.0, help="how long a 'timeout' fault stalls")
    parser.add_argument("--retry-after", type=float, default=0.0)
    parser.add_argument("--reply", choices=["echo", "rewrite"], default="echo",
                        help="echo: [key] + the last user message; rewrite: see rewrite_or_verdict")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    server = FakeOpenAI(latency=args.latency, fault_rate=args.fault_rate, retry_after=args.retry_after,
                        faults=tuple(f for f in args.faults.split(",") if f), hang_seconds=args.hang_seconds,
                        reply=rewrite_or_verdict if args.reply == "rewrite" else None, seed=args.seed, port=args.port)
    print(f"READY {server.base_url}", flush=True)
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
