"""`judgekit eval SUITE --judge J [--judge J2 ...]`: original vs transformed, side by side."""

from __future__ import annotations

import click

from judgekit.cli.evaluate_output import print_judge_pairs, print_plan
from judgekit.cli.options import (
    absolute_if_local,
    check_error_rate,
    engine_options,
    max_error_rate_option,
    overwrite_option,
    set_option,
)
from judgekit.cli.render import console

PATH_KEYS = ("template", "rubric_file", "fewshot_file")


def _local_paths(sweep: str) -> str:
    """A --sweep of a path field with its values made absolute where they are files here."""
    key, sep, values = sweep.partition("=")
    if key.strip() not in PATH_KEYS or values.strip().startswith("["):
        return sweep
    from judgekit.eval.sweep import split_values

    return f"{key}{sep}" + ",".join(absolute_if_local(v) for v in split_values(values))


@click.command("eval")
@click.argument("suite")
@click.option("--judge", "-j", "judges", multiple=True, metavar="NAME|YAML|FOLDER",
              help="a judge spec name (see `judgekit ls judges`), a YAML file, or a local model folder; repeatable; "
                   "default: the suite's judges")
@set_option("suite")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="run folder to write (default: runs/<suite>-<UTC time>)")
@overwrite_option
@click.option("--data", "data", multiple=True, metavar="PATH",
              help="replace the suite's data sources (file, glob, saved datasets folder, hub id or 'sample'); repeatable")
@click.option("--transforms", "-t", "transforms", multiple=True, metavar="SELECTOR",
              help="replace the suite's transforms: names, families, globs, 'name(arg=v)', a+b, or 'all'")
@click.option("--limit", type=click.IntRange(min=1), help="first N items overall (data.limit)")
@click.option("--limit-per-subset", type=click.IntRange(min=1), help="first N items of each subset (data.limit_per_subset)")
@click.option("--seed", type=int, help="override the suite's seed (transforms, bootstrap, placements)")
@click.option("--backend", metavar="SPEC", help="backend for LLM-family transforms, e.g. embedded or openai:MODEL@URL")
@engine_options
@click.option("--judge-gpus", type=click.FloatRange(min=0), default=0, show_default=True, metavar="N",
              help="GPUs per scalar-judge actor with --engine ray (0.5: two actors share a GPU; 0: CPUs)")
@max_error_rate_option
@click.option("--sweep", "sweeps", multiple=True, metavar="KEY=V1,V2",
              help="evaluate each judge once per value of a judge-spec field (every combination of repeated "
                   "--sweep), each as its own named judge, e.g. --sweep template=a.jinja,b.jinja")
@click.option("--dry-run", is_flag=True,
              help="check templates and print per judge the requests, cache hits, estimated tokens and cost; "
                   "send nothing, write nothing")
@click.option("--max-cost", type=click.FloatRange(min=0), metavar="USD",
              help="stop (exit 5) before judge or transform calls could spend more than this; done work stays "
                   "cached, so a rerun resumes (needs the backends' price_input_per_mtok/price_output_per_mtok)")
def eval_command(suite: str, judges: tuple[str, ...], overrides: tuple[str, ...], out_dir: str | None,
                 overwrite: bool, data: tuple[str, ...], transforms: tuple[str, ...], limit: int | None,
                 limit_per_subset: int | None, seed: int | None, backend: str | None, engine: str,
                 ray_address: str | None, chunk_size: int, judge_gpus: float, max_error_rate: float | None,
                 sweeps: tuple[str, ...], dry_run: bool, max_cost: float | None) -> None:
    """Run SUITE (a name from `judgekit ls suites` or a YAML file) and write a run folder with
    suite.yaml, judgments.jsonl, transforms.jsonl, report.json, report.md and report.html.

    Flags apply first, then every --set: `-j openai-pairwise --set judges.0.backend.base_url=URL` points a
    shipped judge at your server. With several judges (or a --sweep) the report compares every pair of
    judges on the same items.

    \b
    Examples:
      judgekit eval demo
      judgekit eval rewordbench --judge runs/minilm-rm --out runs/eval-minilm
      judgekit eval rewordbench --judge my-rm/ --data heldout.jsonl -t controlled
      judgekit eval judgebench-position -j openai-pairwise --set judges.0.backend.model=gpt-4o
      judgekit eval judgebench-position -j openai-pairwise --dry-run
      judgekit eval my-suite.yaml -j my-judge.yaml --sweep template=a.jinja,b.jinja --sweep temperature=0,0.7
    """
    import datetime as dt
    from pathlib import Path

    from judgekit.cli.render import quiet_libraries
    from judgekit.cli.report import print_summary, wide_console
    from judgekit.eval.runner import placements_for, prepare, templates_of
    from judgekit.outputs import prepare_output

    shorthands: dict = {}
    if judges:
        shorthands["judges"] = [absolute_if_local(j) for j in judges]
    if data:
        shorthands["data.sources"] = [absolute_if_local(d) for d in data]
    if transforms:
        from judgekit.specfile import split_top

        shorthands["transforms"] = [part for t in transforms for part in split_top(t, ",") if part]
    for key, value in (("data.limit", limit), ("data.limit_per_subset", limit_per_subset), ("seed", seed),
                       ("backend", backend), ("max_error_rate", max_error_rate)):
        if value is not None:
            shorthands[key] = value
    if out_dir:
        shorthands["output.dir"] = str(Path(out_dir).expanduser().absolute())
    if overwrite:
        shorthands["output.overwrite"] = True
    resolved, built, transform_objects = prepare(suite, shorthands=shorthands, overrides=overrides,
                                                 sweeps=[_local_paths(s) for s in sweeps])
    if dry_run:
        from judgekit.eval.preflight import plan_run

        try:
            plan = plan_run(resolved, built, transform_objects)
        finally:
            for judge in built:
                judge.close()
        print_plan(console(), resolved.name, plan, max_cost)
        return
    target_dir = resolved.output.dir
    if target_dir is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        target_dir = str(Path("runs") / f"{resolved.name}-{stamp}")
    from judgekit.data.selection import select_examples

    target = prepare_output(target_dir, command="eval", overwrite=resolved.output.overwrite,
                            inputs=select_examples(resolved.data, base=resolved.base_dir).paths())
    quiet_libraries()
    out = wide_console()
    from judgekit.engine import make_executor
    from judgekit.eval.stream import CHUNKS_IN_FLIGHT, run_suite_stream

    executor = make_executor(engine, ray_address=ray_address, threads=CHUNKS_IN_FLIGHT if engine == "local" else 0)
    try:
        with out.status("evaluating"):
            report, run = run_suite_stream(resolved, built, target, transforms=transform_objects, executor=executor,
                                           chunk_size=chunk_size, gpus=judge_gpus, placements_for=placements_for,
                                           templates_of=templates_of, max_cost=max_cost)
    finally:
        executor.close()
        for judge in built:
            judge.close()
    print_summary(out, report.data)
    print_judge_pairs(out, report.data)
    if run.resumed_chunks:
        out.print(f"resumed an unfinished run: {run.resumed_chunks} of {run.chunks} chunks were already done")
    out.print(f"wrote [bold]{target_dir}[/bold] (report.html, report.md, report.json, judgments.jsonl)")
    calls = sum(int(j["stats"].get("calls", 0)) for j in report.data["judges"])
    errors = sum(int(j["stats"].get("call_errors", 0)) for j in report.data["judges"])
    check_error_rate(errors, calls, resolved.max_error_rate, "judge calls", target_dir)
    failed = sum(t["failed"] for t in report.data["transforms"])
    check_error_rate(failed, report.data["suite"]["n_items"] * max(1, len(report.data["transforms"])),
                     resolved.max_error_rate,
                     "transformations", target_dir)
