"""What `judgekit eval` prints besides the summary: the dry-run plan and the judges compared pairwise."""

from __future__ import annotations

from typing import Any


def _int(value: int) -> str:
    return f"{value:,}"


def print_plan(out, name: str | None, plan, max_cost: float | None) -> None:
    """The dry run as a table: one row per judge (per panel member) and per LLM transform."""
    from rich.table import Table
    from rich.text import Text

    variants = ", ".join(f"{k} {v}" for k, v in plan.variants.items())
    table = Table(title=f"judgekit eval {name} --dry-run: nothing sent, nothing written", title_justify="left")
    for index, header in enumerate(["judge", "backend", "requests", "cache hits", "to send", "est. input tokens",
                                    "output tokens (at most)", "cost at most (USD)", "note"]):
        table.add_column(header, justify="left" if index in (0, 1, 8) else "right", overflow="fold")
    for row in plan.judges:
        cost = "no prices" if row.cost_usd_max is None else f"{row.cost_usd_max:.4f}"
        table.add_row(Text(row.judge), Text(row.backend), _int(row.requests), _int(row.cache_hits), _int(row.to_send),
                      _int(row.prompt_tokens), _int(row.completion_tokens_max), cost, Text(row.note))
    out.print(f"{plan.items} items; variants (items): {variants}", highlight=False)
    out.print(table)
    expected = [j.cost_usd_expected for j in plan.judges if j.cost_usd_expected is not None]
    if expected:
        out.print(f"expected cost of the {len(expected)} judge(s) with cached replies: ${sum(expected):.4f} "
                  "(outputs as long as their cached replies)", highlight=False)
    total = plan.cost_usd_max
    if total is not None:
        line = f"cost at most: ${total:.4f} (output priced at max_tokens; input tokens estimated as characters / 4)"
        if max_cost is not None:
            line += f"; --max-cost ${max_cost:g} {'covers it' if total <= max_cost else 'stops the run before the end'}"
        out.print(line, highlight=False)
    for note in plan.notes:
        out.print(f"[dim]{note}[/dim]", highlight=False)


def judge_pairs(data: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(variant, judge, other judge, comparison) for every pair of judges in a report."""
    return [(r["variant"], r["judge"], other, c) for r in data["results"] for other, c in (r.get("versus") or {}).items()]


def print_judge_pairs(out, data: dict[str, Any], *, limit: int = 30) -> None:
    """Judges compared on the same original items (report.md has every variant)."""
    from rich.table import Table
    from rich.text import Text

    from judgekit.eval.markdown import num, pct

    pairs = [p for p in judge_pairs(data) if p[0] == "original"]
    if not pairs:
        return
    table = Table(title="judges compared on the same original items (report.md: every variant)",
                  title_justify="left")
    for index, header in enumerate(["judge", "vs judge", "n", "acc %", "other acc %", "diff pts [95% CI]",
                                    "McNemar p"]):
        table.add_column(header, justify="left" if index < 2 else "right", overflow="fold")
    for _, judge, other, c in pairs[:limit]:
        ci = c.get("difference_ci") or [None, None]
        diff = "–" if c.get("difference") is None else f"{100 * c['difference']:+.1f}"
        if ci[0] is not None:
            diff += f" [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]"
        table.add_row(Text(judge), Text(other), str(c.get("n_paired")), pct(c.get("accuracy")), pct(c.get("accuracy_other")),
                      diff, num((c.get("mcnemar") or {}).get("p_value"), 3))
    out.print(table)
    if len(pairs) > limit:
        out.print(f"[dim]{len(pairs) - limit} more pairs in report.md[/dim]")
