"""The layout is the architecture: stages import only the stages below them, no cycles, only cli/ prints,
modules stay small. Checked on the source (every import statement, including function-level ones)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "judgekit"
# rank of each top-level room; a module may import rooms of its rank or lower (synth/eval/train: not each other)
RANKS = {
    "errors": 0, "registry": 0, "resources": 0, "specfile": 0, "outputs": 0, "provenance": 0, "embedded": 0,
    "data": 1, "templates": 1.5, "backends": 2, "transforms": 3, "judges": 4, "engine": 4.2, "vocabulary": 4.5,
    "synth": 5, "eval": 5, "train": 5, "cli": 6,
}
PEERS_APART = {"synth", "eval", "train"}
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _room(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, *, top_level_only: bool = False) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name for name in found if name.startswith("judgekit.")]


def _room_of_module(name: str) -> str:
    return name.split(".")[1]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_stages(path: Path):
    room = _room(path)
    if room in ("__init__", "__main__") or room not in RANKS:
        assert room in ("__init__", "__main__"), f"{path}: room '{room}' has no rank in the architecture test"
        return
    for name in _imports(path):
        other = _room_of_module(name)
        if other not in RANKS or other == room:
            continue
        assert RANKS[other] <= RANKS[room], f"{_name(path)} imports {name}: a lower stage imports a higher one"
        assert not (room in PEERS_APART and other in PEERS_APART), f"{_name(path)} imports {name}"


def test_no_import_cycles_even_through_function_level_imports():
    names = {_name(p): p for p in _modules()}

    def edges(name: str, path: Path) -> set[str]:
        found = set()
        imported = _imports(path)
        for target in imported:
            if target not in names or target == name or name.startswith(target + "."):
                continue  # a submodule initialises its own package first; that is not a cycle
            if any(t.startswith(target + ".") and t in names for t in imported):
                continue  # `from pkg import submodule` names the submodule, not the package's __init__
            found.add(target)
        return found

    graph = {name: edges(name, path) for name, path in names.items()}
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> None:
        if node in done:
            return
        assert node not in visiting, f"import cycle: {' -> '.join([*trail, node])}"
        visiting.add(node)
        for nxt in sorted(graph[node]):
            visit(nxt, [*trail, node])
        visiting.discard(node)
        done.add(node)

    for name in sorted(graph):
        visit(name, [])


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_cli_prints_and_modules_stay_small(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path} has {lines} lines; split it by concept"
    if _room(path) == "cli":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    prints = [n.lineno for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"]
    assert not prints, f"{path} prints (lines {prints}); only judgekit/cli prints"
