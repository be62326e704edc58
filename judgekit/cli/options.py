"""Options every command that reads a spec or writes an output shares, spelled and handled one way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from judgekit.errors import RunFailed


def set_option(what: str) -> Callable[[Any], Any]:
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                        help=f"override a {what} field by dotted path, applied after the other flags, e.g. "
                             "--set backend.concurrency=8 (repeatable)")


overwrite_option = click.option(
    "--overwrite", is_flag=True,
    help="write into a folder that holds other files, replacing only judgekit's own files there")

max_error_rate_option = click.option(
    "--max-error-rate", type=click.FloatRange(0, 1), default=None, metavar="SHARE",
    help="exit 3 (after writing everything) when more than this share of calls or items failed; default 0: any")


def absolute_if_local(value: str) -> str:
    """A path given on the command line, made absolute so a spec file's folder does not change its meaning
    (relative paths inside a spec are looked up beside the spec first)."""
    import glob

    path = Path(value).expanduser()
    if path.exists():
        return str(path.resolve())
    if glob.has_magic(value) and glob.glob(str(path)):
        return str(path if path.is_absolute() else Path.cwd() / path)
    return value


def check_error_rate(failed: int, total: int, limit: float, what: str, where: str) -> None:
    """Raise `RunFailed` (exit 3) when ``failed / total`` exceeds ``limit`` (outputs are already written)."""
    if total and failed / total > limit:
        raise RunFailed(f"{failed} of {total} {what} failed ({100 * failed / total:.1f}% > "
                        f"{100 * limit:g}% allowed by --max-error-rate); outputs written to {where}, reasons inside")


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--engine, --ray-address and --chunk-size (the streaming engine's choices; outputs do not depend on them)."""
    for option in reversed([
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="local processes, or Ray Data (pip install 'judgekit[ray]')"),
        click.option("--ray-address", metavar="ADDRESS",
                     help="attach to a running Ray cluster ('auto', or the head's HOST:PORT); default: start a "
                          "local one (with --engine ray)"),
        click.option("--chunk-size", default=1000, show_default=True, type=click.IntRange(min=1),
                     help="items per chunk: the unit of work, of memory and of resumption"),
    ]):
        command = option(command)
    return command
