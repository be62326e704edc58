"""`judgekit transform SOURCE --transforms ... --out DIR`: rule-based robustness test sets."""

from __future__ import annotations

import click

from judgekit.cli.options import check_error_rate, max_error_rate_option, overwrite_option
from judgekit.cli.render import console


@click.command()
@click.argument("source")
@click.option("--transforms", "-t", "selectors", multiple=True, default=["all"], show_default=True,
              metavar="NAMES|FAMILY|all",
              help="comma-separated transform names, compositions (a+b), families, globs (jailbreak-*) or 'all' "
                   "(every rule-based transform); repeatable; see `judgekit ls transforms`")
@click.option("--seed", default=0, show_default=True, type=int, help="seed of every item's random choices")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="folder to write (a new folder, or an earlier `judgekit transform` output)")
@overwrite_option
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="processes (the output is identical for any number)")
@click.option("--format", "format_", metavar="NAME", help="input format (detected when omitted); see `judgekit ls formats`")
@click.option("--split", help="split of a `datasets` folder or hub dataset")
@click.option("--on-invalid", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="an invalid input row fails the run, or is skipped and counted (file:line and reason in the manifest)")
@max_error_rate_option
def transform(source: str, selectors: tuple[str, ...], seed: int, out_dir: str, overwrite: bool, workers: int,
              format_: str | None, split: str | None, on_invalid: str, max_error_rate: float | None) -> None:
    """Write one transformed copy of SOURCE per transform, the originals and a manifest into --out.

    SOURCE is a .json/.jsonl/.parquet file, a saved `datasets` folder, a hub id, or 'sample'. Items a
    transform does not apply to (wrong domain, nothing to change) are left out of its file and counted.

    \b
    Examples:
      judgekit transform sample --out t/
      judgekit transform data.jsonl -t naturalistic,rot13 --seed 1 --out t/
      judgekit transform data.jsonl -t "char-swap(rate=0.2)" -t add-quotes+punct-spaces --out t/
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from judgekit.data.selection import data_selection, select_examples
    from judgekit.errors import SpecError
    from judgekit.outputs import prepare_output
    from judgekit.transforms.engine import run_transforms
    from judgekit.transforms.manifest import write_run
    from judgekit.transforms.refs import select_transforms

    transforms = select_transforms(",".join(selectors))
    llm = [t.display_name() for t in transforms if t.needs_backend]
    if llm:
        raise SpecError(f"{', '.join(llm)} need(s) an LLM backend, which `judgekit transform` does not take: "
                        "use `judgekit synth` for paraphrase / back-translation")
    selected = select_examples(data_selection(sources=[source], format=format_, split=split, on_invalid=on_invalid))
    target = prepare_output(out_dir, command="transform", overwrite=overwrite, inputs=selected.paths())
    examples = list(selected)
    out = console()
    total = len(examples) * len(transforms)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=out,
                  transient=True) as bar:
        task = bar.add_task(f"{len(transforms)} transforms x {len(examples)} items", total=total)
        outcomes = run_transforms(examples, transforms, seed=seed, workers=workers,
                                  progress=lambda _name, done: bar.advance(task, done))
    with target.writing() as folder:
        manifest = write_run(folder, examples, outcomes, inputs=selected.inputs(), seed=seed,
                             skipped=selected.skipped)
    out.print(_summary(manifest, source, out.width))
    out.print(f"wrote {len(transforms)} transformed sets + original.jsonl + manifest.json to [bold]{out_dir}[/bold]"
              f" ({len(examples)} items, format {manifest.inputs[0].format}, seed {seed})")
    if selected.skipped_count:
        out.print(f"[yellow]{selected.skipped_count} invalid row(s) skipped[/yellow]: see skipped_rows in manifest.json")
    failed = sum(entry.failed for entry in manifest.transforms)
    check_error_rate(failed, total, max_error_rate or 0.0, "transformations", out_dir)


def _summary(manifest, source: str, width: int):
    from rich.table import Table

    table = Table(title=f"transforms of {source} ({manifest.original.items} items)", title_justify="left")
    names = [entry.name for entry in manifest.transforms]
    table.add_column("transform", style="cyan", no_wrap=True, min_width=min(max(map(len, names)), 40))
    table.add_column("family", no_wrap=True, min_width=12)
    for column in ("transformed", "n/a", "failed"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    room = width - (min(max(map(len, names)), 40) + 12 + len("transformedn/afailed") + 19)
    if room >= 20:  # on a narrow terminal the reasons stay in manifest.json
        table.add_column("most common n/a reason", overflow="ellipsis", no_wrap=True, max_width=room)
    for entry in manifest.transforms:
        reasons = entry.not_applicable_reasons
        top = next(iter(reasons), "")
        row = [
            entry.name,
            entry.family,
            str(entry.transformed),
            str(entry.not_applicable) if entry.not_applicable else "-",
            f"[red]{entry.failed}[/red]" if entry.failed else "-",
            f"{top} ({reasons[top]})" if top else "",
        ]
        table.add_row(*row[:len(table.columns)])
    return table
