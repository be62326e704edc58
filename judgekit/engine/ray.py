"""The Ray executor: the same pipeline on Ray Data (``pip install 'judgekit[ray]'``).

    from_items(chunk specs) -> map_batches(read + stateless stages) -> map_batches(actor stage) ...
    -> map_batches(stateless stages + pack) -> iter_batches on the driver -> merge each chunk's parts
    -> (chunk, packed) in chunk order

Stateless stages run as Ray tasks, fused with the read and the pack next to them (rows stay in memory
between them); stages with a setup (a model, a pool) run in an actor pool (``compute=ActorPoolStrategy(
size=n)``) so the setup happens once per actor. Rows travel into and out of actors as one binary column of
pickles (only rows judgekit's own workers made are unpickled). ``address`` attaches to a running cluster (``auto``, or the
head's ``host:port``); without it a local Ray instance starts and stops with the executor.

Workers read the source themselves: a JSONL path must be readable at the same path on every node (shared
storage), as for Ray's own ``read_*`` functions; other sources travel from the driver inside the chunk
specs. Outputs are written by the driver only.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from judgekit.engine.pipeline import ChunkSpec, Pipeline
from judgekit.engine.stages import Stage
from judgekit.errors import SpecError

WINDOW_BYTES = 256 << 20  # chunk specs per Ray Data execution, at most (specs that carry records are big)


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise SpecError("--engine ray needs Ray Data: pip install 'judgekit[ray]' (ray[data])") from None
    return ray


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _table(chunks: list[int], positions: list[int], payloads: list[bytes]):
    import pyarrow as pa

    return pa.table({"chunk": pa.array(chunks, pa.int64()), "pos": pa.array(positions, pa.int64()),
                     "row": pa.array(payloads, pa.large_binary())})


def _columns(batch) -> tuple[list[int], list[int], list[Any]]:
    return (batch.column("chunk").to_pylist(), batch.column("pos").to_pylist(),
            [pickle.loads(b) for b in batch.column("row").to_pylist()])


# -- what runs in Ray workers ------------------------------------------------------------------------
def _read_rows(batch, source) -> tuple[list[int], list[int], list[Any]]:
    chunks, positions, rows = [], [], []
    for blob in batch.column("spec").to_pylist():
        spec: ChunkSpec = pickle.loads(blob)
        read = source.read(spec)
        if len(read) != spec.rows:
            raise RuntimeError(f"chunk {spec.index}: the source read {len(read)} rows, expected {spec.rows}")
        chunks += [spec.index] * len(read)
        positions += range(len(read))
        rows += read
    return chunks, positions, rows


def _process(stage: Stage, rows: list[Any]) -> list[Any]:
    out = stage.process(rows)
    if len(out) != len(rows):
        raise RuntimeError(f"stage {stage.label()} returned {len(out)} rows for {len(rows)}: stages map rows "
                           "one to one (mark a dropped item instead of removing it)")
    return out


def _segment(batch, *, source: Any = None, stages: tuple[Stage, ...] = (), pack: Any = None):
    """A run of stateless steps in one task, rows passed in memory between them (not pickled per stage):
    the read (when ``source``), the stages, then the pack (when ``pack``)."""
    chunks, positions, rows = _read_rows(batch, source) if source is not None else _columns(batch)
    for stage in stages:
        rows = _process(stage, rows)
    if pack is not None:
        return _pack(chunks, positions, rows, pack)
    return _table(chunks, positions, [_dumps(row) for row in rows])


class _StageActor:
    """One actor per worker slot: the stage is set up once, then applied to every batch it receives."""

    def __init__(self, stage: Stage) -> None:
        stage.setup()
        self.stage = stage

    def __call__(self, batch):
        chunks, positions, rows = _columns(batch)
        return _table(chunks, positions, [_dumps(row) for row in _process(self.stage, rows)])


def _pack(chunks: list[int], positions: list[int], rows: list[Any], pack: Any):
    """Pack each chunk's rows within this block (a chunk may span blocks: the driver merges the parts)."""
    groups: dict[int, list[tuple[int, Any]]] = {}
    for chunk, position, row in zip(chunks, positions, rows, strict=True):
        groups.setdefault(chunk, []).append((position, row))
    out_chunks, out_positions, out_parts = [], [], []
    for chunk, members in groups.items():
        members.sort(key=lambda m: m[0])
        part = pack(ChunkSpec(chunk, -1, len(members)), [row for _, row in members])
        out_chunks.append(chunk)
        out_positions.append(members[0][0])
        out_parts.append(_dumps((len(members), part)))
    return _table(out_chunks, out_positions, out_parts)


# -- the driver ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RayShared:
    """A value put once in Ray's object store; `get` in a stage's setup."""

    ref: Any

    def get(self) -> Any:
        return _ray().get(self.ref)


class RayExecutor:
    """Ray Data executor; see the module docstring.

    Args:
        address: a running cluster to attach to (``auto``, ``host:port``, ``ray://host:10001``); None starts
            a local instance with ``workers`` CPUs.
        workers: CPUs of a local instance, and actors per stage with a setup (attached to a cluster with
            workers=1: one actor per CPU of the cluster).
        in_flight: not used: Ray Data's backpressure bounds what is in flight. A source the driver streams
            (specs that carry their records) goes to Ray in windows of at most 256 MiB of specs.
    """

    name = "ray"

    def __init__(self, *, address: str | None = None, workers: int = 1, in_flight: int | None = None,
                 runtime_env: dict[str, Any] | None = None) -> None:
        _ray()  # not installed: say so before any work starts
        self.address = address
        self.workers = workers
        self.runtime_env = runtime_env
        self.window_bytes = WINDOW_BYTES
        self._started = False

    def _init(self):
        ray = _ray()
        if not ray.is_initialized():
            options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR,
                                       "configure_logging": True}
            if self.runtime_env:
                options["runtime_env"] = self.runtime_env
            if self.address:
                ray.init(address=self.address, **options)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, **options)
            self._started = True
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # no per-dataset INFO lines on the CLI
        return ray

    def _actors(self, stage: Stage | None = None) -> int:
        """Actors per stage with a setup: ``workers``, or every CPU (GPU stages: every GPU / its share) of a
        cluster attached to with --workers 1."""
        if stage is not None and stage.actors:
            return stage.actors
        if self.workers > 1 or not self.address:
            return self.workers
        resources = _ray().cluster_resources()
        if stage is not None and stage.num_gpus:
            return max(1, int(resources.get("GPU", 0) / stage.num_gpus))
        return max(1, int(resources.get("CPU", 1)))

    def share(self, value: Any) -> RayShared:
        return RayShared(self._init().put(value))

    def close(self) -> None:
        if self._started:
            _ray().shutdown()
            self._started = False

    def run(self, pipeline: Pipeline, chunks: Iterable[ChunkSpec]) -> Iterator[tuple[ChunkSpec, Any]]:
        """One Ray Data execution per window of specs: a single one for a planned source (a JSONL file)."""
        ray = self._init()
        context = ray.data.DataContext.get_current()
        saved = context.execution_options.preserve_order, context.enable_progress_bars
        context.execution_options.preserve_order = True  # chunks come back in order: one in the driver's buffer
        context.enable_progress_bars = False
        try:
            window: list[tuple[ChunkSpec, bytes]] = []
            size = 0
            for spec in chunks:
                blob = _dumps(spec)
                window.append((spec, blob))
                size += len(blob)
                if size >= self.window_bytes:
                    yield from self._run_window(pipeline, window)
                    window, size = [], 0
            if window:
                yield from self._run_window(pipeline, window)
        finally:
            context.execution_options.preserve_order, context.enable_progress_bars = saved

    def _run_window(self, pipeline: Pipeline, window: list[tuple[ChunkSpec, bytes]]) -> Iterator[tuple[ChunkSpec, Any]]:
        ray = self._init()
        specs = [spec for spec, _ in window]
        by_index = {spec.index: spec for spec in specs}
        ds = ray.data.from_items([{"spec": blob} for _, blob in window], override_num_blocks=len(window))
        # batch_size=None everywhere: one block per chunk from the read on. A row count here would make Ray
        # bundle that many *chunk specs* into one fused read task (no parallelism, nothing streamed).
        # Stateless steps run together in one task (the read, the stages up to the first with a setup, ...,
        # the pack after the last), so rows are pickled only where they cross into or out of an actor.
        segment: dict[str, Any] = {"source": pipeline.source, "stages": ()}
        for stage in pipeline.stages:
            if not stage.has_setup:
                segment["stages"] += (stage,)
                continue
            if segment.get("source") is not None or segment["stages"]:
                ds = ds.map_batches(_segment, fn_kwargs=segment, batch_size=None, batch_format="pyarrow")
            segment = {"stages": ()}
            concurrent = max(1, stage.concurrent)
            threads: dict[str, Any] = {"max_tasks_in_flight_per_actor": concurrent,
                                       "max_concurrent_calls_per_actor": concurrent,
                                       "enable_true_multi_threading": True} if concurrent > 1 else {}
            compute = ray.data.ActorPoolStrategy(size=self._actors(stage), **threads)
            ds = ds.map_batches(_StageActor, fn_constructor_args=(stage,), batch_size=None,
                                batch_format="pyarrow", compute=compute, num_gpus=stage.num_gpus or None)
        ds = ds.map_batches(_segment, fn_kwargs={**segment, "pack": pipeline.pack}, batch_size=None,
                            batch_format="pyarrow")
        parts: dict[int, list[tuple[int, int, Any]]] = {}
        done: dict[int, Any] = {}
        order = [spec.index for spec in specs]
        next_at = 0
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            chunks, positions, payloads = _columns(batch)
            for chunk, position, (count, part) in zip(chunks, positions, payloads, strict=True):
                have = parts.setdefault(chunk, [])
                have.append((position, count, part))
                if sum(c for _, c, _ in have) == by_index[chunk].rows:
                    have.sort(key=lambda p: p[0])
                    done[chunk] = _merge(pipeline, [p for _, _, p in have])
                    del parts[chunk]
            while next_at < len(order) and order[next_at] in done:
                index = order[next_at]
                yield by_index[index], done.pop(index)
                next_at += 1
        if next_at != len(order):
            missing = [i for i in order[next_at:] if i not in done]
            raise RuntimeError(f"Ray returned no rows for chunk(s) {missing[:5]}")


def _merge(pipeline: Pipeline, parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    merge = getattr(pipeline.pack, "merge", None)
    if merge is None:
        raise RuntimeError("this pipeline's pack has no merge(parts): Ray split one of its chunks across blocks")
    return merge(parts)
