"""`judgekit synth RECIPE`: LLM-written variants (paraphrase, back-translation, ...) from a recipe."""

from __future__ import annotations

import click

from judgekit.cli.render import console


@click.command()
@click.argument("recipe")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="override a recipe field by dotted path, e.g. --set data.limit=5 --set backend.concurrency=32")
@click.option("--backend", "backend", metavar="SPEC",
              help="backend instead of the recipe's: embedded | hf:PATH | vllm:MODEL | openai:MODEL[@BASE_URL]")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="output folder (default: the recipe's)")
@click.option("--dry-run", is_flag=True, help="count requests, tokens, cache hits and cost; send nothing")
@click.option("--no-cache", is_flag=True, help="neither read nor write the response cache")
def synth(recipe: str, overrides: tuple[str, ...], backend: str | None, out_dir: str | None, dry_run: bool,
          no_cache: bool) -> None:
    """Run a synthesis RECIPE (a name from `judgekit ls recipes`, or a YAML path).

    Writes original + one dataset per transform + manifest.json (kept/dropped counts with reasons, usage,
    cache hits, versions). Completed requests are cached as they finish: an interrupted run resumes.

    \b
    Examples:
      judgekit synth demo-paraphrase
      judgekit synth paraphrase-train --set data.source=train.jsonl --backend openai:gpt-4o-mini --dry-run
      judgekit synth rewordbench-test --backend "openai:Qwen/Qwen2.5-7B-Instruct@http://localhost:8000/v1"
    """
    from judgekit.synth.recipe import load_recipe
    from judgekit.synth.runner import plan_recipe, run_recipe

    if backend:
        overrides = (*overrides, f"backend={backend}")
    spec = load_recipe(recipe, _backend_overrides(overrides))
    out = console()
    if dry_run:
        plan = plan_recipe(spec, no_cache=no_cache)
        out.print(_plan_table(spec.name, plan))
        return
    manifest = _run_with_progress(out, spec, run_recipe, no_cache=no_cache, out_dir=out_dir)
    out.print(_summary(manifest))
    usage = manifest.get("usage") or {}
    totals = manifest["totals"]
    line = f"kept {totals['kept']}, dropped {totals['dropped']} (of {totals['items']} items x {len(manifest['transforms'])} transforms)"
    if usage:
        line += (f"; requests {usage['requests']} (sent {usage['sent']}, cache hits {usage['cache_hits']}, "
                 f"failed {usage['failures']}, retries {usage['retries']})")
        if "cost_usd" in usage:
            line += f", cost ${usage['cost_usd']:.4f}"
    out.print(line)
    for export in manifest.get("exports", []):
        out.print(f"{export['kind']}: {export['records']} records ({export['comparisons']} comparisons + "
                  f"{export['rewrites']} rewrites, both orders) in {export['file']}", markup=False, highlight=False)
    out.print(f"wrote [bold]{out_dir or spec.out_dir()}[/bold] (manifest.json has the reasons per item)")


def _backend_overrides(overrides: tuple[str, ...]) -> list[str]:
    # "backend=SPEC" replaces the whole backend; parse it into fields so --set backend.x=y still composes
    from judgekit.backends.spec import parse_backend_spec

    result = []
    for item in overrides:
        key, _, value = item.partition("=")
        if key.strip() == "backend" and value and not value.lstrip().startswith("{"):
            fields = parse_backend_spec(value).model_dump(exclude_unset=True)
            result.append("backend={" + ", ".join(f"{k}: {_yaml(v)}" for k, v in fields.items()) + "}")
        else:
            result.append(item)
    return result


def _yaml(value) -> str:
    import json

    return json.dumps(value)


def _run_with_progress(out, spec, run_recipe, **options) -> dict:
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

        result = run_recipe(spec, progress=hook, **options)
    return result.manifest


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

    table = Table(title=f"synth {manifest['recipe']['name']} ({manifest['source']['items']} items)", title_justify="left")
    table.add_column("transform", style="cyan", no_wrap=True)
    table.add_column("kept", justify="right")
    table.add_column("dropped", justify="right")
    table.add_column("why dropped (count)", overflow="fold", max_width=70)
    for entry in manifest["transforms"]:
        reasons = ", ".join(f"{r} ({n})" for r, n in list(entry["dropped_reasons"].items())[:5])
        table.add_row(entry["name"], str(entry["kept"]), str(entry["dropped"]), reasons or "-")
    return table
