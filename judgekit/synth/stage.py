"""What a synth run does to each chunk (in a worker thread, process or Ray actor): every transform (the
LLM ones through one `Flow`: no transform or item waits for another), the recipe's filters, and the lines
each output file gets.

Items a transform did not apply to, failed on, or a filter dropped go to the side lists ``na.<i>``,
``failed.<i>`` and ``filtered.<i>`` (``[id, reason]``) that the manifest streams back.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from judgekit.backends.base import Backend
from judgekit.data.example import Example
from judgekit.engine.commit import Packed, RowHead, example_line, pack_lines, row_head
from judgekit.engine.pipeline import ChunkSpec, Shared
from judgekit.engine.sources import SourceRow
from judgekit.engine.stages import Stage
from judgekit.synth.recipe import Recipe

NOTE_KINDS = ("na", "failed", "filtered")


class SynthItem(NamedTuple):
    head: RowHead
    outputs: tuple[str | None, ...] = ()  # the original's line, then each transform's kept item (or None)
    notes: tuple[tuple[str, str] | None, ...] = ()  # per transform: None when kept, else (kind, reason)
    usage: tuple[str, dict[str, Any]] | None = None  # the first row of a chunk: (worker, its backend's usage)


class SynthStage(Stage):
    """Transforms and filters of a recipe, applied to a chunk's items.

    Args:
        backend: an open backend to use (this process only); else the recipe's is opened in `setup`.
        pool: the whole dataset's pool (`judgekit.engine.transform_pool`) for transforms that borrow.
        budget: one request budget shared by every worker of a Ray run (`judgekit.engine.budget`).
        hook: progress of the backend's requests (``ReportingBackend``; this process only).
    """

    name = "synth"
    concurrent = 4  # chunks an actor works on at once: their requests all in flight under one budget

    def __init__(self, recipe: Recipe, *, no_cache: bool = False, backend: Backend | None = None,
                 pool: Shared | None = None, budget: Shared | None = None, hook: Any = None) -> None:
        self.recipe = recipe
        self.no_cache = no_cache
        self.given = backend
        self.shared_pool = pool
        self.budget = budget
        self.hook = hook
        self.backend: Backend | None = None
        self.opened = False
        self.worker = ""

    def __getstate__(self) -> dict[str, Any]:  # what travels to a worker: no open backend, no local hook
        return {**self.__dict__, "given": None, "hook": None, "backend": None}

    @property
    def has_setup(self) -> bool:
        return True

    def setup(self) -> None:
        from judgekit.synth.filters import build_filters
        from judgekit.synth.recipe import open_backend, recipe_transforms

        self.worker = f"{os.uname().nodename}:{os.getpid()}:{id(self)}"
        self.transforms = recipe_transforms(self.recipe)
        self.filters = build_filters(self.recipe.filters)
        self.pool = self.shared_pool.get() if self.shared_pool is not None else None
        if any(t.needs_backend for t in self.transforms):
            backend = self.given
            if backend is None:
                backend, self.opened = open_backend(self.recipe, no_cache=self.no_cache), True
                if self.budget is not None:
                    from judgekit.engine.budget import attach_budget

                    attach_budget(backend, self.budget.get())
            self.backend = backend
            if self.hook is not None:
                from judgekit.synth.progress import ReportingBackend

                self.backend = ReportingBackend(backend, self.hook)

    def close(self) -> None:
        if self.opened and self.backend is not None:
            self.backend.close()
        self.backend, self.opened = None, False

    def process(self, rows: list[SourceRow]) -> list[SynthItem]:
        from judgekit.synth.manifest import apply_filters
        from judgekit.transforms.engine import run_transforms

        heads = [row_head(row) for row in rows]
        examples: list[Example] = []
        seen: set[str] = set()
        for row in rows:  # a repeated id is left to the driver's admission (skipped, or the run fails)
            if isinstance(row.value, Example) and row.value.id not in seen:
                seen.add(row.value.id)
                examples.append(row.value)
        outcomes = run_transforms(examples, self.transforms, seed=self.recipe.seed, backend=self.backend,
                                  pool=self.pool) if examples else {}
        dropped = apply_filters(examples, outcomes, self.filters) if examples else {}
        per_transform = []
        for transform in self.transforms:
            name = transform.display_name()
            outcome = outcomes.get(name)
            state: dict[str, Any] = {}
            if outcome is not None:
                state.update((e.meta.get("source_id", e.id), example_line(e)) for e in outcome.examples)
                state.update((i, ("na", r)) for i, r in outcome.not_applicable)
                state.update((i, ("failed", r)) for i, r in outcome.failed)
                state.update((i, ("filtered", r)) for i, r in dropped.get(name, []))
            per_transform.append(state)
        items = []
        done: set[str] = set()
        for row, head in zip(rows, heads, strict=True):
            example = row.value
            if not isinstance(example, Example) or example.id in done:
                items.append(SynthItem(head))
                continue
            done.add(example.id)
            outputs: list[str | None] = [example_line(example)]
            notes: list[tuple[str, str] | None] = []
            for state in per_transform:
                value = state.get(example.id)
                outputs.append(value if isinstance(value, str) else None)
                notes.append(value if isinstance(value, tuple) else None)
            items.append(SynthItem(head, tuple(outputs), tuple(notes)))
        usage = self.usage()
        if items and usage is not None:
            items[0] = items[0]._replace(usage=(self.worker, usage))
        return items

    def usage(self) -> dict[str, Any] | None:
        return self.backend.usage.to_dict() if self.backend is not None else None


class SynthPacker:
    """Packs a chunk's `SynthItem`s (the pipeline's ``pack``) with the usage of the workers' backends."""

    def __init__(self, files: tuple[str, ...]) -> None:
        self.files = files

    def __call__(self, spec: ChunkSpec, rows: list[SynthItem]) -> Packed:
        columns: dict[str, list[tuple[int, str]]] = {name: [] for name in self.files}
        notes: dict[str, list[tuple[int, Any]]] = {}
        heads, position = [], 0
        usage: dict[str, Any] = {}
        for item in rows:
            heads.append(item.head)
            if item.usage is not None:
                usage[item.usage[0]] = item.usage[1]
            if not item.outputs:
                if not isinstance(item.head[1], str):
                    continue
                position += 1  # a repeated id read but not processed: it has a position, no lines
                continue
            for name, text in zip(self.files, item.outputs, strict=True):
                if text is not None:
                    columns[name].append((position, text))
            for column, note in enumerate(item.notes):
                if note is not None:
                    notes.setdefault(f"{note[0]}.{column}", []).append((position, [item.head[1], note[1]]))
            position += 1
        return Packed(spec.index, heads, pack_lines(columns), notes, {"usage": usage})

    merge = staticmethod(Packed.merge)
