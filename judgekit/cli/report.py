"""`judgekit report DIR` (re-render a run's reports) and `judgekit compare DIR1 DIR2` (two runs side by side)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from judgekit.cli.render import console


def _load(run_dir: str) -> dict[str, Any]:
    from judgekit.eval.rundir import load_report

    return load_report(run_dir)


def summary_table(data: dict[str, Any], *, title: str | None = None):
    """A compact rich table of accuracy and robustness per judge x variant (report.md has every column)."""
    from rich.table import Table

    from judgekit.eval.markdown import drop_text, num, pct, visibility_text

    generative = any("parse_failure_rate" in r for r in data["results"])
    headers = ["judge", "variant", "n", "acc %", "drop pts [95% CI]", "p", "r→w %", "w→r %", "shift", "same input %"]
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
               num(rob.get("score_shift"), 2), visibility_text(rob).replace(" invisible", "")]
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


def rich_table(table):
    """A judgekit.eval.tables.Table as a rich table (judge and variant left-aligned, numbers right)."""
    from rich.table import Table

    out = Table(title=table.title, title_justify="left")
    for index, header in enumerate(table.headers):
        out.add_column(header, justify="left" if index < 2 else "right")
    for row in table.rows:
        out.add_row(*row)
    return out


def print_tables(out, tables, *, notes: bool = True) -> None:
    for table in tables:
        out.print(rich_table(table))
        if notes:
            for note in table.notes:
                out.print(f"[dim]{escape_markup(note)}[/dim]", highlight=False)


def escape_markup(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def print_summary(out, data: dict[str, Any]) -> None:
    from judgekit.eval.tables import bias_tables, official_tables

    out.print(summary_table(data))
    out.print("[dim]red: significant drop (95% CI above 0); green: significant gain[/dim]")
    print_tables(out, official_tables(data["results"], details=False))
    original = [r for r in data["results"] if r["variant"] == "original"]
    bias = bias_tables(original)
    if bias:
        print_tables(out, bias, notes=False)
        out.print("[dim]bias on the original items, with bootstrap 95% CIs; report.md has every variant[/dim]")
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
    from judgekit.eval.rundir import replace_reports

    data = _load(run_dir)
    replace_reports(run_dir, {"report.md": render_markdown(data), "report.html": render_html(data)})
    out = wide_console()
    print_summary(out, data)
    out.print(f"wrote {Path(run_dir) / 'report.md'} and {Path(run_dir) / 'report.html'}")


def compare_rows(left: dict[str, Any], right: dict[str, Any]) -> list[list[str]]:
    """judge, variant, accuracy and drop in each run, and the differences, for cells present in either."""
    from judgekit.eval.markdown import drop_text, pct

    a, b = _index(left), _index(right)
    rows = []
    for key in list(dict.fromkeys([*a, *b])):
        ra, rb = a.get(key), b.get(key)
        acc_a = ra["accuracy"] if ra else None
        acc_b = rb["accuracy"] if rb else None
        delta = f"{100 * (acc_b - acc_a):+.1f}" if acc_a is not None and acc_b is not None else "–"
        rows.append([key[0], key[1], pct(acc_a), pct(acc_b), delta,
                     drop_text(ra.get("robustness") if ra else None), drop_text(rb.get("robustness") if rb else None)])
    return rows


def _index(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["judge"], r["variant"]): r for r in data["results"]}


def compare_numbers(left: dict[str, Any], right: dict[str, Any], *, all_variants: bool = False) -> list[list[str]]:
    """judge, variant, number, its value in each run and the difference: every official score and bias value."""
    from judgekit.eval.tables import headline_numbers, num, pct

    a, b = _index(left), _index(right)
    rows = []
    for key in list(dict.fromkeys([*a, *b])):
        if not all_variants and key[1] != "original":
            continue
        na = headline_numbers(a[key]) if key in a else {}
        nb = headline_numbers(b[key]) if key in b else {}
        for label in list(dict.fromkeys([*na, *nb])):
            va, percent = na.get(label, (None, True))
            vb, percent = nb.get(label, (None, percent))
            fmt = pct if percent else (lambda v: num(v, 3))
            scale = 100 if percent else 1
            delta = f"{scale * (vb - va):+.{1 if percent else 3}f}" if va is not None and vb is not None else "–"
            rows.append([key[0], key[1], label, fmt(va), fmt(vb), delta])
    return rows


@click.command()
@click.argument("run_a", type=click.Path(exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False))
@click.option("--markdown", "as_markdown", is_flag=True, help="print Markdown tables instead")
@click.option("--all-variants", is_flag=True, help="official scores and bias of every variant, not only the originals")
def compare(run_a: str, run_b: str, as_markdown: bool, all_variants: bool) -> None:
    """Put two runs side by side: accuracy and drop of each judge x variant, then official scores and judge bias."""
    from judgekit.eval.markdown import table as md_table
    from judgekit.eval.tables import Table

    left, right = _load(run_a), _load(run_b)
    name_a, name_b = Path(run_a).name, Path(run_b).name
    tables = [Table(f"{run_a} vs {run_b}", ["judge", "variant", f"accuracy % ({name_a})", f"accuracy % ({name_b})",
                                             "Δ pts", f"drop ({name_a})", f"drop ({name_b})"], compare_rows(left, right))]
    numbers = compare_numbers(left, right, all_variants=all_variants)
    if numbers:
        tables.append(Table("Official scores and judge bias (% unless a correlation; Δ = second run - first)",
                            ["judge", "variant", "number", name_a, name_b, "Δ"], numbers))
    if as_markdown:
        click.echo("\n\n".join(f"### {t.title}\n\n{md_table(t.headers, t.rows)}" for t in tables))
        return
    print_tables(console(), tables)
