"""Where judgekit writes, and how: one output policy for every command that writes.

- Every output is built in a temporary sibling and moved into place only when complete, so a failed or
  interrupted run leaves the target as it was.
- judgekit never deletes or overwrites a file it did not write. Each output folder carries a small
  marker (``.judgekit.json``: the command and the files it wrote). A non-empty target is refused unless
  it is an earlier output of the same command holding only judgekit's files (then it is replaced), or
  ``--overwrite`` is given (then judgekit's own files are replaced one by one and every other file stays).
- The current directory, the home directory, a filesystem root, the input itself and any folder that
  holds the input are always refused.
- All of this is checked by `prepare_output` before any work starts, including whether the folder the
  output goes into is writable (by trying). OS errors become `OutputError` (exit 2) naming path and fix.
- Files and folders get the usual permissions (0666 / 0777 minus the umask).
- A long, resumable run (`OutputTarget.resumable`) builds in a fixed sibling, ``.<name>.judgekit-partial``,
  marked as an unfinished run of that command with the settings it was started with: the same command with
  the same settings resumes it, other settings replace it, and a folder there without that marker is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from judgekit.errors import OutputError

MARKER = ".judgekit.json"
PARTIAL_SUFFIX = ".judgekit-partial"
_UMASK: int | None = None


def umask() -> int:
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0)
        os.umask(_UMASK)
    return _UMASK


def _normal_mode(path: Path, *, directory: bool) -> None:
    os.chmod(path, (0o777 if directory else 0o666) & ~umask())


# -- single files ----------------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_file(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file next to ``target``; it replaces ``target`` only if the block succeeds."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise _os_error(exc, target.parent) from None
    tmp = Path(name)
    _normal_mode(tmp, directory=False)  # mkstemp makes it private (0600)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike[str], *, existing: Literal["error", "keep"] = "error") -> Iterator[Path]:
    """A temporary sibling folder that becomes ``target`` if the block succeeds (a saved dataset inside an
    output being built, or one of judgekit's caches such as a converted model; user-facing locations are
    checked first by `prepare_output`).

    Args:
        existing: what to do when ``target`` appeared meanwhile and is not empty: "error", or "keep" it
            (caches: another process built the same thing first).
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise _os_error(exc, target.parent) from None
    _normal_mode(tmp, directory=True)
    try:
        yield tmp
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        elif target.exists():
            if existing == "error":
                raise OutputError(f"{target} exists: judgekit does not replace it")
            shutil.rmtree(tmp, ignore_errors=True)  # another process finished first: keep theirs
            return
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    with atomic_file(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(target: str | os.PathLike[str], data: object) -> None:
    write_text_atomic(target, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


# -- output targets ----------------------------------------------------------------------------------------
@dataclass
class OutputTarget:
    """A checked output location. Build the output with `writing`; it is moved into place on success."""

    path: Path
    command: str
    kind: Literal["folder", "file"] = "folder"
    overwrite: bool = False
    # what is there now (filled by prepare_output)
    previous_files: list[str] = field(default_factory=list)  # judgekit's files listed in an existing marker
    foreign: list[str] = field(default_factory=list)  # anything else in the folder

    @contextlib.contextmanager
    def writing(self) -> Iterator[Path]:
        """A fresh temporary sibling (folder or file) to build the output in; committed if the block succeeds."""
        if self.kind == "file":
            with atomic_file(self.path) as tmp:
                yield tmp
            return
        parent = self.path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=parent))
        except OSError as exc:
            raise _os_error(exc, parent) from None
        _normal_mode(tmp, directory=True)
        try:
            yield tmp
            _write_marker(tmp, self.command)
            self._commit(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @property
    def partial_path(self) -> Path:
        """Where a resumable run of this output is built (see `resumable`)."""
        return self.path.parent / f".{self.path.name}{PARTIAL_SUFFIX}"

    @contextlib.contextmanager
    def resumable(self, key: Mapping[str, Any]) -> Iterator[Partial]:
        """A persistent sibling folder to build the output in, committed like `writing` when the block succeeds.

        An unfinished run of the same command with the same ``key`` (everything that determines the output)
        is resumed (``resumed``); one with another key is replaced (``discarded``). If the block fails, the
        folder stays for the next run to resume, unless ``partial.keep`` was left False (nothing worth
        keeping). A folder there without judgekit's partial-run marker is refused: it is not judgekit's.
        """
        folder = self.partial_path
        wanted = json.loads(json.dumps(dict(key), sort_keys=True, ensure_ascii=False, default=str))
        partial = Partial(folder)
        try:
            if folder.exists():
                marker = read_marker(folder) if folder.is_dir() else None
                if not marker or not marker.get("partial") or marker.get("command") != self.command:
                    raise OutputError(f"{folder} exists but is not an unfinished `judgekit {self.command}` run "
                                      "(no partial-run marker): move or delete it, or choose another --out")
                if marker.get("key") == wanted:
                    partial.resumed = partial.keep = True
                else:
                    shutil.rmtree(folder)
                    partial.discarded = True
            if not partial.resumed:
                folder.mkdir(parents=True)
                _normal_mode(folder, directory=True)
                with atomic_file(folder / MARKER) as tmp:
                    tmp.write_text(json.dumps({"command": self.command, "partial": True, "key": wanted},
                                              indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        except OSError as exc:
            raise _os_error(exc, folder) from None
        try:
            yield partial
            _write_marker(folder, self.command)
            self._commit(folder)
        except BaseException:
            if not partial.keep:
                shutil.rmtree(folder, ignore_errors=True)
            raise

    def _commit(self, tmp: Path) -> None:
        target = self.path
        try:
            if not target.exists() or (target.is_dir() and not any(target.iterdir())):
                if target.exists():
                    target.rmdir()
                os.replace(tmp, target)
                return
            if not self.foreign and not self.overwrite_needed_for_other_command():
                # an earlier output of this command and nothing else: swap it out whole
                trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
                os.replace(target, trash / "previous")
                os.replace(tmp, target)
                shutil.rmtree(trash, ignore_errors=True)
                return
            self._merge(tmp)
        except OSError as exc:
            raise _os_error(exc, target) from None

    def overwrite_needed_for_other_command(self) -> bool:
        marker = read_marker(self.path)
        return marker is not None and marker.get("command") != self.command

    def _merge(self, tmp: Path) -> None:
        """Move the new files in one by one; remove judgekit's earlier files the new output does not have."""
        target = self.path
        new_files = [str(p.relative_to(tmp)) for p in sorted(tmp.rglob("*")) if p.is_file()]
        for name in new_files:
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            if destination.is_dir():  # one of judgekit's old folders where a file goes now
                shutil.rmtree(destination)
            os.replace(tmp / name, destination)
        keep = set(new_files)
        for name in self.previous_files:
            if name not in keep and (target / name).is_file():
                (target / name).unlink()
                _prune_empty_parents(target / name, target)
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Partial:
    """An unfinished run's folder (`OutputTarget.resumable`)."""

    folder: Path
    resumed: bool = False  # the folder holds an earlier attempt with the same settings
    discarded: bool = False  # an earlier attempt with other settings was thrown away
    keep: bool = False  # keep the folder if the run fails (set it once something worth resuming is there)


def prepare_output(path: str | os.PathLike[str], *, command: str, kind: Literal["folder", "file"] = "folder",
                   overwrite: bool = False, inputs: Iterable[str | os.PathLike[str] | None] = ()) -> OutputTarget:
    """Check an output location before any work: raise `OutputError` (exit 2) with one actionable line.

    Args:
        command: the command writing it ("transform", "synth", "eval", "train", "convert"); an earlier output
            of the same command is replaced, another command's is refused without ``overwrite``.
        kind: a folder (marked as judgekit's) or a single file (an existing file needs ``overwrite``).
        inputs: local inputs of the run; the output may not be one of them or a folder holding one.
    """
    try:
        return _prepare(path, command, kind, overwrite, inputs)
    except OSError as exc:
        raise OutputError(f"cannot check the output location {exc.filename or path} ({exc.strerror or exc}): "
                          "check that its folders exist and are readable, or choose another --out") from None


def _prepare(path: str | os.PathLike[str], command: str, kind: Literal["folder", "file"], overwrite: bool,
             inputs: Iterable[str | os.PathLike[str] | None]) -> OutputTarget:
    given = str(path)
    target = Path(path).expanduser()
    resolved = target.resolve()
    flag = "--out"
    if resolved == Path.cwd().resolve():
        raise OutputError(f"{flag} {given} is the current directory: give a new folder, e.g. {flag} runs/out")
    if resolved == Path.home().resolve():
        raise OutputError(f"{flag} {given} is your home directory: give a new folder inside it")
    if resolved.parent == resolved:
        raise OutputError(f"{flag} {given} is a filesystem root: give a new folder")
    for source in inputs:
        if source is None or not os.path.exists(source):
            continue
        src = Path(source).expanduser().resolve()
        if src == resolved or resolved in src.parents:
            raise OutputError(f"{flag} {given} holds the input {source}: the output would replace it; "
                              "give another folder")
    out = OutputTarget(target, command, kind, overwrite)
    if kind == "file":
        if target.is_dir():
            raise OutputError(f"{flag} {given} is a folder: give a file name (e.g. out.jsonl)")
        if target.exists() and not overwrite:
            raise OutputError(f"{given} exists: pass --overwrite to replace it, or give a new file name")
        check_writable(target.parent)
        return out
    if target.exists() and not target.is_dir():
        raise OutputError(f"{flag} {given} is a file: give a folder")
    if target.is_dir():
        marker = read_marker(target)
        listed = set(marker.get("files", [])) if marker else set()
        present = [str(p.relative_to(target)) for p in sorted(target.rglob("*")) if p.is_file() or p.is_symlink()]
        out.previous_files = sorted(listed)
        out.foreign = [p for p in present if p != MARKER and p not in listed]
        owner = marker.get("command") if marker else None
        if present and not overwrite:
            if owner is None:
                raise OutputError(f"{flag} {given} holds files judgekit did not write ({_list(out.foreign)}): give "
                                  "a new or empty folder, or pass --overwrite to replace only judgekit's own files")
            if owner != command:
                raise OutputError(f"{flag} {given} is a `judgekit {owner}` output, not `judgekit {command}`: give "
                                  "another folder, or pass --overwrite to replace judgekit's files there")
            if out.foreign:
                raise OutputError(f"{flag} {given} is an earlier `judgekit {command}` output but also holds other "
                                  f"files ({_list(out.foreign)}): pass --overwrite to replace only judgekit's "
                                  "files and keep those, or give a new folder")
        check_writable(target)
    check_writable(target.parent)
    return out


def check_writable(folder: Path) -> None:
    """Raise `OutputError` unless a file can be created in ``folder`` (or its first existing ancestor)."""
    probe_dir = folder
    while not probe_dir.exists():
        if probe_dir.parent == probe_dir:
            break
        probe_dir = probe_dir.parent
    if not probe_dir.is_dir():
        raise OutputError(f"{probe_dir} is not a folder: the output cannot go under it")
    try:
        fd, name = tempfile.mkstemp(prefix=".judgekit-probe.", dir=probe_dir)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise OutputError(f"{probe_dir} is not writable ({exc.strerror}): choose another --out, or fix the "
                          "folder's permissions") from None


def read_marker(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_marker(folder: Path, command: str) -> None:
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MARKER)
    with atomic_file(folder / MARKER) as tmp:
        tmp.write_text(json.dumps({"command": command, "files": files}, indent=1) + "\n", encoding="utf-8")


def _prune_empty_parents(path: Path, stop: Path) -> None:
    parent = path.parent
    while parent != stop and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _list(names: Sequence[str], limit: int = 3) -> str:
    tops = list(dict.fromkeys(n.split("/", 1)[0] + ("/" if "/" in n else "") for n in names))
    shown = ", ".join(tops[:limit])
    return shown + (f" and {len(tops) - limit} more" if len(tops) > limit else "")


def _os_error(exc: OSError, path: Path) -> OutputError:
    return OutputError(f"cannot write {exc.filename or path} ({exc.strerror or exc}): check that the folder "
                       "exists, is writable and has space, or choose another --out")
