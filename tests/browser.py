"""A real headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: fd 3 in,
fd 4 out, NUL-separated JSON), so tests can click, read the DOM, collect console messages and take
screenshots without a websocket client or a browser-automation package. Plus a small PNG decoder, so a test
can look at a screenshot's pixels."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium process; `open` a page, then `evaluate`, `click`, `screenshot`."""

    def __init__(self, profile: Path, *, width: int = 1400, height: int = 1000, timeout: float = 60.0) -> None:
        if CHROMIUM is None:
            raise BrowserError("chromium is not installed")
        self.timeout = timeout
        # pipe ends moved to fds >= 10, so that putting them on 3 and 4 in the child cannot clobber each other
        ends = []
        for fd in (*os.pipe(), *os.pipe()):
            ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
            os.close(fd)
        to_child_r, self._to_child, self._from_child, from_child_w = ends

        def wire() -> None:  # in the child, before exec: the protocol's fds are 3 (commands) and 4 (replies)
            os.dup2(to_child_r, 3)  # dup2 makes them inheritable; every other fd is close-on-exec (PEP 446)
            os.dup2(from_child_w, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-extensions",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "--hide-scrollbars", "about:blank"],
            close_fds=False, preexec_fn=wire, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    # -- protocol ------------------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session or self.session:
            message["sessionId"] = session or self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        reply = self._until(lambda m: m.get("id") == self._next)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _until(self, done) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if done(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise BrowserError("no answer from chromium in time")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise BrowserError("chromium closed the protocol pipe")
            self._buffer += chunk

    # -- pages ---------------------------------------------------------------------------------------
    def open(self, url: str) -> None:
        """Open ``url`` in a fresh tab (console, errors and page events recorded from the start)."""
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.events.clear()
        self.call("Page.navigate", {"url": url})
        self._until(lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == self.session)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]}: {result['exceptionDetails'].get('exception', {}).get('description')}")
        return result["result"].get("value")

    def box(self, selector: str) -> dict[str, float]:
        found = self.evaluate(f"(function(){{var e=document.querySelector({json.dumps(selector)}); if(!e) return null;"
                              "e.scrollIntoView({block:'center'}); var r=e.getBoundingClientRect();"
                              "return {x:r.x,y:r.y,width:r.width,height:r.height};})()")
        if found is None:
            raise BrowserError(f"no element {selector}")
        return found

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) at the middle of the element."""
        box = self.box(selector)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def choose(self, selector: str, value: str) -> None:
        """Pick an option of a <select> as a user does (the value changes, then a change event)."""
        self.evaluate(f"(function(){{var s=document.querySelector({json.dumps(selector)}); s.value={json.dumps(value)};"
                      "s.dispatchEvent(new Event('change', {bubbles: true}));})()")

    def element_screenshot(self, selector: str) -> tuple[dict[str, float], bytes]:
        """The element's box (CSS pixels) and a PNG of just that element."""
        box = self.box(selector)
        scroll = self.evaluate("[window.scrollX, window.scrollY]")
        clip = {"x": box["x"] + scroll[0], "y": box["y"] + scroll[1], "width": box["width"], "height": box["height"]}
        return box, self.screenshot(clip)

    def screenshot(self, clip: dict[str, float] | None = None) -> bytes:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
        return base64.b64decode(self.call("Page.captureScreenshot", params)["data"])

    def problems(self) -> list[str]:
        """Console messages, uncaught exceptions and browser log entries (CSP violations land there)."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                found.append(f"console.{params.get('type')}: {[a.get('value') for a in params.get('args', [])]}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
            elif method == "Log.entryAdded":
                entry = params.get("entry", {})
                found.append(f"log {entry.get('level')}: {entry.get('text')}")
        return found

    def close(self) -> None:
        try:
            self.session = None
            self.call("Browser.close")
        except BrowserError:
            pass
        finally:
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            os.close(self._to_child)
            os.close(self._from_child)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """(width, height, RGB pixels row by row) of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, chunks, header = 8, [], None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind, body = data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    pixels = []
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        pixels += [tuple(line[i:i + 3]) for i in range(0, stride, channels)]
        previous = line
    return width, height, pixels
