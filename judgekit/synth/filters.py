"""Recipe post-filters: keep a generated item only if each of its changed texts passes.

Filters are registered with ``@FILTERS.register(name)``; each declares its arguments (``Options``) and
compares every changed text with the original text at the same place (prompt, chosen[i], rejected[j])
using the text-quality checks of judgekit.transforms.quality. Scores go into the item's
``meta.filters``; a dropped item is counted with its reason. A plugin registers a filter the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from judgekit.data.example import Example
from judgekit.errors import SpecError
from judgekit.registry import Registry
from judgekit.transforms.quality import is_refusal, length_ratio, normalise

Changed = list[tuple[str, str, str]]  # (where, original text, new text)
Result = tuple[str | None, dict[str, Any]]  # (reason to drop or None, scores)


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Filter:
    """Base class: ``check(changed texts of each item) -> (reason or None, scores)`` per item."""

    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel) -> None:
        self.options = options

    def check(self, items: Sequence[Changed]) -> list[Result]:
        return [self.check_item(item) for item in items]

    def check_item(self, changed: Changed) -> Result:
        raise NotImplementedError


FILTERS: Registry[type[Filter]] = Registry("filter", builtin="filters")


class FilterRef(BaseModel):
    """One entry of a recipe's ``filters:`` list."""

    model_config = ConfigDict(extra="forbid")

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    transforms: list[str] | None = Field(None, description="transforms it applies to (default: the llm family)")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _resolves(self) -> FilterRef:
        if self.name not in FILTERS:
            raise ValueError(FILTERS.unknown_message(self.name))
        options = FILTERS.get(self.name).Options
        try:
            options.model_validate(self.args)
        except ValidationError as exc:
            allowed = ", ".join(options.model_fields) or "none"
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            problem = f"unknown argument '{where}'" if error["type"] == "extra_forbidden" else f"{where}: {error['msg']}"
            raise ValueError(f"filter '{self.name}': {problem} (arguments: {allowed})") from None
        return self

    def build(self) -> Filter:
        cls = FILTERS.get(self.name)
        return cls(cls.Options.model_validate(self.args))

    def covers(self, transform_name: str, display_name: str, family: str) -> bool:
        if self.transforms is None:
            return family == "llm"
        return transform_name in self.transforms or display_name in self.transforms


def changed_texts(original: Example, variant: Example) -> Changed:
    """(where, original text, new text) for every text that differs."""
    pairs = []
    if variant.prompt != original.prompt:
        pairs.append(("prompt", original.prompt_text, variant.prompt_text))
    for side in ("chosen", "rejected"):
        for i, (old, new) in enumerate(zip(getattr(original, side), getattr(variant, side), strict=False)):
            if old != new:
                pairs.append((f"{side}[{i}]", old, new))
    return pairs


class SimilarityOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: float = Field(0.7, ge=0, le=1, description="lowest cosine similarity kept")
    model: str | None = Field(None, description="embedding model folder (default: all-MiniLM-L6-v2)")


@FILTERS.register("similarity")
class Similarity(Filter):
    """every changed text has embedding cosine similarity >= min with its original (all-MiniLM-L6-v2)"""

    Options = SimilarityOptions

    def check(self, items: Sequence[Changed]) -> list[Result]:
        from judgekit.transforms.quality import shared_embedder

        flat = [(i, where, old, new) for i, item in enumerate(items) for where, old, new in item]
        scores = shared_embedder(self.options.model).similarities([f[3] for f in flat], [f[2] for f in flat])
        per_item: list[dict[str, float]] = [{} for _ in items]
        for (i, where, _, _), score in zip(flat, scores, strict=True):
            per_item[i][where] = score
        out: list[Result] = []
        for scores_of in per_item:
            low = {w: s for w, s in scores_of.items() if s < self.options.min}
            reason = None
            if low:
                reason = "similarity " + ", ".join(f"{w}={s:.2f}" for w, s in low.items()) + f" < {self.options.min}"
            out.append((reason, {"similarity": scores_of}))
        return out


class LengthRatioOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: float = Field(0.5, gt=0)
    max: float = Field(2.0, gt=0)


@FILTERS.register("length-ratio")
class LengthRatio(Filter):
    """every changed text is between min and max times as long as its original (characters)"""

    Options = LengthRatioOptions

    def check_item(self, changed: Changed) -> Result:
        ratios: dict[str, float] = {}
        for where, old, new in changed:
            ratio = round(length_ratio(new, old), 4)
            ratios[where] = ratio
            if not self.options.min <= ratio <= self.options.max:
                return (f"{where} length ratio {ratio:.2f} outside [{self.options.min}, {self.options.max}]",
                        {"length_ratio": ratios})
        return None, {"length_ratio": ratios}


@FILTERS.register("not-empty")
class NotEmpty(Filter):
    """no changed text is empty"""

    def check_item(self, changed: Changed) -> Result:
        return next(((f"{w} is empty", {}) for w, _, new in changed if not new.strip()), (None, {}))


@FILTERS.register("not-identical")
class NotIdentical(Filter):
    """no changed text equals its original up to case and spacing"""

    def check_item(self, changed: Changed) -> Result:
        return next(((f"{w} is identical to the original", {}) for w, old, new in changed
                     if normalise(new) == normalise(old)), (None, {}))


@FILTERS.register("not-refusal")
class NotRefusal(Filter):
    """no changed text is a refusal where its original was not"""

    def check_item(self, changed: Changed) -> Result:
        return next(((f"{w} is a refusal", {}) for w, old, new in changed
                     if is_refusal(new) and not is_refusal(old)), (None, {}))


def build_filters(refs: Sequence[FilterRef]) -> list[tuple[FilterRef, Filter]]:
    try:
        return [(ref, ref.build()) for ref in refs]
    except ValidationError as exc:
        raise SpecError(str(exc)) from None
