"""A run's files while it is written: outputs appended in chunk order, and a journal of committed chunks.

The folder is the output's resumable partial folder (`judgekit.outputs.OutputTarget.resumable`). After
each chunk every file is flushed and one journal line records the chunk, the size of every file and the
run's counters. A killed run (kill -9 included) resumes from its last journal line: files are cut back to
the recorded sizes, so what a chunk in flight had half-written disappears and that chunk is redone.
Flushed data survives the process, not a power cut (no fsync per chunk: it would cost more than the chunk).
Working files live under ``.state/`` and are removed by `RunDir.finish`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

JOURNAL = "journal.jsonl"
STATE = ".state"


@dataclass
class Progress:
    """Where a run (re)starts: the next chunk to run and the counters committed so far."""

    next_chunk: int = 0
    state: dict[str, Any] = field(default_factory=dict)


class RunDir:
    """Appends each committed chunk to the run's files and journals it; see the module docstring.

    Args:
        folder: the partial folder (fresh, or an earlier attempt's with the same settings).
        outputs: file names (relative to the folder) that become the output; their SHA-256 is kept.
        state_files: working files kept under ``.state/``.
    """

    def __init__(self, folder: str | Path, *, outputs: Sequence[str], state_files: Sequence[str] = ()) -> None:
        self.work = Path(folder)
        self.state_dir = self.work / STATE
        self.outputs = list(outputs)
        self.state_files = list(state_files)
        self._handles: dict[str, BinaryIO] = {}
        self._hashes: dict[str, Any] = {}
        self._journal: BinaryIO | None = None

    def path(self, name: str) -> Path:
        return self.work / name if name in self.outputs else self.state_dir / name

    # -- opening -------------------------------------------------------------------------------------
    def open(self) -> Progress:
        """Open every file at its last committed size; the progress to resume from (nothing: a fresh run)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        progress = self._last_commit()
        sizes = progress.state.pop("_sizes", {})
        for name in [*self.outputs, *self.state_files]:
            self.path(name).parent.mkdir(parents=True, exist_ok=True)
            self._handles[name] = self._open_at(self.path(name), sizes.get(name, 0))
            if name in self.outputs:
                self._hashes[name] = self._hash_prefix(self.path(name), sizes.get(name, 0))
        self._journal = open(self.state_dir / JOURNAL, "ab")  # noqa: SIM115 (open for the whole run)
        return progress

    def _last_commit(self) -> Progress:
        journal = self.state_dir / JOURNAL
        last, good = None, 0
        if journal.exists():
            with open(journal, "rb") as handle:
                for raw in handle:
                    if not raw.endswith(b"\n"):
                        break  # a line torn by a kill: what follows it was never committed
                    try:
                        entry = json.loads(raw)
                    except ValueError:
                        break
                    last, good = entry, good + len(raw)
            with open(journal, "r+b") as handle:
                handle.truncate(good)
        if last is None:
            return Progress()
        state = dict(last["state"])
        state["_sizes"] = last["sizes"]
        return Progress(next_chunk=last["chunk"] + 1, state=state)

    @staticmethod
    def _open_at(path: Path, size: int) -> BinaryIO:
        handle = open(path, "ab")  # noqa: SIM115 (open for the whole run)
        if handle.tell() != size:
            handle.truncate(size)
            handle.seek(size)
        return handle

    @staticmethod
    def _hash_prefix(path: Path, size: int):
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            left = size
            while left:
                block = handle.read(min(left, 1 << 20))
                if not block:
                    break
                digest.update(block)
                left -= len(block)
        return digest

    def restart(self) -> Progress:
        """Throw away what was committed and start again (a resumed state the caller cannot use)."""
        self.close()
        for name in [*self.outputs, *self.state_files, JOURNAL]:
            path = self.state_dir / name if name == JOURNAL else self.path(name)
            path.unlink(missing_ok=True)
        self._hashes.clear()
        return self.open()

    # -- committing ----------------------------------------------------------------------------------
    def commit(self, chunk: int, appends: Mapping[str, bytes], state: Mapping[str, Any]) -> None:
        """Append a chunk's bytes to the run's files, then journal the chunk with the run's counters."""
        for name, data in appends.items():
            if data:
                self._handles[name].write(data)
                if name in self._hashes:
                    self._hashes[name].update(data)
        sizes = {}
        for name, handle in self._handles.items():
            handle.flush()
            sizes[name] = handle.tell()
        assert self._journal is not None
        self._journal.write(json.dumps({"chunk": chunk, "sizes": sizes, "state": state},
                                       ensure_ascii=False).encode("utf-8") + b"\n")
        self._journal.flush()

    def sha256(self, name: str) -> str:
        return self._hashes[name].hexdigest()

    def size(self, name: str) -> int:
        return self._handles[name].tell()

    # -- finishing -----------------------------------------------------------------------------------
    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        if self._journal is not None:
            self._journal.close()
        self._handles.clear()
        self._journal = None

    def finish(self) -> None:
        """Close the files and drop the working files (call it after writing the manifest from them)."""
        self.close()
        shutil.rmtree(self.state_dir)
