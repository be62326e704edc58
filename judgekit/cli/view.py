"""`judgekit view DIR... [--out FILE]`: one self-contained HTML page over many run folders."""

from __future__ import annotations

from pathlib import Path

import click

from judgekit.cli.options import overwrite_option


@click.command()
@click.argument("dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out_file", default="judgekit-view.html", show_default=True, type=click.Path(dir_okay=False),
              help="the page to write (an earlier `judgekit view` page there is replaced)")
@click.option("--title", default="judgekit view", show_default=True, help="the page's title")
@overwrite_option
def view(dirs: tuple[str, ...], out_file: str, title: str, overwrite: bool) -> None:
    """Write one HTML page over the run folders in DIRS (each a run folder, or a folder holding run folders).

    The page has a sortable judge x variant table (accuracy on the originals, drop under each transform),
    every judge x variant with all its numbers (CIs, McNemar p, flips, score shift, bias and other metrics
    present in the reports), filters by suite, judge and transform, and a link to each run's report.html.
    It is self-contained: open it from disk, mail it, or keep it beside the runs (the links are relative).

    \b
    Examples:
      judgekit view runs/
      judgekit view runs/prompt-a runs/prompt-b runs/prompt-c --out runs/view.html
    """
    from judgekit.cli.render import console
    from judgekit.eval.view import find_runs, is_view_page, render_view, view_data
    from judgekit.outputs import prepare_output

    page = Path(out_file)
    target = prepare_output(page, command="view", kind="file", overwrite=overwrite or is_view_page(page))
    runs = find_runs(dirs)
    data = view_data(runs, page)
    with target.writing() as tmp:
        tmp.write_text(render_view(data, title=title), encoding="utf-8")
    console().print(f"wrote [bold]{page}[/bold]: {len(runs)} run(s), {len(data['rows'])} judge x variant results",
                    highlight=False)
