"""The Transform protocol, its registry, and the per-item random number generator.

A transform is a frozen dataclass registered by name. Its parameters are the dataclass fields (with
defaults), so ``{name, args}`` round-trips through YAML and provenance. Randomness comes only from
`item_rng(seed, name, example_id)`, so results do not depend on order, batch or worker.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from judgekit.data.domains import domain_of
from judgekit.data.example import Example, Message
from judgekit.errors import SpecError
from judgekit.registry import Registry, arguments_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from judgekit.backends.base import Backend
    from judgekit.transforms.pool import Pool

Family = Literal["controlled", "naturalistic", "code", "math", "safety", "judge-attack", "llm"]
Target = Literal["prompt", "chosen", "rejected"]
FAMILIES: tuple[str, ...] = ("controlled", "naturalistic", "code", "math", "safety", "judge-attack", "llm")


class NotApplicable(Exception):
    """Raised by `Transform.apply` when an item is out of scope or there is nothing to change.

    The engine records the item as not applicable (with this reason) and leaves it out of the
    transform's set; it is never passed through unchanged as if transformed.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def item_rng(seed: int, transform: str, example_id: str) -> random.Random:
    """The only source of randomness for one transform on one item."""
    digest = hashlib.blake2b(f"{seed}\x00{transform}\x00{example_id}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


@dataclasses.dataclass(frozen=True)
class Transform:
    """Base class. Subclasses are frozen dataclasses whose fields are their parameters.

    Class attributes declare what the transform is:
        name: registry name.
        family: controlled | naturalistic | code | math | safety | judge-attack | llm.
        targets: the fields it may change (prompt, chosen, rejected); nothing else changes.
        preserves: "meaning" (the text means the same) or "ranking" (the better response stays better).
        applies_to: domains it applies to (chat, code, math, safety); empty = all.
    """

    name: ClassVar[str] = ""
    family: ClassVar[str] = "controlled"
    targets: ClassVar[tuple[str, ...]] = ("chosen", "rejected")
    preserves: ClassVar[str] = "meaning"
    applies_to: ClassVar[tuple[str, ...]] = ()
    needs_backend: ClassVar[bool] = False
    needs_text_backend: ClassVar[bool] = True  # with needs_backend: the engine must hand it a text backend
    in_all: ClassVar[bool] = True  # selected by 'all' and its family name (False: only by its own name)
    uses_pool: ClassVar[bool] = False  # needs the other items of the dataset (ignore-above, code-append-other)

    def applies(self, example: Example) -> str | None:
        """None when the transform applies to the item's domain, else the reason it does not."""
        if self.applies_to and domain_of(example) not in self.applies_to:
            return f"not a {' or '.join(self.applies_to)} item"
        return None

    def apply(self, example: Example, rng: random.Random) -> Example:
        """Return the transformed item, or raise `NotApplicable`."""
        raise NotImplementedError

    def run(self, example: Example, rng: random.Random, pool: Pool | None = None) -> Example:
        """What the engine calls: `apply`, plus the dataset pool for transforms that use other items."""
        return self.apply(example, rng)

    # -- identity ----------------------------------------------------------------------------------
    def args(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.name, "args": self.args()}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Parameter defaults (every parameter of a registered transform has one)."""
        return {k: v for k, v in arguments_of(cls).items() if v is not ...}

    def display_name(self) -> str:
        """Registry name, plus ``(arg=value, ...)`` for the arguments that differ from the defaults."""
        defaults = self.defaults()
        changed = {k: v for k, v in self.args().items() if k not in defaults or defaults[k] != v}
        if not changed:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in sorted(changed.items()))})"

    def family_label(self) -> str:
        return self.family

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def ls_columns(cls) -> dict[str, str]:
        return {
            "family": cls.family,
            "targets": ",".join(cls.targets),
            "preserves": cls.preserves,
            "applies to": ",".join(cls.applies_to) or "all",
            "description": cls.summary(),
        }


@dataclasses.dataclass(frozen=True)
class BatchTransform(Transform):
    """A transform that needs a text-generation backend and works on many items at once (LLM family)."""

    needs_backend: ClassVar[bool] = True

    def apply_batch(
        self, examples: Sequence[Example], rngs: Sequence[random.Random], backend: Backend
    ) -> list[Example | NotApplicable]:
        """Transform many items with batched backend calls; one result (or NotApplicable) per item."""
        raise NotImplementedError

    def apply(self, example: Example, rng: random.Random) -> Example:
        raise SpecError(f"transform '{self.name}' needs a backend: run it through the engine with --backend")

    def run_batch(
        self, examples: Sequence[Example], rngs: Sequence[random.Random], backend: Backend, pool: Pool | None = None
    ) -> list[Example | NotApplicable]:
        """What the engine calls for backend-driven transforms (compositions override it)."""
        return self.apply_batch(examples, rngs, backend)


def _as_frozen_dataclass(name: str, cls: type[Transform]) -> type[Transform]:
    cls = dataclasses.dataclass(frozen=True)(cls)
    cls.name = name
    return cls


TRANSFORMS: Registry[type[Transform]] = Registry("transform", builtin="transforms", prepare=_as_frozen_dataclass)
transform = TRANSFORMS.register
"""Class decorator: ``@transform("rot13")`` makes the class a frozen dataclass and registers it."""


def map_targets(example: Example, targets: Sequence[str], edit: Callable[[str], str]) -> Example:
    """Apply ``edit`` to every text in ``targets``: every response of a side, and for ``prompt`` the last
    user message (the instruction). Returns the item with those texts replaced."""
    changes: dict[str, Any] = {}
    if "prompt" in targets:
        changes["prompt"] = edit_instruction(example, edit)
    for side in ("chosen", "rejected"):
        if side in targets:
            changes[side] = tuple(edit(text) for text in getattr(example, side))
    return example.replace(**changes)


def edit_instruction(example: Example, edit: Callable[[str], str]) -> tuple[Message, ...]:
    """The prompt with its last user message (or last message, if none is from the user) edited."""
    messages = list(example.prompt)
    index = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user"), len(messages) - 1)
    messages[index] = Message(messages[index].role, edit(messages[index].content))
    return tuple(messages)
