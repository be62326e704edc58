"""`judgekit data inspect|convert`."""

from __future__ import annotations

import json

import click

from judgekit.cli.options import overwrite_option
from judgekit.cli.render import console, kv_table


@click.group()
def data() -> None:
    """Look at and convert preference datasets."""


@data.command()
@click.argument("source")
@click.option("--format", "format_", metavar="NAME", help="input format (detected when omitted); see `judgekit ls formats`")
@click.option("--split", help="split of a `datasets` folder or hub dataset")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def inspect(source: str, format_: str | None, split: str | None, as_json: bool) -> None:
    """Count items, subsets, chosen x rejected shapes and lengths of SOURCE.

    SOURCE is a .json/.jsonl/.parquet file, a saved `datasets` folder, a hub id (org/name), or 'sample'
    (the bundled set).
    """
    from judgekit.data import inspect_examples
    from judgekit.data.selection import data_selection, select_examples

    selected = select_examples(data_selection(sources=[source], format=format_, split=split))
    stats = inspect_examples(selected)
    formats = sorted({i.format or "?" for i in selected.inputs()})
    report = {"source": source, "format": formats[0] if len(formats) == 1 else formats, **stats}
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    out = console()
    out.print(f"[bold]{source}[/bold]  format: [cyan]{', '.join(formats)}[/cyan]  items: [bold]{stats['count']}[/bold]")
    out.print(kv_table("subset", "items", stats["subsets"]))
    out.print(kv_table("chosen x rejected", "items", stats["chosen_x_rejected"]))
    lengths = stats["length_chars"]
    from rich.table import Table

    table = Table(title="length (characters)")
    for column in ("field", "min", "median", "mean", "max"):
        table.add_column(column, justify="right" if column != "field" else "left")
    for name, summary in lengths.items():
        table.add_row(name, *(str(summary[k]) for k in ("min", "median", "mean", "max")))
    out.print(table)


@data.command()
@click.argument("source")
@click.argument("out")
@click.option("--format", "format_", metavar="NAME", help="input format (detected when omitted)")
@click.option("--to", "to", type=click.Choice(["jsonl", "parquet", "datasets", "rewardbench", "trl"]),
              help="output format (default: from OUT's suffix; a folder = datasets)")
@click.option("--split", help="split of a `datasets` folder or hub dataset")
@click.option("--on-invalid", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="an invalid row fails the conversion, or is skipped and counted")
@overwrite_option
def convert(source: str, out: str, format_: str | None, to: str | None, split: str | None, on_invalid: str,
            overwrite: bool) -> None:
    """Convert SOURCE to OUT (streaming; nothing is written unless every item converts).

    OUT is a file (.jsonl, .parquet; an existing file needs --overwrite) or, for --to datasets or a name
    without a suffix, a folder (new or empty, or an earlier `judgekit data convert` output).
    """
    from judgekit.data.selection import data_selection, select_examples
    from judgekit.data.writers import infer_format, write_examples
    from judgekit.outputs import prepare_output

    to = to or infer_format(out)
    selected = select_examples(data_selection(sources=[source], format=format_, split=split, on_invalid=on_invalid))
    kind = "folder" if to == "datasets" else "file"
    target = prepare_output(out, command="convert", kind=kind, overwrite=overwrite, inputs=selected.paths())
    with target.writing() as path:
        count = write_examples(selected, path, to=to)
    formats = ", ".join(sorted({i.format or "?" for i in selected.inputs()}))
    click.echo(f"wrote {count} items ({formats} -> {to}) to {out}")
    if selected.skipped_count:
        click.echo(f"skipped {selected.skipped_count} invalid row(s), e.g. "
                   + "; ".join(f"{w}: {r}" for w, r in selected.skipped[:3]), err=True)
