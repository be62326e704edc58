"""`judgekit transform SOURCE --transforms ... --out DIR`: rule-based robustness test sets."""

from __future__ import annotations

import click

from judgekit.cli.options import check_error_rate, engine_options, max_error_rate_option, overwrite_option
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
              help="processes (local), or CPUs of a local Ray instance; the output is identical for any number")
@click.option("--format", "format_", metavar="NAME", help="input format (detected when omitted); see `judgekit ls formats`")
@click.option("--split", help="split of a `datasets` folder or hub dataset")
@click.option("--on-invalid", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="an invalid input row fails the run, or is skipped and counted (file:line and reason in the manifest)")
@engine_options
@max_error_rate_option
def transform(source: str, selectors: tuple[str, ...], seed: int, out_dir: str, overwrite: bool, workers: int,
              format_: str | None, split: str | None, on_invalid: str, engine: str, ray_address: str | None,
              chunk_size: int, max_error_rate: float | None) -> None:
    """Write one transformed copy of SOURCE per transform, the originals and a manifest into --out.

    SOURCE is a .json/.jsonl/.parquet file, a saved `datasets` folder, a hub id, or 'sample'. Items a
    transform does not apply to (wrong domain, nothing to change) are left out of its file and counted.
    Any size of input runs in flat memory, in chunks; a killed run resumes when run again.

    \b
    Examples:
      judgekit transform sample --out t/
      judgekit transform data.jsonl -t naturalistic,rot13 --seed 1 --out t/
      judgekit transform data.jsonl -t "char-swap(rate=0.2)" -t add-quotes+punct-spaces --out t/
      judgekit transform big.jsonl -t char-swap,rot13 --workers 8 --out t/
      judgekit transform big.jsonl --engine ray --ray-address auto --out t/
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from judgekit.data.selection import data_selection, select_examples
    from judgekit.engine import make_executor
    from judgekit.engine.transform_run import check_transforms, run_transform
    from judgekit.outputs import prepare_output
    from judgekit.transforms.refs import select_transforms

    transforms = select_transforms(",".join(selectors))
    check_transforms(transforms)
    selection = data_selection(sources=[source], format=format_, split=split, on_invalid=on_invalid)
    target = prepare_output(out_dir, command="transform", overwrite=overwrite,
                            inputs=select_examples(selection).paths())
    executor = make_executor(engine, workers=workers, ray_address=ray_address)
    out = console()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=out, transient=True) as bar:
            task = bar.add_task(f"{len(transforms)} transforms", total=None)
            result = run_transform(selection, transforms, target, seed=seed, chunk_size=chunk_size,
                                   executor=executor,
                                   progress=lambda done, total: bar.update(task, completed=done, total=total))
    finally:
        executor.close()
    manifest, run = result.manifest, result.run
    items = manifest.original.items
    out.print(_summary(manifest, source, out.width))
    if run.resumed_chunks:
        out.print(f"resumed an unfinished run: {run.resumed_chunks} of {run.chunks} chunks were already done")
    engine_note = f", engine {run.engine}" if run.engine != "local" else ""
    out.print(f"wrote {len(transforms)} transformed sets + original.jsonl + manifest.json to [bold]{out_dir}[/bold]"
              f" ({items} items, format {manifest.inputs[0].format}, seed {seed}{engine_note})")
    if run.pool:
        out.print(f"first pass (the pool other items borrow from): {run.pool['seconds']:.1f} s, "
                  f"{run.pool['items']} items, {run.pool['memory_bytes'] / 2**20:.1f} MiB of arrays")
    skipped = sum(i.skipped for i in manifest.inputs)
    if skipped:
        out.print(f"[yellow]{skipped} invalid row(s) skipped[/yellow]: see skipped_rows in manifest.json")
    failed = sum(entry.failed for entry in manifest.transforms)
    check_error_rate(failed, items * len(transforms), max_error_rate or 0.0, "transformations", out_dir)


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
