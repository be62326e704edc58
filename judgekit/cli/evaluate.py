"""`judgekit eval SUITE --judge J [--judge J2 ...]`: original vs transformed, side by side."""

from __future__ import annotations

import click


@click.command("eval")
@click.argument("suite")
@click.option("--judge", "-j", "judges", multiple=True, metavar="NAME|YAML|FOLDER",
              help="a judge spec name (see `judgekit ls judges`), a YAML file, or a local reward-model folder "
                   "(AutoModelForSequenceClassification, num_labels=1); repeatable; default: the suite's judges")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="run folder to write (default: runs/<suite>-<UTC time>)")
@click.option("--data", "data", multiple=True, metavar="PATH",
              help="replace the suite's data (file, glob, saved datasets folder, hub id or 'sample'); repeatable")
@click.option("--transforms", "-t", "transforms", multiple=True, metavar="SELECTOR",
              help="replace the suite's transforms: names, families, globs, 'name(arg=v)', a+b, or 'all'")
@click.option("--limit", type=click.IntRange(min=1), help="first N items overall")
@click.option("--limit-per-subset", type=click.IntRange(min=1), help="first N items of each subset")
@click.option("--seed", type=int, help="override the suite's seed (transforms, bootstrap, placements)")
@click.option("--backend", metavar="SPEC", help="backend for LLM-family transforms, e.g. embedded or openai:MODEL@URL")
def eval_command(suite: str, judges: tuple[str, ...], out_dir: str | None, data: tuple[str, ...],
                 transforms: tuple[str, ...], limit: int | None, limit_per_subset: int | None, seed: int | None,
                 backend: str | None) -> None:
    """Run SUITE (a name from `judgekit ls suites` or a YAML file) and write a run folder with
    suite.yaml, judgments.jsonl, transforms.jsonl, report.json, report.md and report.html.

    \b
    Examples:
      judgekit eval demo
      judgekit eval rewordbench --judge runs/minilm-rm --out runs/eval-minilm
      judgekit eval rewordbench --judge my-rm/ --data heldout.jsonl -t controlled
      judgekit eval judgebench-position --judge openai-pairwise
    """
    import datetime as dt
    from pathlib import Path

    from judgekit.cli.render import quiet_libraries
    from judgekit.eval import run_suite
    from judgekit.eval.suite import load_suite

    quiet_libraries()

    resolved, _ = load_suite(suite)
    if out_dir is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        out_dir = str(Path("runs") / f"{resolved.name}-{stamp}")
    transform_backend = None
    if backend is not None:
        from judgekit.backends import load_backend

        transform_backend = load_backend(backend)
    from judgekit.cli.report import wide_console

    out = wide_console()
    with out.status("evaluating") as status:
        report = run_suite(suite, list(judges), out_dir=out_dir, data=list(data) or None, limit=limit,
                           limit_per_subset=limit_per_subset, transforms=list(transforms) or None, seed=seed,
                           transform_backend=transform_backend, progress=lambda m: status.update(m))
    from judgekit.cli.report import print_summary

    print_summary(out, report.data)
    out.print(f"wrote [bold]{out_dir}[/bold] (report.html, report.md, report.json, judgments.jsonl)")
