"""`BackendSpec`: which backend and model, with the options that backend takes. `load_backend` builds one.

Every backend is a `Backend` subclass registered with ``@BACKENDS.register(name)`` and owns its options:
its ``Options`` class, a `BackendSpec` subclass with its own fields (``extra="forbid"``). A spec is what
YAML files, the CLI and Python users write: ``{backend: openai, model: gpt-4o-mini, concurrency: 32}``, or a
string (``embedded``, ``hf:PATH``, ``vllm:MODEL``, ``openai:MODEL[@BASE_URL]``, ``mock``, ``NAME:MODEL`` for a
plugin). A spec names the environment variable that holds an API key (``api_key_env``), never the key.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from judgekit.backends.base import BACKENDS, Backend
from judgekit.errors import SpecError

EMBEDDED = "embedded"


class BackendSpec(BaseModel):
    """Options every backend takes; each backend's ``Options`` adds its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: str = Field("hf", description="registered backend name (`judgekit ls backends`)")
    model: str | None = Field(None, description="what the backend runs; 'embedded' = SmolLM2-135M-Instruct")
    cache: bool = Field(True, description="read and write the response cache")
    cache_path: str | None = Field(None, description="SQLite file; default <cache root>/responses.sqlite")
    price_input_per_mtok: float | None = Field(None, ge=0, description="USD per million prompt tokens")
    price_output_per_mtok: float | None = Field(None, ge=0, description="USD per million completion tokens")

    @property
    def is_embedded(self) -> bool:
        return self.model in (None, "", EMBEDDED)

    def label(self) -> str:
        """Short human name, e.g. ``openai:gpt-4o-mini`` or ``hf:embedded``."""
        return f"{self.backend}:{EMBEDDED if self.is_embedded else self.model}"


def options_model(name: str) -> type[BackendSpec]:
    """The options class of a registered backend."""
    cls = BACKENDS.get(name)
    options = getattr(cls, "Options", None)
    if not (isinstance(options, type) and issubclass(options, BackendSpec)):
        raise SpecError(f"backend '{name}' declares no Options (a BackendSpec subclass)")
    return options


def from_string(text: str) -> dict[str, Any]:
    """``embedded`` | ``hf:PATH`` | ``vllm:MODEL`` | ``openai:MODEL[@BASE_URL]`` | ``NAME[:MODEL]`` -> fields."""
    text = text.strip()
    if text in (EMBEDDED, "hf"):
        return {"backend": "hf", "model": EMBEDDED}
    kind, sep, rest = text.partition(":")
    if kind not in BACKENDS:
        raise SpecError(f"backend '{text}': {BACKENDS.unknown_message(kind)}. Forms: embedded, hf:MODEL, "
                        "vllm:MODEL, llamacpp:GGUF, openai:MODEL[@BASE_URL], mock")
    if kind == "openai" and "@" in rest:
        model, base_url = rest.split("@", 1)
        return {"backend": kind, "model": model, "base_url": base_url}
    return {"backend": kind, **({"model": rest} if sep and rest else {})}


def parse_backend_spec(spec: BackendSpec | dict[str, Any] | str) -> BackendSpec:
    """A spec object of the named backend's own Options class, from an object, a mapping or a string."""
    if isinstance(spec, BackendSpec):
        return spec
    if isinstance(spec, str):
        spec = from_string(spec)
    if not isinstance(spec, dict):
        raise SpecError(f"backend: expected a mapping or a string like 'openai:MODEL', got {type(spec).__name__}")
    name = spec.get("backend", "hf")
    if not isinstance(name, str) or name not in BACKENDS:
        raise SpecError(f"backend.backend: {BACKENDS.unknown_message(str(name))}")
    model = options_model(name)
    try:
        return model.model_validate({**spec, "backend": name})
    except ValidationError as exc:
        raise SpecError(_validation_message(exc, model)) from None


def coerce_backend(value: Any) -> Any:
    """For pydantic ``mode="before"`` validators of fields holding a backend: strings and mappings become
    the backend's own options object; errors become a ValueError naming the field."""
    if value is None or isinstance(value, BackendSpec):
        return value
    try:
        return parse_backend_spec(value)
    except SpecError as exc:
        raise ValueError(str(exc)) from None


def _validation_message(exc: ValidationError, model: type[BackendSpec]) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "backend"
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(model.model_fields)
            parts.append(f"backend.{where}: unknown field for backend '{model.model_fields['backend'].default}' "
                         f"(allowed: {allowed})")
        else:
            parts.append(f"backend.{where}: {error['msg']}")
    return "; ".join(parts)


def load_backend(spec: BackendSpec | dict[str, Any] | str) -> Backend:
    """Build the backend a spec describes, behind the response cache unless ``cache`` is False."""
    parsed = parse_backend_spec(spec)
    backend = BACKENDS.get(parsed.backend)(parsed)
    backend.usage.price_input_per_mtok = parsed.price_input_per_mtok
    backend.usage.price_output_per_mtok = parsed.price_output_per_mtok
    if not parsed.cache:
        return backend
    from judgekit.backends.cache import CachedBackend, ResponseCache

    return CachedBackend(backend, ResponseCache.open(parsed.cache_path))
