"""`judgekit transform` as a streaming pipeline: any size of input in flat memory, resumable, any engine.

    plan the source (one cheap pass) -> [pool pass, only for transforms that borrow from other items]
    -> chunks -> TransformStage -> pack -> commit in chunk order (policy, duplicate ids, append, journal)
    -> manifest (streamed) -> the folder moves into place

The folder written is the one `judgekit.transforms.manifest.write_run` writes (original.jsonl, one JSONL
per transform, manifest.json), byte for byte, plus an ``invalid`` section in the manifest. Outputs do not
depend on the chunk size, the number of workers or the engine.
"""

from __future__ import annotations

import json
import platform
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from judgekit.data.invalid import InvalidRow, check_on_invalid, duplicate_id
from judgekit.engine.idset import IdSet
from judgekit.engine.jsonstream import Streamed, dump
from judgekit.engine.pipeline import Executor, Pipeline, make_executor
from judgekit.engine.rundir import RunDir
from judgekit.engine.sources import DEFAULT_CHUNK_SIZE, SourcePlan, plan_source
from judgekit.engine.transform_stages import ItemPacker, PackedChunk, PoolPacker, TransformStage, pool_entries
from judgekit.errors import SpecError
from judgekit.transforms.base import Transform
from judgekit.transforms.engine import select_transforms
from judgekit.transforms.manifest import MANIFEST, ORIGINAL, check_output_folder, file_name

INVALID = "invalid.jsonl"
IDS = "ids.bin"


class Admission:
    """Applies the invalid-row policy and first-occurrence-wins duplicate ids, in row order."""

    def __init__(self, on_invalid: str, ids: IdSet | None = None) -> None:
        self.on_invalid = on_invalid
        self.ids = ids or IdSet()

    def admit(self, items: Sequence[tuple[int, int | None, str | None, InvalidRow | None]], keys: bytes,
              source: str) -> tuple[list[InvalidRow], list[bool]]:
        """Skipped rows (``skip``; ``fail`` raises the first one's error) and, per valid row, whether it is
        a repeated id (dropped)."""
        repeated = self.ids.add(keys).tolist()
        skipped: list[InvalidRow] = []
        valid = 0
        for row, line, example_id, invalid in items:
            if invalid is None:
                if repeated[valid]:
                    invalid = duplicate_id(example_id or "", source=source, row=row, line=line)
                valid += 1
            if invalid is not None:
                if self.on_invalid == "fail":
                    raise invalid.error()
                skipped.append(invalid)
        return skipped, repeated


def _keep_rows(blob: bytes, keep: Iterator[bool]) -> bytes:
    lines = blob.split(b"\n")[:-1]
    kept = [line for line, wanted in zip(lines, keep, strict=True) if wanted]
    return b"\n".join(kept) + b"\n" if kept else b""


def _note_lines(notes: Sequence[tuple[int, str, str, str]], kind: str, dropped: set[int]) -> bytes:
    return b"".join(json.dumps([i, why], ensure_ascii=False).encode("utf-8") + b"\n"
                    for row, i, k, why in notes if k == kind and row not in dropped)


class _Run:
    """The driver's side of one run: commits packed chunks into the run folder."""

    def __init__(self, plan: SourcePlan, transforms: list[Transform], files: list[str], rundir: RunDir,
                 on_invalid: str, state: dict[str, Any]) -> None:
        self.plan, self.transforms, self.files, self.rundir = plan, transforms, files, rundir
        self.state = state or {"rows": 0, "items": 0, "skipped": 0, "counts": [[0, 0, 0] for _ in transforms]}
        ids = IdSet.load(rundir.path(IDS), rundir.size(IDS))
        self.admission = Admission(on_invalid, ids)

    def commit(self, packed: PackedChunk) -> None:
        skipped, repeated = self.admission.admit(packed.items, packed.keys, self.plan.name)
        appends: dict[str, bytes] = {}
        keep = [not r for r in repeated]
        blobs = packed.blobs
        oks = [ok for ok, wanted in zip(packed.oks, keep, strict=True) if wanted]
        dropped: set[int] = set()
        if not all(keep):
            dropped = {row for (row, _, _, invalid), wanted in zip(_valid(packed.items), keep, strict=True)
                       if not wanted}
            blobs = [_keep_rows(blobs[0], iter(keep))]
            for column in range(len(self.transforms)):
                wanted = (k for ok, k in zip(packed.oks, keep, strict=True) if ok[column])
                blobs.append(_keep_rows(packed.blobs[column + 1], wanted))
        appends[ORIGINAL] = blobs[0]
        counts = self.state["counts"]
        for column, name in enumerate(self.files):
            appends[name] = blobs[column + 1]
            notes = packed.notes[column]
            appends[f"na.{column}.jsonl"] = _note_lines(notes, "na", dropped)
            appends[f"failed.{column}.jsonl"] = _note_lines(notes, "fail", dropped)
            ok = sum(1 for flags in oks if flags[column])
            counts[column][0] += ok
            counts[column][1] += sum(1 for n in notes if n[2] == "na" and n[0] not in dropped)
            counts[column][2] += sum(1 for n in notes if n[2] == "fail" and n[0] not in dropped)
        appends[INVALID] = b"".join(json.dumps(s.to_dict(), ensure_ascii=False).encode("utf-8") + b"\n"
                                    for s in skipped)
        appends[IDS] = b"".join(packed.keys[16 * v:16 * v + 16] for v, wanted in enumerate(keep) if wanted)
        self.state["rows"] += len(packed.items)
        self.state["items"] += len(oks)
        self.state["skipped"] += len(skipped)
        self.rundir.commit(packed.index, appends, self.state)


def _valid(items):
    return [item for item in items if item[3] is None]


def _read_lines(path: Path) -> Iterator[Any]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _write_manifest(folder: Path, run: _Run, source: str, seed: int, on_invalid: str) -> dict[str, Any]:
    from judgekit import __version__

    state = run.rundir.state_dir
    entries, summary = [], []
    for column, (transform, name) in enumerate(zip(run.transforms, run.files, strict=True)):
        transformed, not_applicable, failed = run.state["counts"][column]
        reasons = Counter(why for _, why in _read_lines(state / f"na.{column}.jsonl"))
        entry: dict[str, Any] = {
            "name": transform.display_name(),
            "transform": transform.name,
            "family": transform.family_label(),
            "args": transform.args(),
            "targets": list(transform.targets),
            "preserves": transform.preserves,
            "counts": {"transformed": transformed, "not_applicable": not_applicable, "failed": failed},
            "not_applicable_reasons": dict(reasons.most_common()),
        }
        summary.append(dict(entry))
        entry["not_applicable_items"] = Streamed({"id": i, "reason": r} for i, r in _read_lines(state / f"na.{column}.jsonl"))
        entry["failed_items"] = Streamed({"id": i, "error": e} for i, e in _read_lines(state / f"failed.{column}.jsonl"))
        entry["file"] = name
        entry["sha256"] = run.rundir.sha256(name)
        entries.append(entry)
    plan = run.plan
    head = {
        "kind": "judgekit.transform",
        "source": {"source": source, "path": plan.path, "sha256": plan.sha256, "format": plan.format,
                   "items": run.state["items"]},
        "seed": seed,
        "original": {"file": ORIGINAL, "items": run.state["items"], "sha256": run.rundir.sha256(ORIGINAL)},
    }
    tail = {"versions": {"judgekit": __version__, "python": platform.python_version()}}
    invalid = {"policy": on_invalid, "skipped": run.state["skipped"]}
    with open(folder / MANIFEST, "w", encoding="utf-8") as handle:
        dump({**head, "invalid": {**invalid, "items": Streamed(_read_lines(state / INVALID))},
              "transforms": entries, **tail}, handle)
    return {**head, "invalid": invalid, "transforms": summary, **tail}


def run_transform(
    source: str,
    transforms: str | Sequence[str] | Sequence[Transform],
    out_dir: str,
    *,
    seed: int = 0,
    format: str | None = None,
    split: str | None = None,
    on_invalid: str = "fail",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    executor: Executor | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Write ``original.jsonl``, one JSONL per transform and ``manifest.json`` into ``out_dir``, streaming.

    A folder left by a killed run with the same source content and settings is resumed (its committed
    chunks are kept); one left with other settings is replaced. Returns the manifest without its item
    lists, plus ``run`` (chunks, how many were resumed, engine).

    Args:
        transforms: selectors as for ``--transforms`` ("char-swap,rot13", "all", a family), or Transforms.
        on_invalid: "fail" (stop at the first unreadable row, as today) or "skip" (count it, with file:line
            and reason, in the manifest's ``invalid`` section).
        executor: from `make_executor` (default: local, one process).
        progress: called as ``progress(rows committed so far, total rows or None)``.
    """
    on_invalid = check_on_invalid(on_invalid)
    chosen = select_transforms(transforms) if isinstance(transforms, str) or (
        transforms and isinstance(next(iter(transforms)), str)) else list(transforms)  # type: ignore[arg-type]
    _check(chosen, out_dir)
    files = [file_name(t.display_name()) for t in chosen]
    plan = plan_source(source, format=format, split=split, chunk_size=chunk_size, on_invalid=on_invalid)
    executor = executor or make_executor("local")
    key = _key(plan, chosen, seed, split)
    state_files = [INVALID, IDS, *(f"{kind}.{i}.jsonl" for i in range(len(chosen)) for kind in ("na", "failed"))]
    rundir = RunDir(out_dir, outputs=[ORIGINAL, *files], state_files=state_files, key=key)
    resume = rundir.open()
    if on_invalid == "fail" and resume.state.get("skipped"):
        resume = rundir.restart()  # what a skip run committed is not what a fail run would have written
    try:
        started = time.perf_counter()
        pool = _pool(plan, executor, rundir, on_invalid) if any(t.uses_pool for t in chosen) else None
        pool_seconds = time.perf_counter() - started
        run = _Run(plan, chosen, files, rundir, on_invalid, resume.state)
        # local workers read the pool's texts from its file; elsewhere they may be on other machines
        shared = None if pool is None else executor.share(pool if executor.name == "local" else pool.in_memory())
        stage = TransformStage(chosen, seed, shared)
        pipeline = Pipeline.build(plan.reader, [stage], ItemPacker(len(chosen)))
        ran = 0
        for _, packed in executor.run(pipeline, plan.iter_chunks(resume.next_chunk)):
            run.commit(packed)
            ran += 1
            if progress is not None:
                progress(run.state["rows"], plan.rows)
    except BaseException:
        rundir.close()
        raise
    check_output_folder(Path(out_dir))
    summary: dict[str, Any] = {}
    rundir.finish(lambda folder: summary.update(_write_manifest(folder, run, str(source), seed, on_invalid)))
    summary["run"] = {"engine": executor.name, "workers": executor.workers, "chunk_size": chunk_size,
                      "chunks": resume.next_chunk + ran, "resumed_chunks": resume.next_chunk, "ran_chunks": ran,
                      "discarded_partial_run": resume.discarded}
    if pool is not None:  # what the first pass cost: its time, the pool's arrays in memory
        summary["run"]["pool"] = {"seconds": round(pool_seconds, 3), "items": len(pool), "memory_bytes": pool.nbytes}
    return summary


def _check(transforms: list[Transform], out_dir: str) -> None:
    check_output_folder(Path(out_dir))
    llm = [t.display_name() for t in transforms if t.needs_backend]
    if llm:
        raise SpecError(f"{', '.join(llm)} need(s) an LLM backend, which `judgekit transform` does not take: "
                        "use `judgekit synth` for paraphrase / back-translation")
    names = [t.display_name() for t in transforms]
    if len(set(names)) != len(names):
        raise SpecError(f"the same transform is selected twice: {sorted(n for n in names if names.count(n) > 1)}")
    files = [file_name(n) for n in names]
    clashes = sorted({f for f in files if files.count(f) > 1 or f == ORIGINAL})
    if clashes:
        raise SpecError(f"transforms would write the same file(s) {clashes}: rename or drop one")


def _key(plan: SourcePlan, transforms: list[Transform], seed: int, split: str | None) -> dict:
    import uuid

    from judgekit import __version__

    return {
        "kind": "judgekit.transform",
        "source": plan.name,
        # a source without a content hash (a hub id) is never resumed: its key never matches
        "sha256": plan.sha256 or f"unhashed-{uuid.uuid4().hex}",
        "format": plan.format,
        "split": split,
        "transforms": [[t.display_name(), t.to_spec()] for t in transforms],
        "seed": seed,
        # not the invalid-row policy: a fail run stopped by a bad row resumes with --on-invalid skip
        "chunk_size": plan.chunk_size,
        "judgekit": __version__,
    }


def _pool(plan: SourcePlan, executor: Executor, rundir: RunDir, on_invalid: str):
    """First pass: the compact pool of every admitted item (built once; a resumed run reloads it)."""
    from judgekit.engine.pool import CompactPool, PoolBuilder

    saved = rundir.state_dir / "pool.npz"
    if saved.exists():
        return _load_pool(saved, rundir.state_dir / "pool.bin", CompactPool)
    builder = PoolBuilder(rundir.state_dir / "pool.bin")
    admission = Admission(on_invalid)
    pipeline = Pipeline.build(plan.reader, [pool_entries], PoolPacker())
    for _, packed in executor.run(pipeline, plan.iter_chunks(0)):
        _, repeated = admission.admit(packed.items, packed.keys, plan.name)
        builder.add([entry for entry, r in zip(packed.entries, repeated, strict=True) if not r])
    pool = builder.build()
    import numpy as np

    tmp = rundir.state_dir / "pool.tmp.npz"
    np.savez(tmp, ids=pool.ids, starts=pool.starts, mids=pool.mids, ends=pool.ends, languages=pool.languages,
             names=np.array(pool.names, dtype=object).astype(str))
    tmp.replace(saved)
    return pool


def _load_pool(saved: Path, text: Path, cls):
    import numpy as np

    with np.load(saved) as data:
        names = [str(n) for n in data["names"]]
        return cls(data["ids"], data["starts"], data["mids"], data["ends"], data["languages"], names, path=str(text))
