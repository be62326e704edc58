"""Pipelines: read a source in chunks -> stages -> pack each chunk -> commit chunks in order.

A command builds a `Pipeline` (a `ChunkSource`, its stages and a ``pack`` function), picks an executor
(`make_executor`: local or ray) and consumes ``executor.run(pipeline, chunks)``, which yields
``(chunk, packed)`` in chunk order whatever finished first. The command commits each packed chunk (writes
it, records progress); a resumed run passes only the chunks not yet committed.

Where things run: ``source.read`` and the stages run in workers (processes, or Ray tasks/actors); ``pack``
runs in the worker for the local executor and in the driver for Ray (it must be cheap: joining lines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from judgekit.engine.stages import Rows, Stage, StageRunner, as_stage


@dataclass(frozen=True)
class ChunkSpec:
    """One chunk of a source: its index, its first row and row count, and where its rows are."""

    index: int
    first_row: int
    rows: int
    locator: Any = None  # source-specific: a byte range, or the raw records themselves


class ChunkSource(Protocol):
    """Where rows come from. ``read`` runs in a worker and must be deterministic for a given spec."""

    def read(self, spec: ChunkSpec) -> Rows: ...


def _keep(spec: ChunkSpec, rows: Rows) -> Rows:
    return rows


@dataclass(frozen=True)
class Pipeline:
    """A source, the stages applied to each chunk's rows, and how a finished chunk is packed."""

    source: ChunkSource
    stages: tuple[Stage, ...] = ()
    pack: Callable[[ChunkSpec, Rows], Any] = _keep

    @classmethod
    def build(cls, source: ChunkSource, stages: Sequence[Stage | Callable[[Rows], Rows]],
              pack: Callable[[ChunkSpec, Rows], Any] = _keep) -> Pipeline:
        return cls(source, tuple(as_stage(s) for s in stages), pack)


def run_chunk(pipeline: Pipeline, runner: StageRunner, spec: ChunkSpec) -> Any:
    """Read one chunk, apply the stages, pack it (what a local worker does per chunk)."""
    rows = pipeline.source.read(spec)
    if len(rows) != spec.rows:
        raise RuntimeError(f"chunk {spec.index}: the source read {len(rows)} rows, expected {spec.rows}")
    return pipeline.pack(spec, runner(rows))


class Shared(Protocol):
    """Heavy read-only state shipped once to every worker (`Executor.share`); ``get`` it in `Stage.setup`."""

    def get(self) -> Any: ...


@dataclass(frozen=True)
class InProcess:
    """State that travels with the stage (inherited by forked workers)."""

    value: Any = field(repr=False)

    def get(self) -> Any:
        return self.value


class Executor(Protocol):
    """Runs pipelines. ``run`` yields ``(spec, packed)`` in the order of ``chunks``."""

    name: str
    workers: int

    def share(self, value: Any) -> Shared: ...

    def run(self, pipeline: Pipeline, chunks: Iterable[ChunkSpec]) -> Iterator[tuple[ChunkSpec, Any]]: ...

    def close(self) -> None: ...
