"""The one content hasher: sha256 of a file, of a folder (relative names + file digests), or of text."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

_BLOCK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def sha256_json(value: Any) -> str:
    """Hash of a JSON-serialisable value in canonical form (sorted keys, no spaces)."""
    return sha256_text(json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str))


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_path(path: str | os.PathLike[str] | None) -> str | None:
    """sha256 of a file, or of a folder's files (hidden files left out: judgekit's marker, caches);
    None when the path is not a local file or folder (a hub id, "sample" before resolution)."""
    if path is None:
        return None
    path = Path(path)
    if path.is_file():
        return _file_digest(path)
    if not path.is_dir():
        return None
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    for file in files:
        digest.update(str(file.relative_to(path).as_posix()).encode("utf-8") + b"\0")
        digest.update(bytes.fromhex(_file_digest(file)))
    return digest.hexdigest()


def input_record(source: str, *, path: str | None, format: str | None = None, items: int | None = None,
                 skipped: int = 0, split: str | None = None):
    """An `InputRecord` for one data source (its sha256 when it is local)."""
    from judgekit.provenance.manifests import InputRecord

    return InputRecord(source=source, path=path, sha256=sha256_path(path), format=format, items=items,
                       skipped=skipped, split=split)
