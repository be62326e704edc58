"""`judgekit ls [KIND]`: what is registered (one table per registry) and shipped (spec files by name)."""

from __future__ import annotations

import importlib
import importlib.util

import click

from judgekit.cli.render import console

# registry kinds: name -> (module, attribute)
REGISTRIES: dict[str, tuple[str, str]] = {
    "formats": ("judgekit.data.adapters", "ADAPTERS"),
    "transforms": ("judgekit.transforms.base", "TRANSFORMS"),
    "backends": ("judgekit.backends.base", "BACKENDS"),
    "judge-kinds": ("judgekit.judges.base", "JUDGES"),
    "parsers": ("judgekit.judges.parsers", "PARSERS"),
    "metrics": ("judgekit.eval.metrics", "METRICS"),
    "filters": ("judgekit.synth.filters", "FILTERS"),
}
# shipped declarative files: name -> resource kind
FILES: dict[str, str] = {"judges": "judges", "suites": "eval", "recipes": "synth", "configs": "train", "prompts": "prompts",
                         "attacks": "attacks"}
KINDS = [*REGISTRIES, "datasets", *FILES]


def _registry(kind: str):
    module, attribute = REGISTRIES[kind]
    return getattr(importlib.import_module(module), attribute)


def _columns(entry) -> dict[str, str]:
    columns = getattr(entry.obj, "ls_columns", None)
    found = dict(columns()) if callable(columns) else {"description": entry.description}
    if entry.plugin:
        found["description"] = f"{found.get('description', '')} (plugin: {entry.plugin})"
    return found


def _datasets_table():
    from rich.table import Table

    from judgekit.data.hub import KNOWN, MIRROR_ENV, mirror_root

    root = mirror_root()
    table = Table(title=f"datasets ({len(KNOWN)}) — local mirror: {MIRROR_ENV}={root or '(unset)'}", title_justify="left")
    for column in ("hub id", "format", "mirror files (relative to the mirror)", "description"):
        table.add_column(column, no_wrap=column != "description", overflow="fold")
    for known in KNOWN.values():
        files = [p.mirror for p in known.parts if p.mirror]
        shown = ", ".join(files[:2]) + (f" (+{len(files) - 2})" if len(files) > 2 else "") or "(none public)"
        table.add_row(known.id, known.format, shown, f"{known.description}. {known.note}".strip())
    return table


@click.command()
@click.argument("kind", required=False, type=click.Choice(KINDS))
def ls(kind: str | None) -> None:
    """List what is registered (formats, transforms, backends, judge kinds, parsers, metrics, filters), the hub
    datasets judgekit knows, and what is shipped (judges, suites, recipes, configs, prompts)."""
    from rich.table import Table

    from judgekit import resources
    from judgekit.registry import load_plugins

    out = console()
    for name in [kind] if kind else KINDS:
        if name in REGISTRIES:
            rows = [(entry.name, _columns(entry)) for entry in _registry(name).entries()]
            table = Table(title=f"{name} ({len(rows)})", title_justify="left")
            table.add_column("name", style="cyan", no_wrap=True)
            for column in rows[0][1] if rows else ["description"]:
                table.add_column(column, no_wrap=column != "description", ratio=1 if column == "description" else None)
            for item, columns in rows:
                table.add_row(item, *columns.values())
        elif name == "datasets":
            table = _datasets_table()
        else:
            files = resources.list_names(FILES[name], (".jinja", ".j2") if name == "prompts" else (".yaml", ".yml"))
            if not files and kind is None:
                continue
            table = Table(title=f"{name} ({len(files)})", title_justify="left")
            table.add_column("name", style="cyan")
            for item in files:
                table.add_row(item)
        out.print(table)
    for entry, error in load_plugins().items():
        out.print(f"[red]plugin failed to load:[/red] {entry}: {error}")
