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
from judgekit.data.reader import no_items
from judgekit.engine.commit import Committer, latest_counters
from judgekit.engine.executors import make_executor
from judgekit.engine.pipeline import Executor, Pipeline
from judgekit.engine.rundir import RunDir
from judgekit.engine.sources import DEFAULT_CHUNK_SIZE, plan_source
from judgekit.engine.transform_run import RunInfo
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
                for name, count in value.items():
                    counters[name] = round(counters.get(name, 0) + count, 3) if isinstance(count, float) else (
                        counters.get(name, 0) + count)
        info.append({"name": judge.name, "kind": judge.kind,
                     "spec": spec.model_dump(mode="json", exclude_none=True) if spec is not None else None,
                     "identity": judge.identity(), "stats": counters or judge.stats(), "seconds": round(seconds, 3)})
    return RunResult(suite, examples, records, info, judgments, inputs=[i.model_dump(mode="json") for i in committer.inputs()],
                     skipped_rows=[{"where": w, "reason": r} for w, r in committer.skipped()],
                     templates=templates)


def run_suite_stream(suite: Suite, judges: list[Judge], target: OutputTarget, *, transforms: list[Any] | None = None,
                     executor: Executor | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE, gpus: float = 0,
                     transform_backend: Any = None, placements_for: Any, templates_of: Any) -> tuple[Any, RunInfo]:
    """Run ``suite`` with ``judges`` into ``target`` (see the module docstring); returns (report, run info).

    Args:
        gpus: GPUs per scalar-judge actor on Ray (0.5: two actors share a GPU); 0 runs them on CPUs.
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
                from judgekit.errors import SpecError

                raise SpecError("--engine ray builds the judges in its workers: give them by name, file or spec "
                                "(the suite's judges), not as Judge objects")
            for j, judge in enumerate(judges):
                shared = executor.share(placements[judge.name]) if judge.name in placements else None
                stages.append(JudgeStage(j, refs[j], base=suite.base_dir, judge=judge if local else None,
                                         placements=shared, scalar=judge.kind == "scalar", gpus=gpus))
            committer = Committer(plan, rundir, list(files.values()), note_lists, resume.state)
            stats: dict[str, Any] = dict(resume.state.get("stats") or {})
            packer = EvalPacker([j.name for j in judges], variants, files)
            info.resumed_chunks = resume.next_chunk
            for _, packed in executor.run(Pipeline.build(plan.reader, stages, packer), plan.iter_chunks(resume.next_chunk)):
                for worker, counters in (packed.extra.get("stats") or {}).items():
                    stats[worker] = latest_counters(stats.get(worker), counters)
                committer.state["stats"] = stats
                committer.commit(packed)
                partial.keep = True
                info.ran_chunks += 1
            info.chunks = info.resumed_chunks + info.ran_chunks
            if committer.state["items"] == 0:
                raise no_items(plan.name, readable=committer.state["readable"], skipped=committer.state["skipped"])
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
        rundir.finish()
    return report, info
