"""Transform references: the one model (`TransformRef`) and the one function (`build_transforms`) that turn
what specs, the CLI and Python users write into Transform objects.

A reference is a registry name (``rot13``), a call with arguments (``char-swap(rate=0.2)``), a composition
(``add-quotes+punct-spaces``: a, then b), a selector (``all`` = every rule-based transform, a family name
such as ``naturalistic``, a glob such as ``jailbreak-*``), or the mapping ``{name, args}`` that provenance
records. Names and arguments are checked when a spec validates, before anything is loaded or sent.
"""

from __future__ import annotations

import ast
import dataclasses
import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from judgekit.errors import JudgekitError, RegistryError, SpecError
from judgekit.specfile import split_top
from judgekit.transforms.base import FAMILIES, TRANSFORMS, Transform
from judgekit.transforms.compose import Composed


class TransformRef(BaseModel):
    """One entry of a ``transforms:`` list: ``{name, args}``, or a string (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    args: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            if "+" in value or is_selector(value):
                return {"name": value.strip()}
            name, args = _parse_call(value)
            return {"name": name, "args": args}
        return value

    @model_validator(mode="after")
    def _resolves(self) -> TransformRef:
        try:
            build_transforms([self])
        except JudgekitError as exc:
            raise ValueError(str(exc)) from None
        return self

    def text(self) -> str:
        """The string form (``name`` or ``name(arg=value, ...)``)."""
        if not self.args:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in sorted(self.args.items()))})"


def is_selector(text: str) -> bool:
    """``all``, a family name or a glob (selects several transforms)."""
    text = text.strip()
    return text == "all" or text in FAMILIES or (any(c in text for c in "*?[") and "(" not in text)


_CALL = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\((.*)\))?\s*$", re.S)


# -- building ----------------------------------------------------------------------------------------
_BARE_WORD = re.compile(r"^[A-Za-z_][\w.\-/]*$")
_KEYWORD = re.compile(r"^\s*([A-Za-z_]\w*)\s*=(.*)$", re.S)


def _parse_call(text: str) -> tuple[str, dict[str, Any]]:
    """``name`` or ``name(key=value, ...)``: values are Python literals, or bare words taken as strings
    (``attack=answer-tag``, ``keys=attacks/master-keys``)."""
    match = _CALL.match(text)
    if match is None:
        raise SpecError(f"cannot read transform spec {text!r}: use NAME or NAME(arg=value, ...)")
    name, body = match.group(1), match.group(2)
    if not body or not body.strip():
        return name, {}
    args: dict[str, Any] = {}
    for part in split_top(body, ","):
        if not part:
            continue
        found = _KEYWORD.match(part)
        if found is None:
            raise SpecError(f"transform arguments must be keyword=value, got {part!r} in {text!r}")
        key, value = found.group(1), found.group(2).strip()
        if _BARE_WORD.match(value) and value not in ("True", "False", "None", "true", "false", "null"):
            args[key] = value
            continue
        try:
            node = ast.parse(value, mode="eval").body
        except SyntaxError as exc:
            raise SpecError(f"cannot read the value of '{key}' in {text!r}: {exc.msg}") from None
        if isinstance(node, ast.Name):  # true / false / null as YAML writes them
            args[key] = {"true": True, "false": False, "null": None}.get(node.id, node.id)
        else:
            args[key] = _literal(node, text)
    return name, args


def _literal(node: ast.AST, text: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise SpecError(f"argument values must be literals (numbers, strings, true/false), in {text!r}") from None


def _coerce(cls: type[Transform], name: str, value: Any) -> Any:
    defaults = cls.defaults()
    fields = [f.name for f in dataclasses.fields(cls)]
    if name not in fields:
        allowed = ", ".join(f"{k}={defaults[k]!r}" if k in defaults else k for k in fields) or "(none)"
        raise SpecError(f"transform '{cls.name}' has no argument '{name}'. Arguments (with defaults): {allowed}")
    if name not in defaults:  # a required argument: taken as given
        return value
    default = defaults[name]
    kind = type(default)
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        if isinstance(value, bool):
            return value
    elif kind in (int, float) and not isinstance(value, bool):
        try:
            converted = kind(value)
        except (TypeError, ValueError):
            converted = None
        if converted is not None and (kind is float or float(value) == converted):
            return converted
    elif isinstance(value, kind):
        return value
    raise SpecError(f"transform '{cls.name}': argument '{name}' must be {kind.__name__} "
                    f"(default {default!r}), got {value!r}")


def _build_one(name: str, args: dict[str, Any]) -> Transform:
    try:
        cls = TRANSFORMS.get(name)
    except RegistryError:
        families = ", ".join(FAMILIES)
        raise RegistryError(f"{TRANSFORMS.unknown_message(name)}. Families: {families}, or 'all'") from None
    values = {key: _coerce(cls, key, value) for key, value in args.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"transform '{name}': {exc}") from None


def build_transform(spec: str | Mapping[str, Any]) -> Transform:
    """A transform from ``"rot13"``, ``"char-swap(rate=0.2)"``, ``"add-quotes+punct-spaces"`` (a then b),
    or ``{"name": ..., "args": {...}}`` (what provenance records; compositions: ``args.steps``)."""
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"name", "args"}
        if unknown or "name" not in spec:
            raise SpecError(f"a transform spec has 'name' and optional 'args', got keys {sorted(spec)}")
        name, args = str(spec["name"]), dict(spec.get("args") or {})
        if "+" in name:
            steps = args.pop("steps", None)
            if args:
                raise SpecError(f"composition '{name}' takes no arguments; give each step its own, e.g. 'a(x=1)+b'")
            if steps is not None:
                return Composed(tuple(build_transform(step) for step in steps))
            return build_transform(name)
        return _build_one(name, args)
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError(f"a transform spec is a name or {{name, args}}, got {spec!r}")
    parts = split_top(spec, "+")
    if len(parts) == 1:
        return _build_one(*_parse_call(parts[0]))
    if any(not p for p in parts):
        raise SpecError(f"empty step in composition {spec!r}")
    return Composed(tuple(_build_one(*_parse_call(p)) for p in parts))


def _catalog(predicate: Callable[[type[Transform]], bool]) -> list[Transform]:
    order = {family: i for i, family in enumerate(FAMILIES)}
    classes = [cls for _, cls in TRANSFORMS.items() if predicate(cls) and cls.in_all]
    classes.sort(key=lambda cls: (order.get(cls.family, len(order)), cls.name))
    return [_default_instance(cls) for cls in classes]


def _default_instance(cls: type[Transform]) -> Transform:
    try:
        return cls()
    except TypeError as exc:
        raise SpecError(f"transform '{cls.name}' has required arguments ({exc}): select it by name with "
                        f"its arguments, e.g. '{cls.name}(arg=value)'") from None


def select_transforms(selector: str | Sequence[str]) -> list[Transform]:
    """Transforms named by ``selector``: "all" (every rule-based transform; the LLM family needs a backend
    and is selected by its family name "llm"), a family name, a glob ("jailbreak-*"), names, compositions,
    comma-separated or as a list. Duplicates are dropped, order kept."""
    tokens = split_top(selector, ",") if isinstance(selector, str) else [t.strip() for t in selector]
    chosen: dict[str, Transform] = {}
    for token in tokens:
        if not token:
            continue
        if token == "all":
            found = _catalog(lambda cls: not cls.needs_backend)
        elif token in FAMILIES:
            found = _catalog(lambda cls, f=token: cls.family == f)
            if not found:
                raise SpecError(f"no transform of family '{token}' is registered")
        elif any(c in token for c in "*?[") and "(" not in token:
            found = [_default_instance(TRANSFORMS.get(n)) for n in TRANSFORMS.names() if fnmatch.fnmatchcase(n, token)]
            if not found:
                raise RegistryError(f"no transform matches '{token}'. Known: {', '.join(TRANSFORMS.names())}")
        else:
            found = [build_transform(token)]
        for transform in found:
            chosen.setdefault(transform.display_name(), transform)
    if not chosen:
        raise SpecError("no transforms selected: give names, a family or 'all'")
    return list(chosen.values())




def build_transforms(refs: Sequence[TransformRef | str | Mapping[str, Any]], *,
                     exclude: Sequence[str] = ()) -> list[Transform]:
    """Transform objects for a list of references, in order, each once (by display name), minus ``exclude``
    (names, display names or globs). Selectors expand to their transforms."""
    built: dict[str, Transform] = {}
    for ref in refs:
        if not isinstance(ref, TransformRef):
            ref = TransformRef.model_validate(ref)
        if ref.args:
            found = [build_transform({"name": ref.name, "args": ref.args})]
        else:
            found = select_transforms([ref.name])
        for transform in found:
            built.setdefault(transform.display_name(), transform)
    return [t for name, t in built.items()
            if not any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(t.name, p) for p in exclude)]
