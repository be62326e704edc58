"""What an eval run does to each chunk: the suite's transforms (`VariantStage`), then each judge on the
originals and every variant (`JudgeStage`, one per judge).

Rows travel as `EvalRow`s: the original, each transform's variant (or why there is none), and the
judgments so far. On the local engine the stages run on threads of one process (the judges' backends and
models are shared); on Ray a scalar judge is an actor pool of its own (the model loaded once per actor,
``gpus`` GPUs each) and API judges are threaded actors with several chunks' requests in flight.
"""

from __future__ import annotations

import os
import threading
from typing import Any, NamedTuple

from judgekit.data.example import Example
from judgekit.engine.commit import Packed, RowHead, example_line, pack_lines, row_head
from judgekit.engine.pipeline import ChunkSpec, Shared
from judgekit.engine.sources import SourceRow
from judgekit.engine.stages import Stage
from judgekit.eval.suite import Suite


class EvalRow(NamedTuple):
    head: RowHead
    example: Example | None = None
    variants: tuple[Example | tuple[str, str] | None, ...] = ()  # per transform: the item, or (kind, reason)
    judgments: tuple[tuple[dict[str, Any] | None, ...], ...] = ()  # per judge: per variant (original first)
    stats: tuple[tuple[str, dict[str, Any]], ...] = ()  # (worker, a judge's counters), on a chunk's first row


class VariantStage(Stage):
    """The suite's transforms on a chunk (LLM ones through one request flow)."""

    name = "transforms"
    concurrent = 4

    def __init__(self, suite: Suite, pool: Shared | None = None, backend: Any = None) -> None:
        self.suite = suite
        self.shared_pool = pool
        self.given = backend
        self.backend: Any = None
        self.opened = False

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "given": None, "backend": None}

    @property
    def has_setup(self) -> bool:
        return True

    def setup(self) -> None:
        self.transforms = self.suite.build_transforms()
        self.pool = self.shared_pool.get() if self.shared_pool is not None else None
        if any(t.needs_backend and t.needs_text_backend for t in self.transforms):
            self.backend = self.given
            if self.backend is None:
                from judgekit.backends import load_backend

                self.backend, self.opened = load_backend(self.suite.backend or "embedded"), True

    def close(self) -> None:
        if self.opened and self.backend is not None:
            self.backend.close()
        self.backend, self.opened = None, False

    def process(self, rows: list[SourceRow]) -> list[EvalRow]:
        from judgekit.transforms.engine import run_transforms

        examples = _unique(rows)
        outcomes = run_transforms(examples, self.transforms, seed=self.suite.seed, backend=self.backend,
                                  pool=self.pool) if examples and self.transforms else {}
        per_transform = []
        for transform in self.transforms:
            outcome = outcomes.get(transform.display_name())
            found: dict[str, Any] = {}
            if outcome is not None:
                found.update((e.meta.get("source_id", e.id), e) for e in outcome.examples)
                found.update((i, ("na", r)) for i, r in outcome.not_applicable)
                found.update((i, ("failed", r)) for i, r in outcome.failed)
            per_transform.append(found)
        out, done = [], set()
        for row in rows:
            example = row.value
            if not isinstance(example, Example) or example.id in done:
                out.append(EvalRow(row_head(row)))
                continue
            done.add(example.id)
            out.append(EvalRow(row_head(row), example, tuple(found.get(example.id) for found in per_transform)))
        return out


def _unique(rows: list[SourceRow]) -> list[Example]:
    examples, seen = [], set()
    for row in rows:  # a repeated id is left to the driver's admission (skipped, or the run fails)
        if isinstance(row.value, Example) and row.value.id not in seen:
            seen.add(row.value.id)
            examples.append(row.value)
    return examples


class JudgeStage(Stage):
    """One judge on a chunk's originals and variants (`Judge.judge` on them all at once, as today).

    Args:
        ref: what `load_judge` builds the judge from (in each worker); ``judge``: the judge itself (this
            process only).
        placements: the correct answer's position per item id, balanced over the whole dataset.
        gpus: GPUs per actor on Ray (scalar judges); 0 runs on CPUs.
    """

    name = "judge"

    def __init__(self, index: int, ref: Any, *, base: Any = None, judge: Any = None, placements: Shared | None = None,
                 scalar: bool = False, gpus: float = 0, actors: int = 0, variants: tuple[str, ...] = ()) -> None:
        self.index = index
        self.variants = variants
        self.ref, self.base, self.given = ref, base, judge
        self.placements = placements
        self.scalar = scalar
        self.num_gpus = gpus if scalar else 0
        self.actors = actors if scalar else 0
        self.concurrent = 1 if scalar else 4
        self.judge: Any = None
        self.worker = ""
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "given": None, "judge": None, "_lock": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def has_setup(self) -> bool:
        return True

    def setup(self) -> None:
        self.worker = f"{os.uname().nodename}:{os.getpid()}:{id(self)}"
        self.judge = self.given
        if self.judge is None:
            from judgekit.judges import load_judge

            self.judge = load_judge(self.ref, base=self.base)
        if self.scalar:  # load the model once, before threads share it
            _ = self.judge.model
        self._placements = self.placements.get() if self.placements is not None else {}

    def _variant(self, v: int) -> str:
        return self.variants[v] if v < len(self.variants) else f"variant {v}"

    def close(self) -> None:
        if self.given is None and self.judge is not None:
            self.judge.close()

    def process(self, rows: list[EvalRow]) -> list[EvalRow]:
        slots: list[tuple[int, int]] = []  # (row, variant: 0 = the original)
        flat: list[Example] = []
        for r, row in enumerate(rows):
            if row.example is None:
                continue
            for v, item in enumerate((row.example, *row.variants)):
                if isinstance(item, Example):
                    slots.append((r, v))
                    flat.append(item)
        judged = []
        if flat and not self.scalar:  # the first item of each variant renders before this chunk's requests
            from judgekit.eval.preflight import check_templates

            firsts: dict[int, Example] = {}
            for (_, v), item in zip(slots, flat, strict=True):
                firsts.setdefault(v, item)
            check_templates([self.judge], [(self._variant(v), [item]) for v, item in sorted(firsts.items())])
        if flat:
            if self.scalar:
                with self._lock:  # one model per process: its batches go one at a time
                    judged = self.judge.judge(flat)
            else:
                judged = self.judge.judge(flat, placements=self._placements)
        found: dict[tuple[int, int], dict[str, Any]] = {slot: j.to_dict() for slot, j in zip(slots, judged, strict=True)}
        out = []
        for r, row in enumerate(rows):
            if row.example is None:
                out.append(row)
                continue
            mine = tuple(found.get((r, v)) for v in range(1 + len(row.variants)))
            out.append(row._replace(judgments=(*row.judgments, mine)))
        if out:
            out[0] = out[0]._replace(stats=(*out[0].stats, (f"{self.index}|{self.worker}", self.judge.stats())))
        return out


class EvalPacker:
    """Packs a chunk: originals and variants (for the report), notes, and one judgments file per judge and
    variant (``j<judge>.v<variant>``), lines as judgments.jsonl holds them."""

    def __init__(self, judges: list[str], variants: list[str], files: dict[str, str]) -> None:
        self.judges, self.variants, self.files = judges, variants, files

    def __call__(self, spec: ChunkSpec, rows: list[EvalRow]) -> Packed:
        import json

        columns: dict[str, list[tuple[int, str]]] = {name: [] for name in self.files.values()}
        notes: dict[str, list[tuple[int, Any]]] = {}
        heads, position, stats = [], 0, {}
        for row in rows:
            heads.append(row.head)
            stats.update(row.stats)
            if row.example is None:
                if isinstance(row.head[1], str):
                    position += 1
                continue
            items = (row.example, *row.variants)
            for v, item in enumerate(items):
                if isinstance(item, Example):
                    columns[self.files[f"items.{v}"]].append((position, example_line(item)))
                elif item is not None:
                    notes.setdefault(f"{item[0]}.{v - 1}", []).append((position, [row.example.id, item[1]]))
            for j, per_variant in enumerate(row.judgments):
                for v, judgment in enumerate(per_variant):
                    if judgment is not None:
                        record = {"judge": self.judges[j], "variant": self.variants[v], **judgment,
                                  "section": row.example.meta.get("section")}
                        line = json.dumps(record, ensure_ascii=False, default=str)
                        columns[self.files[f"j{j}.v{v}"]].append((position, line))
            position += 1
        return Packed(spec.index, heads, pack_lines(columns), notes, {"stats": stats})

    merge = staticmethod(Packed.merge)
