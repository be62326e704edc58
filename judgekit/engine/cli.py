"""`judgekit transform` on the streaming engine (flags: --engine, --ray-address, --chunk-size, --on-invalid).

Until the CLI registers it, run it as ``python -m judgekit.engine.cli SOURCE -t ... --out DIR``. It writes
the same folder as `judgekit.cli.transform` (plus the manifest's ``invalid`` section), in flat memory, and
resumes a killed run.
"""

from __future__ import annotations

import click

from judgekit.cli.render import console


@click.command()
@click.argument("source")
@click.option("--transforms", "-t", "selectors", multiple=True, default=["all"], show_default=True,
              metavar="NAMES|FAMILY|all",
              help="comma-separated transform names, compositions (a+b), families, globs (jailbreak-*) or 'all' "
                   "(every rule-based transform); repeatable; see `judgekit ls transforms`")
@click.option("--seed", default=0, show_default=True, type=int, help="seed of every item's random choices")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="folder to write (replaced as a whole when the run succeeds; a killed run resumes)")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="processes (local) or CPUs of a local Ray instance; the output is identical for any number")
@click.option("--format", "format_", metavar="NAME", help="input format (detected when omitted); see `judgekit ls formats`")
@click.option("--split", help="split of a `datasets` folder or hub dataset")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local processes, or Ray Data (pip install 'judgekit[ray]')")
@click.option("--ray-address", metavar="ADDRESS",
              help="attach to a running Ray cluster ('auto', or the head's host:port); default: start a local one")
@click.option("--chunk-size", default=1000, show_default=True, type=click.IntRange(min=1),
              help="items per chunk: the unit of work, of memory and of resumption")
@click.option("--on-invalid", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="an unreadable row (bad JSON, a missing or empty field, a duplicate id) stops the run, or is "
                   "skipped and listed with its file:line in the manifest")
def transform(source: str, selectors: tuple[str, ...], seed: int, out_dir: str, workers: int, format_: str | None,
              split: str | None, engine: str, ray_address: str | None, chunk_size: int, on_invalid: str) -> None:
    """Write one transformed copy of SOURCE per transform, the originals and a manifest into --out.

    \b
    Examples:
      judgekit transform big.jsonl -t char-swap,rot13 --workers 8 --out t/
      judgekit transform big.jsonl --engine ray --ray-address auto --out t/
      judgekit transform logs.jsonl --on-invalid skip --out t/
    """
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from judgekit.cli.transform import _summary
    from judgekit.engine.pipeline import make_executor
    from judgekit.engine.transform_pipeline import run_transform

    out = console()
    executor = make_executor(engine, workers=workers, ray_address=ray_address)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=out, transient=True) as bar:
            task = bar.add_task("items", total=None)

            def advance(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            summary = run_transform(source, ",".join(selectors), out_dir, seed=seed, format=format_, split=split,
                                    on_invalid=on_invalid, chunk_size=chunk_size, executor=executor,
                                    progress=advance)
    finally:
        executor.close()
    out.print(_summary(summary, out.width))
    run = summary["run"]
    if run["resumed_chunks"]:
        out.print(f"resumed an unfinished run: {run['resumed_chunks']} of {run['chunks']} chunks were already done")
    items, skipped = summary["source"]["items"], summary["invalid"]["skipped"]
    out.print(f"wrote {len(summary['transforms'])} transformed sets + original.jsonl + manifest.json to "
              f"[bold]{out_dir}[/bold] ({items} items, format {summary['source']['format']}, seed {seed}, "
              f"engine {run['engine']})")
    pool = run.get("pool")
    if pool:
        out.print(f"first pass (the pool other items borrow from): {pool['seconds']:.1f} s, {pool['items']} items, "
                  f"{pool['memory_bytes'] / 2**20:.1f} MiB of arrays")
    manifest = os.path.join(out_dir, "manifest.json")
    if skipped:
        out.print(f"[yellow]{skipped} row(s) skipped[/yellow] (--on-invalid skip): see invalid.items in {manifest}")
    failed = sum(entry["counts"]["failed"] for entry in summary["transforms"])
    if failed:
        out.print(f"[red]{failed} item(s) failed[/red]: see failed_items in {manifest}")


def main(argv: list[str] | None = None) -> None:
    import sys

    from judgekit.errors import JudgekitError

    try:
        transform.main(args=argv, prog_name="judgekit transform", standalone_mode=False)
    except JudgekitError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted: run the same command again to resume", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
