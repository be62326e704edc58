"""One small typed registry per kind, all filled the same way: ``@REGISTRY.register("name")``.

The decorator records the name, the object, its one-line description (its docstring's first line unless
given) and where its arguments are declared, so ``judgekit ls`` can list every kind alike and specs can
round-trip to ``{name, args}``. Kinds: formats, transforms, backends, judge kinds, parsers, metrics,
filters (each registry lives in its stage's module).

Built-ins and third-party plugins register the same way: each module listed under the ``judgekit``
entry-point group is imported the first time any registry is read. A built-in module that fails to
import is a broken install and raises at once; a third-party plugin that fails is reported by its
package name (``judgekit ls`` and unknown-name errors say so) and the rest keeps working.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Generic, TypeVar

from judgekit.errors import JudgekitError, RegistryError

T = TypeVar("T")

ENTRY_POINT_GROUP = "judgekit"
DISTRIBUTION = "judgekit"
# judgekit's own entry points: name -> module. Imported from here only when they are not installed (running
# from a source tree on PYTHONPATH).
BUILTIN_MODULES = {"adapters": "judgekit.data.adapters", "transforms": "judgekit.transforms.builtin",
                   "backends": "judgekit.backends.builtin", "judges": "judgekit.judges.builtin",
                   "metrics": "judgekit.eval.builtin", "filters": "judgekit.synth.filters"}

_plugins_loaded = False  # the third-party plugins (all of them, once)
_builtins_loaded: set[str] = set()
_plugin_errors: dict[str, str] = {}
_current_plugin: str | None = None


class PluginError(JudgekitError):
    """A built-in module failed to import: the installation is broken."""

    exit_code = 1


def load_plugins(builtin: str | None = None) -> dict[str, str]:
    """Import judgekit's own module of one kind (``builtin``: an entry name such as "transforms"; None: all)
    and every third-party module of the ``judgekit`` entry-point group, each once.

    A registry loads only its own kind's built-ins (a transform run does not import the metrics, judges and
    their numpy), but every third-party plugin, which may register any kind.

    Returns:
        Third-party plugins that failed to import: "package (entry = module)" -> error.

    Raises:
        PluginError: one of judgekit's own modules failed to import.
    """
    global _plugins_loaded, _current_plugin
    if _plugins_loaded and (builtin in _builtins_loaded or (builtin is None and _builtins_loaded >= set(BUILTIN_MODULES))):
        return _plugin_errors
    entries = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (_dist(e) != DISTRIBUTION, e.name))
    own = [e for e in entries if _dist(e) == DISTRIBUTION]
    wanted = {builtin} if builtin is not None else set(BUILTIN_MODULES) | {e.name for e in own}
    for name in sorted(wanted - _builtins_loaded):
        _builtins_loaded.add(name)
        matching = [e for e in own if e.name == name]
        try:
            if matching:
                for entry in matching:
                    entry.load()
            elif not own and name in BUILTIN_MODULES:
                importlib.import_module(BUILTIN_MODULES[name])
        except Exception as exc:
            module = matching[0].value if matching else BUILTIN_MODULES.get(name)
            raise PluginError(f"judgekit's own module {module} failed to import "
                              f"({type(exc).__name__}: {exc}): the installation is broken; reinstall judgekit") from exc
    if not _plugins_loaded:
        _plugins_loaded = True
        for entry in entries:
            dist = _dist(entry)
            if dist == DISTRIBUTION:
                continue
            _current_plugin = dist
            try:
                entry.load()
            except Exception as exc:
                _plugin_errors[f"{dist} ({entry.name} = {entry.value})"] = f"{type(exc).__name__}: {exc}"
            finally:
                _current_plugin = None
    return _plugin_errors


def _dist(entry: metadata.EntryPoint) -> str:
    dist = getattr(entry, "dist", None)
    return (dist.name if dist is not None else "") or ""


@dataclass(frozen=True)
class Entry(Generic[T]):
    """What a registry knows about one name."""

    name: str
    obj: T
    description: str
    plugin: str | None = None  # the third-party package that registered it (None: built in)
    info: dict[str, Any] = dataclasses.field(default_factory=dict)

    def arguments(self) -> dict[str, Any]:
        """Argument name -> default (``...`` when required), from the object's declaration."""
        return arguments_of(self.obj)


def arguments_of(obj: Any) -> dict[str, Any]:
    """Arguments of a registered object: an ``Options`` pydantic model, dataclass fields, or keyword
    parameters of a function."""
    options = getattr(obj, "Options", None)
    if options is not None and hasattr(options, "model_fields"):
        return {name: (... if f.is_required() else f.get_default(call_default_factory=True))
                for name, f in options.model_fields.items()}
    if dataclasses.is_dataclass(obj):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[f.name] = f.default_factory()
            else:
                out[f.name] = ...
        return out
    if callable(obj):
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):
            return {}
        return {p.name: (... if p.default is inspect.Parameter.empty else p.default)
                for p in signature.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    return {}


def first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0].strip() if lines else ""


class Registry(Generic[T]):
    """Names -> objects of one kind.

    Args:
        kind: what the names are, for messages ("transform", "backend", ...).
        builtin: the entry-point name of judgekit's own module that fills it ("transforms", ...); None: all.
        prepare: called as ``prepare(name, obj)`` at registration; returns the object to store (e.g. the
            transform registry turns a class into a frozen dataclass and sets its ``name``).
    """

    def __init__(self, kind: str, *, builtin: str | None = None,
                 prepare: Callable[[str, Any], Any] | None = None) -> None:
        self.kind = kind
        self.builtin = builtin
        self._prepare = prepare
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, *, description: str | None = None, **info: Any) -> Callable[[Any], Any]:
        """Decorator: ``@TRANSFORMS.register("rot13")``. ``info`` is kept on the entry (e.g. a priority)."""

        def decorate(obj: Any) -> Any:
            return self.add(name, obj, description=description, **info)

        return decorate

    def add(self, name: str, obj: Any, *, description: str | None = None, **info: Any) -> Any:
        if self._prepare is not None:
            obj = self._prepare(name, obj)
        existing = self._entries.get(name)
        if existing is not None and existing.obj is not obj:
            raise RegistryError(f"{self.kind} '{name}' is registered twice ({existing.obj!r} and {obj!r})")
        text = description if description is not None else first_line(getattr(obj, "__doc__", None))
        self._entries[name] = Entry(name, obj, text, _current_plugin, dict(info))
        return obj

    def get(self, name: str) -> T:
        return self.entry(name).obj

    def entry(self, name: str) -> Entry[T]:
        load_plugins(self.builtin)
        try:
            return self._entries[name]
        except KeyError:
            raise RegistryError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        names = self.names()
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        broken = "; ".join(f"plugin {p} failed to load: {e}" for p, e in load_plugins(self.builtin).items())
        return (f"unknown {self.kind} '{name}'.{hint} Known: {', '.join(names) or '(none)'}"
                + (f" ({broken})" if broken else ""))

    def __contains__(self, name: object) -> bool:
        load_plugins(self.builtin)
        return name in self._entries

    def names(self) -> list[str]:
        load_plugins(self.builtin)
        return sorted(self._entries)

    def entries(self) -> list[Entry[T]]:
        load_plugins(self.builtin)
        return [self._entries[name] for name in sorted(self._entries)]

    def items(self) -> Iterator[tuple[str, T]]:
        for entry in self.entries():
            yield entry.name, entry.obj
