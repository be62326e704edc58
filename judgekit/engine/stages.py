"""Stages: what a pipeline does to each batch of rows, whichever executor runs it.

A stage is a plain batch function (``rows -> rows``) or a `Stage` subclass whose `Stage.setup` loads
something heavy once per worker (a model, a client, a dataset pool). Stages never read or write files and
never print. Two rules make outputs independent of chunk size, worker count and executor:

- one output row per input row, in the same order (a stage that drops an item marks it instead);
- a row's output depends only on that row (and the stage's set-up state), never on its batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

Rows = list[Any]


class Stage:
    """A batch function with optional one-time setup. Subclass it and override `process` (and `setup`).

    Where the Ray executor runs a stage with a setup: ``actors`` actors (0: one per worker or cluster CPU,
    or per ``num_gpus`` share of the cluster's GPUs), each taking ``concurrent`` batches at once (LLM stages:
    several chunks' requests in flight) and holding ``num_gpus`` GPUs.
    """

    name: str = ""
    actors: int = 0
    concurrent: int = 1
    num_gpus: float = 0

    def setup(self) -> None:
        """Load what the stage needs once per worker process or actor (called before the first batch)."""

    def process(self, rows: Rows) -> Rows:
        raise NotImplementedError

    @property
    def has_setup(self) -> bool:
        """Whether the stage loads something once (the Ray executor runs such stages in actors)."""
        return type(self).setup is not Stage.setup

    def label(self) -> str:
        return self.name or type(self).__name__


class FunctionStage(Stage):
    """A plain batch function as a stage (stateless: the Ray executor runs it as tasks)."""

    def __init__(self, fn: Callable[[Rows], Rows], name: str | None = None) -> None:
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "stage")

    def process(self, rows: Rows) -> Rows:
        return self.fn(rows)


def as_stage(obj: Stage | Callable[[Rows], Rows]) -> Stage:
    """A `Stage` as is; a callable as a `FunctionStage`."""
    if isinstance(obj, Stage):
        return obj
    if callable(obj):
        return FunctionStage(obj)
    raise TypeError(f"a stage is a Stage or a batch function, got {type(obj).__name__}")


class StageRunner:
    """Runs stages in one process: sets each up once (lazily, once even when threads share the runner),
    then applies them in order."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = tuple(stages)
        self._ready = False
        self._lock = threading.Lock()

    def __call__(self, rows: Rows) -> Rows:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    for stage in self.stages:
                        stage.setup()
                    self._ready = True
        for stage in self.stages:
            count = len(rows)
            rows = stage.process(rows)
            if len(rows) != count:
                raise RuntimeError(f"stage {stage.label()} returned {len(rows)} rows for {count}: stages map rows "
                                   "one to one (mark a dropped item instead of removing it)")
        return rows
