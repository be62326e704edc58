"""The response cache: SQLite (WAL), content-addressed, one committed row per completed request.

The key is the sha256 of (backend identity, messages, output-affecting sampling params, sample index).
Unseeded sampling is never cached (`ChatRequest.cacheable`), nor are failures, so a rerun retries them.
Several processes may write at once (WAL + busy timeout); a row is committed the moment its request
completes, so ``kill -9`` loses at most the requests in flight.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from judgekit.backends.base import Backend, ChatRequest, Emit, Generation
from judgekit.errors import BackendError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    created REAL NOT NULL,
    value TEXT NOT NULL
)
"""


def default_cache_path() -> Path:
    from judgekit.embedded import cache_root

    return cache_root() / "responses.sqlite"


def request_key(identity: dict[str, Any], request: ChatRequest) -> str:
    """Content address of one request to one backend."""
    payload = {"backend": identity, "messages": request.message_dicts(), "params": request.params()}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """A SQLite file of generations keyed by `request_key`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 60000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: committed rows survive a killed process
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise BackendError(f"cannot open the response cache {self.path}: {exc} — delete the file or pass "
                               "--no-cache") from None

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> ResponseCache:
        return cls(path or default_cache_path())

    def get_many(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, value FROM responses WHERE key IN ({marks})", chunk)
                found.update((key, json.loads(value)) for key, value in rows)
        return found

    def put(self, key: str, identity: dict[str, Any], generation: Generation) -> None:
        value = json.dumps(generation.to_record(), ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO responses (key, backend, model, created, value) VALUES (?, ?, ?, ?, ?)",
                (key, str(identity.get("backend", "")), str(identity.get("model", "")), time.time(), value),
            )

    def stats(self) -> dict[str, Any]:
        """Rows per backend and model, and the size on disk."""
        with self._lock:
            rows = self._db.execute(
                "SELECT backend, model, COUNT(*), MIN(created), MAX(created) FROM responses GROUP BY backend, model "
                "ORDER BY backend, model").fetchall()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return {
            "path": str(self.path),
            "entries": sum(r[2] for r in rows),
            "bytes": size,
            "by_model": [{"backend": b, "model": m, "entries": n, "oldest": lo, "newest": hi} for b, m, n, lo, hi in rows],
        }

    def clear(self, *, backend: str | None = None, model: str | None = None) -> int:
        """Delete entries (all, or one backend and/or model); returns how many."""
        where, args = [], []
        if backend:
            where.append("backend = ?")
            args.append(backend)
        if model:
            where.append("model = ?")
            args.append(model)
        sql = "DELETE FROM responses" + (f" WHERE {' AND '.join(where)}" if where else "")
        with self._lock:
            deleted = self._db.execute(sql, args).rowcount
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if not where:
            with self._lock:
                self._db.execute("VACUUM")
        return deleted

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedBackend(Backend):
    """A backend behind the response cache. Hits never reach the inner backend."""

    def __init__(self, inner: Backend, cache: ResponseCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name

    @property
    def usage(self):  # type: ignore[override]
        return self.inner.usage

    @property
    def refused(self) -> str | None:  # type: ignore[override]
        return self.inner.refused

    @property
    def spec(self) -> Any:
        return getattr(self.inner, "spec", None)

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def keys(self, requests: Sequence[ChatRequest]) -> list[str | None]:
        identity = self.identity()
        return [request_key(identity, r) if r.cacheable else None for r in requests]

    def lookup(self, requests: Sequence[ChatRequest]) -> dict[int, Generation]:
        """Cached generations by request index (no calls made; used by --dry-run)."""
        keys = self.keys(requests)
        found = self.cache.get_many(k for k in keys if k is not None)
        return {i: Generation.from_record(found[k], cached=True) for i, k in enumerate(keys) if k in found}

    def generate(
        self,
        requests: Sequence[ChatRequest],
        *,
        progress: Callable[[int], None] | None = None,
        on_result: Emit | None = None,
    ) -> list[Generation]:
        identity = self.identity()
        keys = self.keys(requests)
        hits = self.lookup(requests)
        results: dict[int, Generation] = dict(hits)
        self.inner.usage.requests += len(hits)
        self.inner.usage.cache_hits += len(hits)
        for index, generation in sorted(hits.items()):
            if on_result is not None:
                on_result(index, generation)
            if progress is not None:
                progress(1)
        # identical cacheable requests in one batch are generated once
        todo: dict[str, int] = {}
        misses: list[int] = []
        duplicates: dict[int, int] = {}
        for index, key in enumerate(keys):
            if index in results:
                continue
            if key is not None and key in todo:
                duplicates[index] = todo[key]
                continue
            if key is not None:
                todo[key] = index
            misses.append(index)

        def commit(position: int, generation: Generation) -> None:
            index = misses[position]
            key = keys[index]
            if key is not None and generation.ok:
                self.cache.put(key, identity, generation)
            results[index] = generation
            if on_result is not None:
                on_result(index, generation)
            if progress is not None:
                progress(1)

        if misses:
            self.inner.generate([requests[i] for i in misses], on_result=commit)
        for index, source in duplicates.items():
            generation = results[source]
            results[index] = Generation(text=generation.text, error=generation.error,
                                        finish_reason=generation.finish_reason, usage=generation.usage,
                                        cached=generation.ok, top_logprobs=generation.top_logprobs)
            self.inner.usage.requests += 1
            self.inner.usage.cache_hits += int(generation.ok)
            if on_result is not None:
                on_result(index, results[index])
            if progress is not None:
                progress(1)
        return [results[i] for i in range(len(requests))]

    def close(self) -> None:
        self.inner.close()
        self.cache.close()
