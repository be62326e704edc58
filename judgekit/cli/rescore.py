"""`judgekit rescore RUN [--set options.ties=half ...] [--out DIR]`: recompute a run's report from its saved
judgments, without loading a model or calling an endpoint."""

from __future__ import annotations

from pathlib import Path

import click

from judgekit.cli.options import overwrite_option


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="change how judgments are counted: options.ties=wrong|half|exclude, options.failures=wrong|"
                   "exclude, options.bootstrap=N, options.level=0.9, options.sections=..., metrics=[...] (repeatable)")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="write a complete new run folder here instead of replacing RUN_DIR's report files")
@overwrite_option
def rescore(run_dir: str, overrides: tuple[str, ...], out_dir: str | None, overwrite: bool) -> None:
    """Recompute report.json, report.md and report.html of RUN_DIR from its judgments.jsonl and items.jsonl.

    No model is loaded and no endpoint is called: only the counting changes (ties, failures, bootstrap,
    confidence level, sections, which metrics). In place, only the three report files are replaced; suite.yaml
    keeps the suite as it was run, and report.json records the options the numbers were computed with.

    \b
    Examples:
      judgekit rescore runs/my-judge --set options.ties=half
      judgekit rescore runs/my-judge --set options.failures=exclude --out runs/my-judge-no-failures
    """
    from judgekit.cli.report import print_summary, wide_console
    from judgekit.eval.report import build_report
    from judgekit.eval.rundir import read_run, replace_reports
    from judgekit.outputs import prepare_output

    target = None
    if out_dir is not None:
        target = prepare_output(out_dir, command="eval", overwrite=overwrite, inputs=[run_dir])
    result = read_run(run_dir, overrides=overrides)
    report = build_report(result)
    if target is not None:
        from judgekit.eval.runner import write_run

        write_run(result, report, target)
        written = out_dir
    else:
        replace_reports(run_dir, {"report.json": _json(report.data), "report.md": report.to_markdown(),
                                  "report.html": report.to_html()})
        written = str(Path(run_dir))
    out = wide_console()
    print_summary(out, report.data)
    options = report.data["suite"]["options"]
    out.print(f"rescored from saved judgments (ties {options['ties']}, failures {options['failures']}); "
              f"wrote report.json, report.md and report.html to [bold]{written}[/bold]", highlight=False)


def _json(data: dict) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
