"""`judgekit eval` on the engine: data in bounded chunks through the transforms and every judge, any engine,
resumable; the report is built at the end from what the chunks wrote.

    plan the data -> [first pass: the pool (transforms that borrow), placements (generative judges)]
    -> chunks -> VariantStage -> JudgeStage per judge -> commit in chunk order (originals, variants,
    judgments per judge and variant, n/a and failed notes) -> read back -> report -> run folder

The judging streams (flat memory, as many chunks' requests in flight as the executor allows, a killed run
resumes from its committed chunks plus the response and score caches); the report step reads the
judgments back into memory (its statistics need them all: a few hundred bytes per judgment). The folder is
byte for byte what a whole-dataset run writes, for any chunk size, worker count or engine (timings aside).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from judgekit.data.example import Example
from judgekit.engine.commit import Committer, commit_chunks, latest_counters
from judgekit.engine.executors import make_executor
from judgekit.engine.pipeline import Executor, Pipeline
from judgekit.engine.rundir import RunDir
from judgekit.engine.sources import DEFAULT_CHUNK_SIZE, plan_source
from judgekit.engine.transform_run import RunInfo
from judgekit.errors import SpecError
from judgekit.eval.preflight import budget_run, check_templates
from judgekit.eval.results import ORIGINAL, RunResult, TransformRecord
from judgekit.eval.stages import EvalPacker, JudgeStage, VariantStage
from judgekit.eval.suite import Suite
from judgekit.judges.base import Judge, Judgment
from judgekit.outputs import OutputTarget

CHUNKS_IN_FLIGHT = 4


def _read(path: Path):
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _first_item(plan: Any) -> Example | None:
    for spec in plan.iter_chunks(0):
        for row in plan.reader.read(spec):
            if isinstance(row.value, Example):
                return row.value
    return None


def _placements(plan: Any, judges: list[Judge], seed: int, placements_for: Any) -> dict[str, dict[str, int]]:
    """Balanced positions of the correct answer over the whole dataset, per generative judge (one pass that
    keeps ids and response counts only)."""
    from types import SimpleNamespace

    wanted = [j for j in judges if getattr(getattr(j, "spec", None), "kind", None) == "generative"]
    if not wanted:
        return {}
    items = []
    for spec in plan.iter_chunks(0):
        for row in plan.reader.read(spec):
            if isinstance(row.value, Example):
                items.append(SimpleNamespace(id=row.value.id, rejected=(None,) * len(row.value.rejected)))
    seen, unique = set(), []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            unique.append(item)
    return {j.name: placements_for(j, unique, seed) for j in wanted}


def _add_counters(total: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Workers' judge counters summed: numbers add, nested mappings (a panel's members) add key by key, anything
    else keeps the latest value."""
    out = dict(total)
    for name, value in more.items():
        have = out.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float | dict):
            out[name] = value
        elif isinstance(value, dict):
            out[name] = _add_counters(have if isinstance(have, dict) else {}, value)
        elif isinstance(value, float) or isinstance(have, float):
            out[name] = round((have or 0) + value, 3)
        else:
            out[name] = (have or 0) + value
    return out


def _result(committer: Committer, suite: Suite, judges: list[Judge], transforms: list[Any],
            files: dict[str, str], stats: dict[str, Any], seconds: float, templates: dict[str, str]) -> RunResult:
    state = committer.rundir.path
    examples = [Example.from_dict(r) for r in _read(state(files["items.0"]))]
    records = []
    for t, transform in enumerate(transforms):
        variants = [Example.from_dict(r) for r in _read(state(files[f"items.{t + 1}"]))]
        records.append(TransformRecord(
            name=transform.display_name(), family=transform.family_label(), args=transform.args(),
            targets=list(transform.targets), examples=variants,
            not_applicable=[tuple(x) for x in committer.notes(f"na.{t}")],
            failed=[tuple(x) for x in committer.notes(f"failed.{t}")]))
    names = [ORIGINAL, *(r.name for r in records)]
    judgments: dict[str, dict[str, list[Judgment]]] = {}
    info = []
    for j, judge in enumerate(judges):
        judgments[judge.name] = {name: [Judgment.from_dict(r) for r in _read(state(files[f"j{j}.v{v}"]))]
                                 for v, name in enumerate(names)}
        spec = getattr(judge, "given", None) or getattr(judge, "spec", None)
        counters: dict[str, Any] = {}
        for key, value in stats.items():
            if key.split("|", 1)[0] == str(j):
                counters = _add_counters(counters, value)
        info.append({"name": judge.name, "kind": judge.kind,
                     "spec": spec.model_dump(mode="json", exclude_none=True) if spec is not None else None,
                     "identity": judge.identity(), "stats": counters or judge.stats(), "seconds": round(seconds, 3)})
    return RunResult(suite, examples, records, info, judgments, inputs=[i.model_dump(mode="json") for i in committer.inputs()],
                     skipped_rows=[{"where": w, "reason": r} for w, r in committer.skipped()],
                     templates=templates)


def run_suite_stream(suite: Suite, judges: list[Judge], target: OutputTarget, *, transforms: list[Any] | None = None,
                     executor: Executor | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE, gpus: float = 0,
                     transform_backend: Any = None, placements_for: Any, templates_of: Any,
                     max_cost: float | None = None) -> tuple[Any, RunInfo]:
    """Run ``suite`` with ``judges`` into ``target`` (see the module docstring); returns (report, run info).

    Args:
        gpus: GPUs per scalar-judge actor on Ray (0.5: two actors share a GPU); 0 runs them on CPUs.
        max_cost: USD the run may spend at most (`BudgetExceeded` before it would spend more; local engine).
        placements_for, templates_of: the runner's (`judgekit.eval.runner`): balanced answer positions of a
            judge over items, and the prompt templates a run uses.
    """
    from judgekit import __version__
    from judgekit.eval.folder import write_run_files
    from judgekit.eval.report import build_report

    started = time.time()
    transforms = suite.build_transforms() if transforms is None else transforms
    plan = plan_source(suite.data, base=suite.base_dir, chunk_size=chunk_size)
    executor = executor or make_executor("local", threads=CHUNKS_IN_FLIGHT)
    info = RunInfo(executor.name, executor.workers, chunk_size)
    variants = [ORIGINAL, *(t.display_name() for t in transforms)]
    first = _first_item(plan)
    if first is not None:  # every judge's prompt renders before any request (each variant's: per chunk)
        check_templates(judges, [(ORIGINAL, [first])])
    owned = None  # a transforms' backend loaded here for the budget
    if max_cost is not None:
        if executor.name != "local":
            raise SpecError("--max-cost keeps one budget in this process: run it with --engine local (the "
                            "default), or leave --max-cost out and cap spending at the API provider")
        given = transform_backend
        transform_backend = budget_run(judges, transforms, suite.backend, transform_backend, max_cost) or given
        owned = transform_backend if given is None else None
    files = {f"items.{v}": f"items.{v}.jsonl" for v in range(len(variants))}
    files.update({f"j{j}.v{v}": f"judgments.{j}.{v}.jsonl" for j in range(len(judges)) for v in range(len(variants))})
    note_lists = [f"{kind}.{t}" for t in range(len(transforms)) for kind in ("na", "failed")]
    spec = suite.model_dump(mode="json", exclude={"output", "max_error_rate", "description"})
    key = {"data": plan.fingerprint, "suite": spec, "judges": [j.identity() for j in judges],
           "chunk_size": chunk_size, "judgekit": __version__}
    stages: list[Any] = []
    with target.resumable(key) as partial:
        info.discarded_partial_run = partial.discarded
        rundir = RunDir(partial.folder, outputs=[], state_files=[*files.values(), *Committer.state_files(note_lists)])
        resume = rundir.open()
        if suite.data.on_invalid == "fail" and resume.state.get("skipped"):
            resume = rundir.restart()
        try:
            pool = None
            if any(t.uses_pool for t in transforms):
                from judgekit.engine.transform_pool import first_pass

                compact, info.pool = first_pass(plan, executor, rundir)
                pool = executor.share(compact if executor.name == "local" else compact.in_memory())
            placements = _placements(plan, judges, suite.seed, placements_for)
            local = executor.name == "local"
            stages.append(VariantStage(suite, pool, transform_backend if local else None))
            refs = list(suite.judges) if len(suite.judges) == len(judges) else [None] * len(judges)
            if not local and None in refs:
                raise SpecError("--engine ray builds the judges in its workers: give them by name, file or spec "
                                "(the suite's judges), not as Judge objects")
            for j, judge in enumerate(judges):
                shared = executor.share(placements[judge.name]) if judge.name in placements else None
                stages.append(JudgeStage(j, refs[j], base=suite.base_dir, judge=judge if local else None,
                                         placements=shared, scalar=judge.kind == "scalar", gpus=gpus,
                                         variants=tuple(variants)))
            committer = Committer(plan, rundir, list(files.values()), note_lists, resume.state)
            stats: dict[str, Any] = dict(resume.state.get("stats") or {})
            packer = EvalPacker([j.name for j in judges], variants, files)

            def keep_stats(packed: Any) -> None:
                for worker, counters in (packed.extra.get("stats") or {}).items():
                    stats[worker] = latest_counters(stats.get(worker), counters)
                committer.state["stats"] = stats

            commit_chunks(executor, Pipeline.build(plan.reader, stages, packer), plan, committer, partial, info,
                          start=resume.next_chunk, before_commit=keep_stats)
            result = _result(committer, suite, judges, transforms, files, stats, time.time() - started,
                             templates_of(judges, transforms))
            report = build_report(result)
            write_run_files(partial.folder, result, report)
        except BaseException:
            rundir.close()
            raise
        finally:
            for stage in stages:
                stage.close()
            if owned is not None:
                owned.close()
        rundir.finish()
    return report, info
