"""`judgekit report DIR` (re-render a run's reports) and `judgekit compare DIR1 DIR2` (two runs side by side)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from judgekit.cli.render import console


def _load(run_dir: str) -> dict[str, Any]:
    from judgekit.errors import SpecError
    from judgekit.provenance.report import upgrade_report

    path = Path(run_dir) / "report.json"
    if not path.is_file():
        raise SpecError(f"{run_dir}: no report.json here; give the folder `judgekit eval --out` wrote")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SpecError(f"{path}: not JSON ({exc})") from None
    return upgrade_report(data, where=str(path))


def summary_table(data: dict[str, Any], *, title: str | None = None):
    """A compact rich table of accuracy and robustness per judge x variant (report.md has every column)."""
    from rich.table import Table

    from judgekit.eval.markdown import drop_text, num, pct

    generative = any("parse_failure_rate" in r for r in data["results"])
    headers = ["judge", "variant", "n", "acc %", "drop pts [95% CI]", "p", "r→w %", "w→r %", "shift"]
    if generative:
        headers += ["pos. cons. %", "call err %", "parse fail %", "ties %"]
    table = Table(title=title or f"{data['suite']['name']}: {data['suite']['n_items']} items", title_justify="left")
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index < 2 else "right", no_wrap=True)
    for r in data["results"]:
        rob = r.get("robustness") or {}
        ci = rob.get("drop_ci") or [None, None]
        p_value = (rob.get("mcnemar") or {}).get("p_value")
        row = [r["judge"], r["variant"], str(rob.get("n_paired", r["n_items"])), pct(r.get("accuracy")), drop_text(rob),
               num(p_value, 2), pct(rob.get("flip_right_to_wrong")), pct(rob.get("flip_wrong_to_right")),
               num(rob.get("score_shift"), 2)]
        if generative:
            row += [pct(r.get("position_consistency")), pct(r.get("call_error_rate")), pct(r.get("parse_failure_rate")),
                    pct(r.get("tie_rate"))]
        style = "red" if ci[0] is not None and ci[0] > 0 else ("green" if ci[1] is not None and ci[1] < 0 else None)
        table.add_row(*row, style=style)
    return table


def wide_console():
    """The shared console, at least 150 columns wide when output is not a terminal (logs, CI)."""
    import sys

    from rich.console import Console

    return console() if sys.stdout.isatty() else Console(width=150)


def print_summary(out, data: dict[str, Any]) -> None:
    out.print(summary_table(data))
    out.print("[dim]red: significant drop (95% CI above 0); green: significant gain[/dim]")
    failed = [(t["name"], t["failed"]) for t in data["transforms"] if t["failed"]]
    if failed:
        out.print(f"[red]transform failures[/red]: {', '.join(f'{n} ({k})' for n, k in failed)} — see transforms.jsonl")
    for key, label in (("call_error_rate", "call errors"), ("parse_failure_rate", "parse failures")):
        cells = [(r["judge"], r["variant"], r[key]) for r in data["results"] if r.get(key)]
        if cells:
            worst = max(cells, key=lambda x: x[2])
            out.print(f"[yellow]{label}[/yellow] in {len(cells)} judge x variant cells (worst {100 * worst[2]:.1f}% "
                      f"for {worst[0]} on {worst[1]}); counted as {data['suite']['options']['failures']}",
                      highlight=False)
    for r in data["results"]:
        for name, message in (r.get("metric_errors") or {}).items():
            out.print(f"[red]metric {name} failed[/red] for {r['judge']} on {r['variant']}: {message}", highlight=False)


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
def report(run_dir: str) -> None:
    """Re-render report.md and report.html of RUN_DIR from its report.json, and print the summary."""
    from judgekit.eval.html import render_html
    from judgekit.eval.markdown import render_markdown
    from judgekit.outputs import write_text_atomic

    data = _load(run_dir)
    write_text_atomic(Path(run_dir) / "report.md", render_markdown(data))
    write_text_atomic(Path(run_dir) / "report.html", render_html(data))
    out = wide_console()
    print_summary(out, data)
    out.print(f"wrote {Path(run_dir) / 'report.md'} and {Path(run_dir) / 'report.html'}")


def compare_rows(left: dict[str, Any], right: dict[str, Any]) -> list[list[str]]:
    """judge, variant, accuracy and drop in each run, and the differences, for cells present in either."""
    from judgekit.eval.markdown import drop_text, pct

    def index(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(r["judge"], r["variant"]): r for r in data["results"]}

    a, b = index(left), index(right)
    rows = []
    for key in list(dict.fromkeys([*a, *b])):
        ra, rb = a.get(key), b.get(key)
        acc_a = ra["accuracy"] if ra else None
        acc_b = rb["accuracy"] if rb else None
        delta = f"{100 * (acc_b - acc_a):+.1f}" if acc_a is not None and acc_b is not None else "–"
        rows.append([key[0], key[1], pct(acc_a), pct(acc_b), delta,
                     drop_text(ra.get("robustness") if ra else None), drop_text(rb.get("robustness") if rb else None)])
    return rows


@click.command()
@click.argument("run_a", type=click.Path(exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False))
@click.option("--markdown", "as_markdown", is_flag=True, help="print a Markdown table instead")
def compare(run_a: str, run_b: str, as_markdown: bool) -> None:
    """Put two runs side by side: accuracy and drop of each judge x variant in RUN_A and RUN_B."""
    from judgekit.eval.markdown import table as md_table

    left, right = _load(run_a), _load(run_b)
    headers = ["judge", "variant", f"accuracy % ({Path(run_a).name})", f"accuracy % ({Path(run_b).name})",
               "Δ pts", f"drop ({Path(run_a).name})", f"drop ({Path(run_b).name})"]
    rows = compare_rows(left, right)
    if as_markdown:
        click.echo(md_table(headers, rows))
        return
    from rich.table import Table

    table = Table(title=f"{run_a} vs {run_b}", title_justify="left")
    for k, header in enumerate(headers):
        table.add_column(header, justify="left" if k < 2 else "right")
    for row in rows:
        table.add_row(*row)
    console().print(table)
