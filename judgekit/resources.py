"""Find the declarative files judgekit ships (prompts/, synth/, judges/, eval/, train/, attacks/) by name.

Search order: each directory in ``JUDGEKIT_PATH`` (os.pathsep-separated), then the copy inside the
installed wheel (``judgekit/_resources``), then the source checkout next to the package (editable installs).
"""

from __future__ import annotations

import os
from pathlib import Path

from judgekit.errors import SpecError

KINDS = ("prompts", "synth", "judges", "eval", "train", "attacks")
_PACKAGE_DIR = Path(__file__).resolve().parent


def search_roots() -> list[Path]:
    roots = [Path(p).expanduser() for p in os.environ.get("JUDGEKIT_PATH", "").split(os.pathsep) if p]
    roots.append(_PACKAGE_DIR / "_resources")
    roots.append(_PACKAGE_DIR.parent)
    return [r for r in roots if r.is_dir()]


def builtin_dirs(kind: str) -> list[Path]:
    """Existing directories for one kind (e.g. "eval"), highest priority first."""
    if kind not in KINDS:
        raise ValueError(f"unknown resource kind {kind!r}; expected one of {KINDS}")
    return [root / kind for root in search_roots() if (root / kind).is_dir()]


def find(kind: str, name: str, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> Path:
    """Resolve ``name`` (a path, or a name like "rewordbench" or "judge/pairwise.jinja") to a file.

    Raises:
        SpecError: nothing matches; the message lists what is available.
    """
    as_path = Path(name).expanduser()
    if as_path.is_file():
        return as_path
    for directory in builtin_dirs(kind):
        for candidate in [directory / name, *(directory / f"{name}{s}" for s in suffixes)]:
            if candidate.is_file():
                return candidate
    available = ", ".join(list_names(kind, suffixes)) or "(none)"
    raise SpecError(f"no {kind} file named '{name}' (looked in JUDGEKIT_PATH, then the built-ins). Available: {available}")


def list_names(kind: str, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> list[str]:
    """Names of every file of one kind, a user's own first wins on clashes."""
    seen: dict[str, Path] = {}
    for directory in builtin_dirs(kind):
        for path in sorted(directory.rglob("*")):
            if path.is_file() and path.suffix in suffixes:
                name = str(path.relative_to(directory).with_suffix(""))
                seen.setdefault(name, path)
    return sorted(seen)


def all_files() -> list[Path]:
    """Every shipped declarative file (used by the test that validates them all)."""
    return [p for kind in KINDS for d in builtin_dirs(kind) for p in sorted(d.rglob("*")) if p.is_file()]
