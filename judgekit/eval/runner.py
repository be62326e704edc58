"""Run a suite: data -> transforms -> every judge on the original and each transformed set -> a run folder.

Cheap checks come first: the suite validates (transform and metric names), judges are built (specs,
templates, the names templates read, and parsers checked; no model loads), the output location is
checked; only then is data read, transformed and judged. Every judge's prompt is rendered for the first
item of each variant before any judge request (judgekit.eval.preflight), and ``max_cost`` stops the run
before it could spend more. ``sweeps`` turn each judge into one judge per combination of spec values. The run folder holds ``suite.yaml`` (the resolved suite and judge specs),
``judgments.jsonl`` (one line per judge x variant x item), ``transforms.jsonl`` (every item a transform did
not apply to or failed on, with the reason), ``items.jsonl`` (every item as each variant showed it, which
`judgekit rescore` reads back), ``report.json``, ``report.md`` and ``report.html``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from judgekit.data.example import Example
from judgekit.data.selection import select_examples
from judgekit.errors import SpecError
from judgekit.eval.preflight import budget_run, check_templates, parts_of, placements_for
from judgekit.eval.results import ORIGINAL, RunResult, TransformRecord
from judgekit.eval.suite import Suite, load_suite
from judgekit.judges.base import Judge, Judgment
from judgekit.outputs import OutputTarget, prepare_output

Progress = Callable[[str], None]


def _run_transforms(examples: list[Example], transforms: list[Any], suite: Suite, backend: Any) -> list[TransformRecord]:
    if not transforms:
        return []
    from judgekit.transforms.engine import run_transforms

    if backend is None and any(t.needs_backend and t.needs_text_backend for t in transforms):
        from judgekit.backends import load_backend

        backend = load_backend(suite.backend or "embedded")
    outcomes = run_transforms(examples, transforms, seed=suite.seed, workers=suite.workers, backend=backend)
    return [TransformRecord(name=t.display_name(), family=t.family_label(), args=t.args(), targets=list(t.targets),
                            examples=list(outcomes[t.display_name()].examples),
                            not_applicable=[tuple(x) for x in outcomes[t.display_name()].not_applicable],
                            failed=[tuple(x) for x in outcomes[t.display_name()].failed]) for t in transforms]


def templates_of(judges: Sequence[Judge], transforms: Sequence[Any]) -> dict[str, str]:
    """name -> sha256 of every prompt template the run uses."""
    found: dict[str, str] = {}
    for judge in judges:
        for _, part in parts_of(judge):
            for template in (getattr(part, "template", None), getattr(part, "followup", None)):
                if template is not None:
                    found[template.name] = template.sha256
    for transform in transforms:
        stages = getattr(transform, "stages", None)
        if stages is not None:
            found.update({t.name: t.sha256 for t, _ in stages("x")})
    return dict(sorted(found.items()))


def execute(suite: Suite, judges: Sequence[Judge], *, transform_backend: Any = None,
            progress: Progress | None = None, transforms: list[Any] | None = None,
            max_cost: float | None = None) -> RunResult:
    """Run the suite in memory (no files written); relative data paths resolve beside the suite file first.

    Every judge's prompt is rendered for the first original item before any transform runs, and for the
    first item of each variant before any judge request. ``max_cost`` (USD): stop with `BudgetExceeded`
    before a request could take the run's spending past it (judges on a paid API need prices)."""
    say = progress or (lambda message: None)
    transforms = suite.build_transforms() if transforms is None else transforms
    if max_cost is not None:
        transform_backend = budget_run(judges, transforms, suite.backend, transform_backend, max_cost)
    selected = select_examples(suite.data, base=suite.base_dir)
    examples = list(selected)
    say(f"{len(examples)} items")
    check_templates(judges, [(ORIGINAL, examples)])
    records = _run_transforms(examples, transforms, suite, transform_backend)
    for record in records:
        say(f"transform {record.name}: {len(record.examples)} applied, {len(record.not_applicable)} n/a, "
            f"{len(record.failed)} failed")
    variants: list[tuple[str, list[Example]]] = [(ORIGINAL, examples)] + [(r.name, r.examples) for r in records]
    check_templates(judges, variants[1:])
    flat = [e for _, items in variants for e in items]
    all_judgments: dict[str, dict[str, list[Judgment]]] = {}
    judge_info = []
    for judge in judges:
        say(f"judging {len(flat)} items with {judge.name}")
        start = time.perf_counter()
        unit = "texts scored" if judge.kind == "scalar" else "model calls"

        def tick(done: int, total: int, name: str = judge.name, unit: str = unit) -> None:
            say(f"{name}: {done}/{total} {unit}")

        judged = judge.judge(flat, placements=placements_for(judge, examples, suite.seed), progress=tick)
        seconds = time.perf_counter() - start
        per_variant: dict[str, list[Judgment]] = {}
        offset = 0
        for name, items in variants:
            per_variant[name] = judged[offset: offset + len(items)]
            offset += len(items)
        all_judgments[judge.name] = per_variant
        spec = getattr(judge, "given", None) or getattr(judge, "spec", None)
        judge_info.append({"name": judge.name, "kind": judge.kind,
                           "spec": spec.model_dump(mode="json", exclude_none=True) if spec is not None else None,
                           "identity": judge.identity(), "stats": judge.stats(), "seconds": round(seconds, 3)})
    return RunResult(suite, examples, records, judge_info, all_judgments,
                     inputs=[i.model_dump(mode="json") for i in selected.inputs()],
                     skipped_rows=[{"where": w, "reason": r} for w, r in selected.skipped],
                     templates=templates_of(judges, transforms))


def prepare(suite: Suite | Mapping[str, Any] | str | Path, judges: Sequence[Judge | str | Path | dict[str, Any]] = (),
            *, shorthands: Mapping[str, Any] | None = None, overrides: Sequence[str] = (),
            sweeps: Sequence[str] | Mapping[str, Sequence[Any]] = ()) -> tuple[Suite, list[Judge], list[Any]]:
    """The cheap part of a run: validated suite, built judges (no model loaded; templates checked), built
    transforms. ``sweeps`` (``"key=v1,v2"`` strings or a mapping) turn each judge into one per combination."""
    from judgekit.eval.sweep import expand_judges, parse_sweeps
    from judgekit.judges import load_judge
    from judgekit.judges.loader import anchor_paths, read_spec_dict

    objects = [j for j in judges if isinstance(j, Judge)]
    refs = [j if isinstance(j, dict) else str(j) for j in judges if not isinstance(j, Judge)]
    extra = dict(shorthands or {})
    if refs:
        extra["judges"] = refs
    resolved = load_suite(suite, shorthands=extra, overrides=overrides)
    chosen = resolved.judges if (refs or not objects) else []
    sweeps = parse_sweeps(sweeps) if not isinstance(sweeps, Mapping) else dict(sweeps)
    if sweeps:
        if objects:
            raise SpecError("--sweep works on judges given by name, file or spec, not on Judge objects")
        base = resolved.base_dir
        raws = [anchor_paths(j, base) if isinstance(j, dict) else read_spec_dict(j, base=base)[0] for j in chosen]
        chosen = expand_judges(raws, sweeps)
        resolved = resolved.model_copy(update={"judges": chosen})  # what workers build, what suite.yaml records
    built = objects + [load_judge(j, base=resolved.base_dir) for j in chosen]
    if not built:
        raise SpecError(f"suite '{resolved.name}' names no judges: pass --judge (a judge name, YAML or model folder)")
    names = [j.name for j in built]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(f"two judges are named {', '.join(duplicates)}; give them distinct 'name's")
    return resolved, built, resolved.build_transforms()


def run_suite(suite: Suite | Mapping[str, Any] | str | Path, judges: Sequence[Judge | str | Path | dict[str, Any]] = (),
              *, out_dir: str | Path | None = None, overwrite: bool = False, data: str | Sequence[str] | None = None,
              limit: int | None = None, limit_per_subset: int | None = None, transforms: Sequence[str] | None = None,
              seed: int | None = None, overrides: Sequence[str] = (), transform_backend: Any = None,
              progress: Progress | None = None, sweeps: Sequence[str] | Mapping[str, Sequence[Any]] = (),
              max_cost: float | None = None, executor: Any = None, chunk_size: int | None = None):
    """Run a suite and (with ``out_dir``) write its run folder. Returns the `Report`.

    Args:
        suite: a Suite, a mapping, a shipped suite name ("rewordbench") or a YAML path.
        judges: judges, or anything `load_judge` accepts; empty = the suite's own ``judges``.
        out_dir: run folder to write (checked before any work; see judgekit.outputs); nothing is written when None.
        data, limit, limit_per_subset, transforms, seed: shorthands for ``data.sources``, ``data.limit``,
            ``data.limit_per_subset``, ``transforms`` and ``seed``, applied before ``overrides``.
        overrides: ``key.path=value`` assignments (what ``--set`` takes).
        transform_backend: a Backend for LLM-family transforms (else the suite's ``backend``).
        sweeps: ``"key=v1,v2"`` assignments (what ``--sweep`` takes): one judge per combination.
        max_cost: USD the run may spend at most (`BudgetExceeded` before it would spend more).
        executor, chunk_size: with ``out_dir``, the run streams in chunks of ``chunk_size`` items on
            ``executor`` (`judgekit.engine.make_executor`; default: local threads), resumable
            (`judgekit.eval.stream`).
    """
    from judgekit.eval.report import build_report

    shorthands: dict[str, Any] = {}
    if data is not None:
        shorthands["data.sources"] = [str(data)] if isinstance(data, str | Path) else [str(d) for d in data]
    for key, value in (("data.limit", limit), ("data.limit_per_subset", limit_per_subset), ("seed", seed)):
        if value is not None:
            shorthands[key] = value
    if transforms is not None:
        shorthands["transforms"] = list(transforms)
    resolved, built, transform_objects = prepare(suite, judges, shorthands=shorthands, overrides=overrides,
                                                 sweeps=sweeps)
    target = None
    if out_dir is not None:
        target = prepare_output(out_dir, command="eval", overwrite=overwrite or resolved.output.overwrite)
        from judgekit.engine.sources import DEFAULT_CHUNK_SIZE
        from judgekit.eval.stream import run_suite_stream

        try:
            report, _ = run_suite_stream(resolved, built, target, transforms=transform_objects, executor=executor,
                                         chunk_size=chunk_size or DEFAULT_CHUNK_SIZE,
                                         transform_backend=transform_backend, placements_for=placements_for,
                                         templates_of=templates_of, max_cost=max_cost)
        finally:
            for judge in built:
                if not any(judge is j for j in judges):
                    judge.close()
        return report
    try:
        result = execute(resolved, built, transform_backend=transform_backend, progress=progress,
                         transforms=transform_objects, max_cost=max_cost)
    finally:
        for judge in built:
            if not any(judge is j for j in judges):
                judge.close()
    report = build_report(result)
    if target is not None:
        write_run(result, report, target)
    return report


def write_run(result: RunResult, report: Any, target: OutputTarget) -> None:
    """Write the run folder (built in a temporary sibling, moved into place when complete)."""
    from judgekit.eval.folder import write_run_files

    with target.writing() as folder:
        write_run_files(folder, result, report)
