"""A run's folder while it is written: outputs appended in chunk order, a journal of committed chunks.

The folder is a sibling of the destination, ``.<name>.judgekit-partial``, and becomes the destination
(renamed into place) only when the run finishes. After each chunk every file is flushed and one journal
line records the chunk, the size of every file and the run's counters. A killed run (kill -9 included)
resumes from its last journal line: files are cut back to the recorded sizes, so what a chunk in flight
had half-written disappears and that chunk is redone. Flushed data survives the process, not a power cut
(no fsync per chunk: it would cost more than the chunk).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from judgekit.errors import SpecError

PLAN = "plan.json"
JOURNAL = "journal.jsonl"
STATE = ".state"


@dataclass
class Progress:
    """Where a run (re)starts: the next chunk to run and the counters committed so far."""

    next_chunk: int = 0
    state: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False
    discarded: bool = False  # an unfinished run with other settings was thrown away


def work_dir_for(out_dir: str | os.PathLike[str]) -> Path:
    out = Path(out_dir)
    return out.parent / f".{out.name}.judgekit-partial"


class RunDir:
    """Appends each committed chunk to the run's files and journals it; see the module docstring.

    Args:
        out_dir: the destination folder.
        outputs: file names (relative to the folder) whose SHA-256 the manifest records.
        state_files: working files kept under ``.state/`` (removed when the run finishes).
        key: everything that determines the output (source hash, settings); a folder left by a run with
            another key is discarded, one with the same key is resumed.
    """

    def __init__(self, out_dir: str | os.PathLike[str], *, outputs: Sequence[str], state_files: Sequence[str],
                 key: Mapping[str, Any]) -> None:
        self.out = Path(out_dir)
        self.work = work_dir_for(out_dir)
        self.state_dir = self.work / STATE
        self.outputs = list(outputs)
        self.state_files = list(state_files)
        self.key = json.loads(json.dumps(key, sort_keys=True, ensure_ascii=False))
        self._handles: dict[str, BinaryIO] = {}
        self._hashes: dict[str, Any] = {}
        self._journal: BinaryIO | None = None

    def path(self, name: str) -> Path:
        return self.work / name if name in self.outputs else self.state_dir / name

    # -- opening -------------------------------------------------------------------------------------
    def open(self) -> Progress:
        progress = Progress()
        plan = self.state_dir / PLAN
        if self.work.exists():
            try:
                recorded = json.loads(plan.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise SpecError(f"{self.work} exists but is not an unfinished judgekit run (no readable "
                                f"{STATE}/{PLAN}): move or delete it") from None
            if recorded.get("key") == self.key:
                progress = self._last_commit()
                progress.resumed = True
            else:
                shutil.rmtree(self.work)
                progress.discarded = True
        if not progress.resumed:
            self.state_dir.mkdir(parents=True)
            plan.write_text(json.dumps({"kind": "judgekit.partial-run", "key": self.key}, indent=2,
                                       ensure_ascii=False) + "\n", encoding="utf-8")
        sizes = progress.state.pop("_sizes", {}) if progress.resumed else {}
        for name in [*self.outputs, *self.state_files]:
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
                    try:
                        entry = json.loads(raw)
                    except ValueError:
                        break  # a line torn by a kill: what follows it was never committed
                    if not raw.endswith(b"\n"):
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
        shutil.rmtree(self.work)
        self._hashes.clear()
        progress = self.open()
        progress.discarded = True
        return progress

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

    def finish(self, write_last: Callable[[Path], None]) -> None:
        """Close the files, let ``write_last`` write into the folder (the manifest, reading the working
        files), drop the working files and move the folder onto the destination."""
        self.close()
        write_last(self.work)
        shutil.rmtree(self.state_dir)
        if self.out.is_dir():
            shutil.rmtree(self.out)  # an earlier run's output: the caller checked it is one
        os.replace(self.work, self.out)
