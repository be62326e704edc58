"""The response cache: SQLite (WAL), content-addressed, one committed row per completed request.

The key is the sha256 of (backend identity, messages, output-affecting sampling params, sample index).
Unseeded sampling is never cached (`ChatRequest.cacheable`), nor are failures, so a rerun retries them.
Several processes may write at once (WAL + busy timeout); a row is committed the moment its request
completes, so ``kill -9`` loses at most the requests in flight.

Processes (and Ray workers) sharing a cache file claim a request before sending it (a ``claims`` row with
an owner and a lease that the owner renews while the request is in flight): a second process that wants
the same request waits for the first one's row instead of sending it again; if the owner dies, its lease
runs out and the request is claimed afresh. Within one process, identical requests in flight are sent once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, as_completed
from pathlib import Path
from typing import Any

from judgekit.backends.base import Backend, ChatRequest, Emit, Generation, WrappedBackend
from judgekit.errors import BackendError, BackendRefused

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    created REAL NOT NULL,
    value TEXT NOT NULL
)
"""


_CLAIMS = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires REAL NOT NULL
)
"""
LEASE_SECONDS = 30.0  # a claim not renewed for this long is taken over (its owner died)


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
            # Two processes opening a new cache at once: switching to WAL can fail "database is locked" at once,
            # without waiting for the busy timeout, so that step is retried.
            for attempt in range(40):
                try:
                    self._db.execute("PRAGMA journal_mode = WAL")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or attempt == 39:
                        raise
                    time.sleep(0.05)
            self._db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: committed rows survive a killed process
            self._db.execute(_SCHEMA)
            self._db.execute(_CLAIMS)
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

    def put_many(self, rows: Sequence[tuple[str, dict[str, Any], Generation]]) -> None:
        """`put` of several rows in one transaction."""
        now = time.time()
        values = [(key, str(identity.get("backend", "")), str(identity.get("model", "")), now,
                   json.dumps(generation.to_record(), ensure_ascii=False)) for key, identity, generation in rows]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR IGNORE INTO responses (key, backend, model, created, value) "
                                     "VALUES (?, ?, ?, ?, ?)", values)
            finally:
                self._db.execute("COMMIT")

    # -- claims of requests in flight ------------------------------------------------------------------
    def claim(self, keys: Sequence[str], owner: str, lease: float = LEASE_SECONDS) -> set[str]:
        """Claim requests for ``owner``: the keys nobody else holds a live claim on (and none cached)."""
        now = time.time()
        won: set[str] = set()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for key in keys:
                    if self._db.execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone():
                        continue
                    taken = self._db.execute(
                        "INSERT INTO claims (key, owner, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                        "SET owner = excluded.owner, expires = excluded.expires "
                        "WHERE claims.expires < ? OR claims.owner = excluded.owner", (key, owner, now + lease, now))
                    if taken.rowcount:
                        won.add(key)
            finally:
                self._db.execute("COMMIT")
        return won

    def renew(self, keys: Sequence[str], owner: str, lease: float = LEASE_SECONDS) -> None:
        self._claims_update("UPDATE claims SET expires = ? WHERE key = ? AND owner = ?",
                            [(time.time() + lease, key, owner) for key in keys])

    def release(self, keys: Sequence[str], owner: str) -> None:
        self._claims_update("DELETE FROM claims WHERE key = ? AND owner = ?", [(key, owner) for key in keys])

    def _claims_update(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(sql, rows)
            finally:
                self._db.execute("COMMIT")

    def live_claims(self, keys: Sequence[str]) -> set[str]:
        """The keys someone holds an unexpired claim on."""
        now, found = time.time(), set()
        keys = list(keys)
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key FROM claims WHERE expires >= ? AND key IN ({marks})",
                                        [now, *chunk])
                found.update(key for (key,) in rows)
        return found

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


class CachedBackend(WrappedBackend):
    """A backend behind the response cache. Hits never reach the inner backend; see the module docstring
    for claims (`judgekit.backends.cache_flow` does the bookkeeping on one thread per backend)."""

    def __init__(self, inner: Backend, cache: ResponseCache, *, lease: float = LEASE_SECONDS) -> None:
        super().__init__(inner)
        self.cache = cache
        self.lease = lease
        self._flow: Any = None

    def keys(self, requests: Sequence[ChatRequest]) -> list[str | None]:
        identity = self.identity()
        return [request_key(identity, r) if r.cacheable else None for r in requests]

    def lookup(self, requests: Sequence[ChatRequest]) -> dict[int, Generation]:
        """Cached generations by request index (no calls made; used by --dry-run)."""
        keys = self.keys(requests)
        found = self.cache.get_many(k for k in keys if k is not None)
        return {i: Generation.from_record(found[k], cached=True) for i, k in enumerate(keys) if k in found}

    def submit(self, request: ChatRequest) -> Future:
        if self._flow is None:
            from judgekit.backends.cache_flow import CacheFlow

            identity = self.identity()
            self._flow = CacheFlow(self, lambda request: request_key(identity, request))
        return self._flow.submit(request)

    def generate(
        self,
        requests: Sequence[ChatRequest],
        *,
        progress: Callable[[int], None] | None = None,
        on_result: Emit | None = None,
    ) -> list[Generation]:
        """One Generation per request, in order; ``on_result``/``progress`` are called as each completes
        (cache hits first, in any order)."""
        futures = {self.submit(request): index for index, request in enumerate(requests)}
        results: list[Generation | None] = [None] * len(requests)
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if on_result is not None:
                on_result(index, results[index])
            if progress is not None:
                progress(1)
        if self.refused:
            raise BackendRefused(self.refused)
        return [r for r in results if r is not None]

    def close(self) -> None:
        if self._flow is not None:
            self._flow.close()
            self._flow = None
        self.inner.close()
        self.cache.close()
