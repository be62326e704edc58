"""`judgekit synth RECIPE`: LLM-written variants (paraphrase, back-translation, ...) from a recipe."""

from __future__ import annotations

from pathlib import Path

import click

from judgekit.cli.options import (
    check_error_rate,
    engine_options,
    max_error_rate_option,
    overwrite_option,
    set_option,
)
from judgekit.cli.render import console


@click.command()
@click.argument("recipe")
@set_option("recipe")
@click.option("--backend", "backend", metavar="SPEC",
              help="backend instead of the recipe's: embedded | hf:PATH | vllm:MODEL | openai:MODEL[@BASE_URL] | mock")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="output folder (default: the recipe's)")
@overwrite_option
@click.option("--dry-run", is_flag=True, help="count requests, tokens, cache hits and cost; send nothing")
@click.option("--no-cache", is_flag=True, help="neither read nor write the response cache")
@engine_options
@max_error_rate_option
def synth(recipe: str, overrides: tuple[str, ...], backend: str | None, out_dir: str | None, overwrite: bool,
          dry_run: bool, no_cache: bool, engine: str, ray_address: str | None, chunk_size: int,
          max_error_rate: float | None) -> None:
    """Run a synthesis RECIPE (a name from `judgekit ls recipes`, or a YAML path).

    Writes original + one dataset per transform + manifest.json (kept/dropped counts with reasons, usage,
    cache hits, versions). Any size of data runs in chunks; completed chunks and requests are kept as they
    finish: an interrupted run resumes when run again.
    Flags apply first, then every --set: `--backend openai:M@URL --set backend.concurrency=8` means 8.

    \b
    Examples:
      judgekit synth demo-paraphrase
      judgekit synth paraphrase-train --set data.sources=[train.jsonl] --backend openai:gpt-4o-mini --dry-run
      judgekit synth rewordbench-test --backend "openai:Qwen/Qwen2.5-7B-Instruct@http://localhost:8000/v1"
    """
    from judgekit.outputs import prepare_output
    from judgekit.synth.recipe import load_recipe
    from judgekit.synth.runner import plan_recipe, run_recipe

    shorthands: dict = {}
    if backend:
        shorthands["backend"] = backend
    if out_dir:
        shorthands["output.dir"] = str(Path(out_dir).expanduser().absolute())
    if overwrite:
        shorthands["output.overwrite"] = True
    if max_error_rate is not None:
        shorthands["max_error_rate"] = max_error_rate
    spec = load_recipe(recipe, overrides, shorthands=shorthands)
    out = console()
    if dry_run:
        plan = plan_recipe(spec, no_cache=no_cache)
        out.print(_plan_table(spec.name, plan))
        return
    from judgekit.data.selection import select_examples
    from judgekit.synth.stream import synth_executor

    target = prepare_output(spec.out_dir(), command="synth", overwrite=spec.output.overwrite,
                            inputs=select_examples(spec.data, base=spec.base_dir).paths())
    executor = synth_executor(spec, engine, ray_address=ray_address)
    try:
        result = _run_with_progress(out, spec, run_recipe, no_cache=no_cache, target=target, executor=executor,
                                    chunk_size=chunk_size)
    finally:
        executor.close()
    manifest = result.summary
    out.print(_summary(manifest))
    usage = manifest.usage or {}
    totals = manifest.totals
    line = f"kept {totals.kept}, dropped {totals.dropped} (of {totals.items} items x {len(manifest.transforms)} transforms)"
    if usage:
        line += (f"; requests {usage['requests']} (sent {usage['sent']}, cache hits {usage['cache_hits']}, "
                 f"failed {usage['failures']}, retries {usage['retries']})")
        if "cost_usd" in usage:
            line += f", cost ${usage['cost_usd']:.4f}"
    out.print(line)
    for export in manifest.exports:
        out.print(f"{export.kind}: {export.records} records ({export.comparisons} comparisons + "
                  f"{export.rewrites} rewrites, both orders) in {export.file}", markup=False, highlight=False)
    run = result.run
    if run is not None and run.resumed_chunks:
        out.print(f"resumed an unfinished run: {run.resumed_chunks} of {run.chunks} chunks were already done")
    engine_note = f", engine {run.engine}" if run is not None and run.engine != "local" else ""
    out.print(f"wrote [bold]{result.out_dir}[/bold] (manifest.json has the reasons per item{engine_note})")
    if usage:
        check_error_rate(usage.get("failures", 0), usage.get("requests", 0), spec.max_error_rate, "requests",
                         result.out_dir)
    failed = sum(entry.failed for entry in manifest.transforms)
    check_error_rate(failed, totals.items * len(manifest.transforms), spec.max_error_rate, "transformations",
                     result.out_dir)


def _run_with_progress(out, spec, run_recipe, **options):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]} req/s"), TimeElapsedColumn(), TextColumn("eta"),
                  TimeRemainingColumn(), TextColumn("cache {task.fields[hits]}  failed {task.fields[failures]}"),
                  console=out, transient=False) as bar:
        task = bar.add_task(f"synth {spec.name}", total=None, rate="-", hits=0, failures=0)
        import time

        start = time.monotonic()

        def hook(state: dict) -> None:
            elapsed = max(time.monotonic() - start, 1e-6)
            bar.update(task, completed=state["done"], total=state["total"] or None, hits=state["cache_hits"],
                       failures=state["failures"], rate=f"{state['done'] / elapsed:.1f}")

        return run_recipe(spec, progress=hook, **options)


def _plan_table(name: str, plan):
    from judgekit.cli.render import kv_table

    rows = {"items": plan.items, "transforms": len(plan.transforms), "backend": plan.backend or "(none needed)",
            "requests (first attempts)": plan.requests, "cache hits": plan.cache_hits,
            "to send": plan.requests - plan.cache_hits, "est. prompt tokens": plan.prompt_tokens,
            "est. completion tokens": plan.completion_tokens,
            "est. cost (USD)": "(no prices given)" if plan.cost_usd is None else f"{plan.cost_usd:.4f}"}
    for transform, count in plan.by_transform.items():
        rows[f"  {transform}"] = count
    for export in plan.exports:
        rows[f"writes judge/{export}.jsonl"] = "both A/B orders, originals + kept rewrites"
    return kv_table("dry run", name, rows, title=f"judgekit synth {name} --dry-run (nothing sent; resamples not counted)")


def _summary(manifest: dict):
    from rich.table import Table

    table = Table(title=f"synth {manifest.recipe['name']} ({manifest.totals.items} items)", title_justify="left")
    table.add_column("transform", style="cyan", no_wrap=True)
    table.add_column("kept", justify="right")
    table.add_column("dropped", justify="right")
    table.add_column("why dropped (count)", overflow="fold", max_width=70)
    for entry in manifest.transforms:
        reasons = ", ".join(f"{r} ({n})" for r, n in list((entry.dropped_reasons or {}).items())[:5])
        table.add_row(entry.name, str(entry.kept), str(entry.dropped), reasons or "-")
    return table
