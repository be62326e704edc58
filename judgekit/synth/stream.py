"""`judgekit synth` on the engine: a recipe over any size of data in bounded chunks, resumable, any engine.

    plan the data (one cheap pass over a JSONL file) -> [pool pass, for transforms that borrow] -> chunks
    -> SynthStage (transforms, LLM requests flowing, filters) -> commit in chunk order -> manifest
    (+ judge exports, + Parquet / datasets conversion) -> the folder moves into place

The datasets are byte for byte what a whole-dataset run writes, for any chunk size, worker count or
engine: every item's rewrites depend on its own requests (and the response cache) alone. A killed run
resumes from its committed chunks; the requests of the chunks in flight come back from the cache.
LLM chunks run on threads of one process (local engine: one backend, one budget, several chunks' requests
in flight) or in Ray actors sharing one request budget (`judgekit.engine.budget`).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from judgekit.backends.base import Backend
from judgekit.engine.commit import Committer, commit_chunks, latest_counters
from judgekit.engine.executors import make_executor
from judgekit.engine.jsonstream import Placeholders, dump
from judgekit.engine.pipeline import Executor, Pipeline
from judgekit.engine.rundir import RunDir
from judgekit.engine.sources import DEFAULT_CHUNK_SIZE, plan_source
from judgekit.engine.transform_run import RunInfo, item_lists
from judgekit.outputs import OutputTarget
from judgekit.provenance import FileRecord, SkippedRow, SynthManifest, versions
from judgekit.provenance.card import CARD, dataset_card
from judgekit.provenance.hashing import sha256_json
from judgekit.provenance.manifests import ItemReason, SynthTotals
from judgekit.synth.manifest import MANIFEST, reason_kind, recorded_recipe
from judgekit.synth.recipe import Recipe
from judgekit.synth.stage import SynthPacker, SynthStage
from judgekit.transforms.base import Transform
from judgekit.transforms.manifest import entry_for, file_names

CHUNKS_IN_FLIGHT = 4  # LLM chunks on the local engine: threads of one process, their requests all in flight
_SUFFIX = {"jsonl": ".jsonl", "parquet": ".parquet", "datasets": ""}


def _usage(reports: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The usage of every worker's backend, summed (each report is a worker's latest, cumulative)."""
    if not reports:
        return None
    total: dict[str, Any] = {}
    for report in reports.values():
        for name, value in report.items():
            if isinstance(value, dict):
                merged = total.setdefault(name, {})
                for key, count in value.items():
                    merged[key] = merged.get(key, 0) + count
            else:
                total[name] = total.get(name, 0) + value
    if "errors" in total:
        total["errors"] = dict(sorted(total["errors"].items()))
    if "cost_usd" in total:
        total["cost_usd"] = round(total["cost_usd"], 6)
    return total


def _templates(transforms: list[Transform]) -> dict[str, str]:
    found: dict[str, str] = {}
    for transform in transforms:
        stages = getattr(transform, "stages", None)
        if stages is not None:
            found.update({t.name: t.sha256 for t, _ in stages("x")})
    return found


def _convert(folder: Path, names: list[tuple[str, str]], fmt: str) -> None:
    """Parquet / datasets outputs from the run's JSONL files (streamed)."""
    from judgekit.data.reader import read_examples
    from judgekit.data.writers import write_examples

    for working, final in names:
        source = folder / working
        write_examples(read_examples(str(source), format="judgekit") if source.stat().st_size else iter(()),
                       folder / final, to=fmt)
        source.unlink()


def _write_manifest(folder: Path, committer: Committer, recipe: Recipe, transforms: list[Transform],
                    files: list[tuple[str, str]], original: tuple[str, str], identity: dict[str, Any] | None,
                    usage: dict[str, Any] | None, elapsed: float) -> SynthManifest:
    from judgekit.provenance import sha256_path
    from judgekit.synth.exports import write_exports_streamed

    fmt = recipe.output.format
    rundir = committer.rundir
    exports = write_exports_streamed(folder, recipe, original, files, [t.display_name() for t in transforms])
    if fmt != "jsonl":
        _convert(folder, [original, *files], fmt)
    placeholders = Placeholders()
    notes, entries, light = committer.state["notes"], [], []
    totals: Counter[str] = Counter()
    for column, (transform, (working, final)) in enumerate(zip(transforms, files, strict=True)):
        kept = committer.state["lines"][working]
        lists, _ = item_lists(committer, column, placeholders)
        sha = rundir.sha256(working) if fmt == "jsonl" else sha256_path(folder / final)
        dropped = notes[f"na.{column}"] + notes[f"failed.{column}"] + notes[f"filtered.{column}"]
        reasons = Counter(reason_kind(r) for kind in ("na", "failed", "filtered")
                          for _, r in committer.notes(f"{kind}.{column}"))
        na_reasons = Counter(r for _, r in committer.notes(f"na.{column}"))
        entry = entry_for(transform, final, sha, transformed=kept, not_applicable=notes[f"na.{column}"],
                          failed=notes[f"failed.{column}"], reasons=na_reasons, not_applicable_items=[],
                          failed_items=[])
        entry = entry.model_copy(update={"kept": kept, "dropped": dropped,
                                         "dropped_reasons": dict(reasons.most_common()), "filtered_items": []})
        light.append(entry)
        filtered = (ItemReason(id=i, reason=r) for i, r in committer.notes(f"filtered.{column}"))
        entries.append(entry.model_copy(update={
            **lists, "filtered_items": placeholders.placeholder(filtered) if notes[f"filtered.{column}"] else []}))
        totals["kept"] += kept
        totals["dropped"] += dropped
    items = committer.state["items"]
    recipe_json = recorded_recipe(recipe)
    original_sha = rundir.sha256(original[0]) if fmt == "jsonl" else sha256_path(folder / original[1])
    manifest = SynthManifest(
        recipe=recipe_json, recipe_sha256=sha256_json(recipe_json), inputs=committer.inputs(),
        skipped_rows=[SkippedRow(where=w, reason=r) for w, r in committer.skipped()], seed=recipe.seed,
        original=FileRecord(file=original[1], items=items, sha256=original_sha), backend=identity,
        templates=_templates(transforms), transforms=entries,
        totals=SynthTotals(items=items, kept=totals["kept"], dropped=totals["dropped"]), usage=usage,
        elapsed_s=round(elapsed, 2), exports=exports, versions=versions())
    with open(folder / MANIFEST, "w", encoding="utf-8") as handle:
        dump(manifest, placeholders, handle)
    light_manifest = manifest.model_copy(update={"transforms": light})
    (folder / CARD).write_text(dataset_card(light_manifest, data_format=fmt), encoding="utf-8")
    return light_manifest


def run_recipe_stream(recipe: Recipe, target: OutputTarget, *, executor: Executor | None = None,
                      chunk_size: int = DEFAULT_CHUNK_SIZE, no_cache: bool = False, backend: Backend | None = None,
                      hook: Any = None) -> tuple[SynthManifest, RunInfo]:
    """Run a recipe into ``target`` (see the module docstring); the manifest (item lists left out)."""
    from judgekit import __version__
    from judgekit.synth.filters import build_filters
    from judgekit.synth.recipe import recipe_transforms

    started = time.time()
    transforms = recipe_transforms(recipe)
    build_filters(recipe.filters)  # a bad filter fails before any work
    names = [t.display_name() for t in transforms]
    suffix = _SUFFIX[recipe.output.format]
    finals = file_names(names, suffix)
    working = file_names(names, ".jsonl")
    files = [(working[n], finals[n]) for n in names]
    original = ("original.jsonl", "original" + suffix)
    plan = plan_source(recipe.data, base=recipe.base_dir, chunk_size=chunk_size)
    llm = any(t.needs_backend for t in transforms)
    executor = executor or synth_executor(recipe)
    info = RunInfo(executor.name, executor.workers, chunk_size)
    spec = recipe.model_dump(mode="json", exclude={"output", "max_error_rate", "description"})
    key = {"data": plan.fingerprint, "recipe": spec, "chunk_size": chunk_size, "judgekit": __version__}
    note_lists = [f"{kind}.{i}" for i in range(len(transforms)) for kind in ("na", "failed", "filtered")]
    outputs = [original[0], *(w for w, _ in files)]
    stage = None
    with target.resumable(key) as partial:
        info.discarded_partial_run = partial.discarded
        rundir = RunDir(partial.folder, outputs=outputs, state_files=Committer.state_files(note_lists))
        resume = rundir.open()
        if recipe.data.on_invalid == "fail" and resume.state.get("skipped"):
            resume = rundir.restart()
        try:
            shared_pool = budget = None
            if any(t.uses_pool for t in transforms):
                from judgekit.engine.transform_pool import first_pass

                pool, info.pool = first_pass(plan, executor, rundir)
                shared_pool = executor.share(pool if executor.name == "local" else pool.in_memory())
            if llm and executor.name == "ray":
                from judgekit.engine.budget import make_budget

                budget = make_budget(executor, recipe.backend)
                recipe = _shared_cache(recipe, no_cache)
            stage = SynthStage(recipe, no_cache=no_cache, backend=backend if executor.name == "local" else None,
                               pool=shared_pool, budget=budget, hook=hook if executor.name == "local" else None)
            committer = Committer(plan, rundir, outputs, note_lists, resume.state)
            reports: dict[str, dict[str, Any]] = dict(resume.state.get("usage") or {})
            pipeline = Pipeline.build(plan.reader, [stage], SynthPacker(tuple(outputs)))

            def keep_usage(packed: Any) -> None:
                for worker, report in (packed.extra.get("usage") or {}).items():
                    reports[worker] = latest_counters(reports.get(worker), report)
                committer.state["usage"] = reports

            commit_chunks(executor, pipeline, plan, committer, partial, info, start=resume.next_chunk,
                          before_commit=keep_usage)
            identity = None
            if llm:
                identity = (stage.backend or backend).identity() if (stage.backend or backend) else _identity(recipe)
            manifest = _write_manifest(partial.folder, committer, recipe, transforms, files, original, identity,
                                       _usage(reports), time.time() - started)
        except BaseException:
            rundir.close()
            raise
        finally:
            if stage is not None:
                stage.close()
        rundir.finish()
    return manifest, info


def synth_executor(recipe: Recipe, engine: str = "local", *, ray_address: str | None = None,
                   workers: int | None = None) -> Executor:
    """The executor a recipe runs on: LLM chunks on threads of this process (local), or Ray."""
    from judgekit.synth.recipe import recipe_transforms

    llm = any(t.needs_backend for t in recipe_transforms(recipe))
    if engine == "local" and llm:
        return make_executor("local", threads=CHUNKS_IN_FLIGHT, ray_address=ray_address)
    return make_executor(engine, workers=workers or recipe.workers, ray_address=ray_address)


def _shared_cache(recipe: Recipe, no_cache: bool) -> Recipe:
    """The recipe with the driver's response cache file named, so Ray workers on this machine (or on shared
    storage) read and write the same cache as the driver would."""
    backend = recipe.backend
    if backend is None or no_cache or not backend.cache or backend.cache_path:
        return recipe
    from judgekit.backends.cache import default_cache_path

    return recipe.model_copy(update={"backend": backend.model_copy(update={"cache_path": str(default_cache_path())})})


def _identity(recipe: Recipe) -> dict[str, Any]:
    """The backend's identity without sending anything (a Ray run's backends lived in the workers)."""
    from judgekit.synth.recipe import open_backend

    backend = open_backend(recipe, no_cache=True)
    try:
        return backend.identity()
    finally:
        backend.close()
