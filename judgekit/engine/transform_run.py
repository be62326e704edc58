"""`judgekit transform` as a streaming pipeline: any size of input in flat memory, resumable, any engine.

    plan the selection (one cheap pass over a JSONL file) -> [pool pass, only for transforms that borrow
    from other items] -> chunks -> TransformStage -> pack -> commit in chunk order (the invalid-row policy,
    duplicate ids, append, journal) -> typed manifest (item lists streamed) -> the folder moves into place

The folder holds what the in-memory path (`judgekit.transforms.manifest.write_run`) writes, byte for byte:
original.jsonl, one JSONL per transform, manifest.json. It is built in the output's resumable partial
folder (`judgekit.outputs.OutputTarget.resumable`): a killed run with the same settings resumes from its
committed chunks. Outputs do not depend on the chunk size, the number of workers or the engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.data.selection import DataSelection, data_selection
from judgekit.engine.commit import Committer, commit_chunks
from judgekit.engine.executors import make_executor
from judgekit.engine.jsonstream import Placeholders, dump
from judgekit.engine.pipeline import Executor, Pipeline
from judgekit.engine.rundir import RunDir
from judgekit.engine.sources import DEFAULT_CHUNK_SIZE, plan_source
from judgekit.engine.transform_stages import ItemPacker, TransformStage
from judgekit.errors import SpecError
from judgekit.outputs import OutputTarget, prepare_output
from judgekit.provenance import FileRecord, SkippedRow, TransformManifest, versions
from judgekit.provenance.card import CARD, dataset_card
from judgekit.provenance.manifests import ItemReason
from judgekit.transforms.base import Transform
from judgekit.transforms.manifest import MANIFEST, ORIGINAL, entry_for, file_names
from judgekit.transforms.refs import select_transforms


@dataclass
class RunInfo:
    """How a streamed run went (not in the manifest: it does not change the output)."""

    engine: str
    workers: int
    chunk_size: int
    chunks: int = 0
    resumed_chunks: int = 0
    ran_chunks: int = 0
    discarded_partial_run: bool = False
    pool: dict[str, Any] | None = None  # the first pass: seconds, items, memory of its arrays

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TransformRun:
    """A finished run: the manifest (item lists left out) and how the run went."""

    manifest: TransformManifest
    run: RunInfo
    out_dir: str
    extra: dict[str, Any] = field(default_factory=dict)


def item_lists(committer: Committer, column: int, placeholders: Placeholders) -> tuple[dict[str, Any], Counter]:
    """A transform's n/a and failed items as streamed placeholders, and its n/a reasons counted."""
    counts = committer.state["notes"]
    reasons = Counter(reason for _, reason in committer.notes(f"na.{column}"))
    na = (ItemReason(id=i, reason=r) for i, r in committer.notes(f"na.{column}"))
    failed = (ItemReason(id=i, reason=r) for i, r in committer.notes(f"failed.{column}"))
    return {"not_applicable_items": placeholders.placeholder(na) if counts[f"na.{column}"] else [],
            "failed_items": placeholders.placeholder(failed) if counts[f"failed.{column}"] else []}, reasons


def _write_manifest(folder: Path, committer: Committer, transforms: list[Transform], files: list[str],
                    seed: int) -> TransformManifest:
    """manifest.json (item lists streamed from the working files); returns it without the item lists."""
    placeholders = Placeholders()
    entries, light = [], []
    notes = committer.state["notes"]
    for column, (transform, name) in enumerate(zip(transforms, files, strict=True)):
        lists, reasons = item_lists(committer, column, placeholders)
        entry = entry_for(transform, name, committer.rundir.sha256(name), transformed=committer.state["lines"][name],
                          not_applicable=notes[f"na.{column}"], failed=notes[f"failed.{column}"], reasons=reasons,
                          not_applicable_items=[], failed_items=[])
        light.append(entry)
        entries.append(entry.model_copy(update=lists))
    manifest = TransformManifest(
        inputs=committer.inputs(), skipped_rows=[SkippedRow(where=w, reason=r) for w, r in committer.skipped()],
        seed=seed, original=FileRecord(file=ORIGINAL, items=committer.state["items"],
                                       sha256=committer.rundir.sha256(ORIGINAL)),
        transforms=entries, versions=versions())
    with open(folder / MANIFEST, "w", encoding="utf-8") as handle:
        dump(manifest, placeholders, handle)
    light_manifest = manifest.model_copy(update={"transforms": light})
    (folder / CARD).write_text(dataset_card(light_manifest), encoding="utf-8")
    return light_manifest


def check_transforms(transforms: Sequence[Transform]) -> list[str]:
    """The file name of each transform's dataset; SpecError for LLM transforms, repeats and file clashes."""
    llm = [t.display_name() for t in transforms if t.needs_backend]
    if llm:
        raise SpecError(f"{', '.join(llm)} need(s) an LLM backend, which `judgekit transform` does not take: "
                        "use `judgekit synth` for paraphrase / back-translation")
    names = [t.display_name() for t in transforms]
    if len(set(names)) != len(names):
        raise SpecError(f"the same transform is selected twice: {sorted(n for n in names if names.count(n) > 1)}")
    files = file_names(names)
    return [files[n] for n in names]


def run_transform(
    data: DataSelection | str,
    transforms: str | Sequence[Transform],
    out: OutputTarget | str | Path,
    *,
    seed: int = 0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    executor: Executor | None = None,
    overwrite: bool = False,
    base: str | Path | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> TransformRun:
    """Write ``original.jsonl``, one JSONL per transform and ``manifest.json`` into ``out``, streaming.

    A partial folder left by a killed run with the same data content and settings is resumed (its
    committed chunks are kept); one left with other settings is replaced.

    Args:
        data: a DataSelection (its ``on_invalid`` applies row by row), or one source.
        transforms: selectors as for ``--transforms`` ("char-swap,rot13", "all", a family), or Transforms.
        out: a checked output (`prepare_output(..., command="transform")`), or a folder to check here.
        executor: from `make_executor` (default: local, one process).
        progress: called as ``progress(rows committed so far, total rows or None)``.
    """
    chosen = select_transforms(transforms) if isinstance(transforms, str) else list(transforms)
    files = check_transforms(chosen)
    selection = data if isinstance(data, DataSelection) else data_selection(sources=[str(data)])
    plan = plan_source(selection, base=base, chunk_size=chunk_size)
    if not isinstance(out, OutputTarget):
        from judgekit.data.selection import select_examples

        out = prepare_output(out, command="transform", overwrite=overwrite,
                             inputs=select_examples(selection, base=base).paths())
    target = out
    executor = executor or make_executor("local")
    info = RunInfo(executor.name, executor.workers, chunk_size)
    from judgekit import __version__

    # not the invalid-row policy: a fail run stopped by a bad row resumes with --on-invalid skip
    key = {"data": plan.fingerprint, "seed": seed, "transforms": [[t.display_name(), t.to_spec()] for t in chosen],
           "chunk_size": chunk_size, "judgekit": __version__}
    note_lists = [f"{kind}.{i}" for i in range(len(chosen)) for kind in ("na", "failed")]
    with target.resumable(key) as partial:
        info.discarded_partial_run = partial.discarded
        rundir = RunDir(partial.folder, outputs=[ORIGINAL, *files], state_files=Committer.state_files(note_lists))
        resume = rundir.open()
        if selection.on_invalid == "fail" and resume.state.get("skipped"):
            resume = rundir.restart()  # what a skip run committed is not what a fail run would have written
        try:
            pool = None
            if any(t.uses_pool for t in chosen):
                from judgekit.engine.transform_pool import first_pass

                pool, info.pool = first_pass(plan, executor, rundir)
            committer = Committer(plan, rundir, [ORIGINAL, *files], note_lists, resume.state)
            # local workers read the pool's texts from its file; elsewhere they may be on other machines
            shared = None if pool is None else executor.share(pool if executor.name == "local" else pool.in_memory())
            pipeline = Pipeline.build(plan.reader, [TransformStage(chosen, seed, shared)], ItemPacker((ORIGINAL, *files)))
            commit_chunks(executor, pipeline, plan, committer, partial, info, start=resume.next_chunk,
                          after_commit=None if progress is None else lambda: progress(committer.state["rows"], plan.rows))
            manifest = _write_manifest(partial.folder, committer, chosen, files, seed)
        except BaseException:
            rundir.close()
            raise
        rundir.finish()
    return TransformRun(manifest, info, str(target.path))
