"""Composition: ``a+b`` applies ``a`` then ``b`` to each item, sharing the item's rng."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from judgekit.data.example import Example
from judgekit.errors import SpecError
from judgekit.transforms.base import BatchTransform, NotApplicable, Transform

if TYPE_CHECKING:
    from judgekit.backends.base import Backend
    from judgekit.transforms.pool import Pool


@dataclasses.dataclass(frozen=True)
class Composed(BatchTransform):
    """Several transforms applied in order; an item is not applicable if any step is not."""

    steps: tuple[Transform, ...] = ()

    def __post_init__(self) -> None:
        if len(self.steps) < 2:
            raise SpecError("a composition needs at least two transforms, e.g. 'add-quotes+punct-spaces'")

    # identity and metadata come from the steps
    @property
    def name(self) -> str:  # type: ignore[override]
        return "+".join(step.display_name() for step in self.steps)

    @property
    def targets(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(t for t in ("prompt", "chosen", "rejected") if any(t in s.targets for s in self.steps))

    @property
    def preserves(self) -> str:  # type: ignore[override]
        return "ranking" if any(s.preserves == "ranking" for s in self.steps) else "meaning"

    @property
    def needs_backend(self) -> bool:  # type: ignore[override]
        return any(s.needs_backend for s in self.steps)

    @property
    def needs_text_backend(self) -> bool:  # type: ignore[override]
        return any(s.needs_backend and s.needs_text_backend for s in self.steps)

    @property
    def uses_pool(self) -> bool:  # type: ignore[override]
        return any(s.uses_pool for s in self.steps)

    @property
    def family(self) -> str:  # type: ignore[override]
        return "+".join(dict.fromkeys(s.family_label() for s in self.steps))

    def family_label(self) -> str:
        return self.family

    def display_name(self) -> str:
        return self.name

    def args(self) -> dict[str, Any]:
        return {"steps": [step.to_spec() for step in self.steps]}

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.name, "args": {}}

    def applies(self, example: Example) -> str | None:
        for step in self.steps:
            reason = step.applies(example)
            if reason is not None:
                return reason
        return None

    def apply(self, example: Example, rng: random.Random) -> Example:
        return self.run(example, rng, None)

    def run(self, example: Example, rng: random.Random, pool: Pool | None = None) -> Example:
        if self.needs_backend:
            raise SpecError(f"'{self.name}' includes a transform that needs a backend: run it with a backend")
        for step in self.steps:
            example = _step(step, example, lambda s, e: s.run(e, rng, pool))
        return example

    def run_batch(self, examples: Sequence[Example], rngs: Sequence[random.Random], backend: Backend,
                  pool: Pool | None = None) -> list[Example | NotApplicable]:
        """Each step over the items still in play: backend steps batched, rule-based ones item by item."""
        results: list[Example | NotApplicable] = list(examples)
        for step in self.steps:
            live = [i for i, r in enumerate(results) if isinstance(r, Example)]
            if step.needs_backend:
                for i in live:
                    reason = step.applies(results[i])
                    if reason is not None:
                        results[i] = NotApplicable(f"{step.display_name()}: {reason}")
                live = [i for i in live if isinstance(results[i], Example)]
                outputs = step.run_batch([results[i] for i in live], [rngs[i] for i in live], backend, pool)
                if len(outputs) != len(live):
                    raise SpecError(f"transform '{step.name}' returned {len(outputs)} results for {len(live)} items")
                for i, output in zip(live, outputs, strict=True):
                    results[i] = _checked(step, results[i], output)
            else:
                for i in live:
                    try:
                        results[i] = _step(step, results[i], lambda s, e, i=i: s.run(e, rngs[i], pool))
                    except NotApplicable as exc:
                        results[i] = exc
        return results

    def apply_batch(self, examples: Sequence[Example], rngs: Sequence[random.Random],
                    backend: Backend) -> list[Example | NotApplicable]:
        return self.run_batch(examples, rngs, backend, None)


def _step(step: Transform, example: Example, call) -> Example:
    reason = step.applies(example)
    if reason is not None:
        raise NotApplicable(reason)
    try:
        return call(step, example)
    except NotApplicable as exc:
        raise NotApplicable(f"{step.display_name()}: {exc.reason}") from None


def _checked(step: Transform, before: Example, output: Example | NotApplicable) -> Example | NotApplicable:
    if isinstance(output, NotApplicable):
        return NotApplicable(f"{step.display_name()}: {output.reason}")
    if not isinstance(output, Example):
        raise SpecError(f"transform '{step.name}' returned {type(output).__name__}, expected Example or NotApplicable")
    return output
