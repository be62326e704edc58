"""`judgekit train CONFIG` (reward models, judge SFT). Judge SFT/DPO data comes from `judgekit synth judge-train`."""

from __future__ import annotations

import json
from typing import Any

import click

from judgekit.cli.render import console, quiet_libraries


class _DefaultToRun(click.Group):
    """`judgekit train CONFIG ...` means `judgekit train run CONFIG ...` unless CONFIG names a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultToRun, context_settings={"help_option_names": ["-h", "--help"]})
def train() -> None:
    """Train reward models that break less, and judges that keep their verdict.

    \b
      judgekit train CONFIG [--set key=value ...] [--eval-suite NAME]
      judgekit train CONFIG --kind judge-sft
      judgekit synth judge-train   (judge SFT / DPO data: both orders, rewrites, attacks)

    CONFIG is a YAML file (or the name of one in train/, e.g. minilm-regularized); see train/README.md.
    """


@train.command("run")
@click.argument("config_path", metavar="CONFIG")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="override a config field by dotted path, e.g. --set optim.max_steps=20 (repeatable)")
@click.option("--kind", type=click.Choice(["reward-model", "judge-sft"]),
              help="what CONFIG trains (default: its 'kind' field, else reward-model)")
@click.option("--eval-suite", metavar="NAME", help="run this evaluation suite on the trained model at the end")
@click.option("--output-dir", metavar="DIR", help="where the model goes (overrides output_dir)")
@click.option("--json", "as_json", is_flag=True, help="print the manifest as one JSON object")
def run(config_path: str, overrides: tuple[str, ...], kind: str | None, eval_suite: str | None,
        output_dir: str | None, as_json: bool) -> None:
    """Train the model CONFIG describes and save an ordinary HF folder with training_manifest.json."""
    from judgekit.train.config import load_config

    extra = [*overrides, *([f"output_dir={output_dir}"] if output_dir else [])]
    quiet_libraries()
    config = load_config(config_path, overrides=extra, kind=kind)
    out = console()
    say = (lambda text: None) if as_json else (lambda text: out.print(text, markup=False, highlight=False))
    if config.kind == "judge-sft":
        from judgekit.train.sft import train_judge_sft

        result = train_judge_sft(config, progress=say)
    else:
        from judgekit.train.run import train_reward_model

        result = train_reward_model(config, progress=say)
    suite = eval_suite or getattr(config, "eval_suite", None)
    evaluation: dict[str, Any] | None = None
    if suite:
        from judgekit.train.evaluate import evaluate_trained

        say(f"evaluating {result.output_dir} on suite '{suite}'")
        evaluation = evaluate_trained(result.output_dir, suite, kind=config.kind)
    if as_json:
        click.echo(json.dumps({**result.manifest, "evaluation": evaluation}, default=str))
        return
    data = result.manifest["data"]
    out.print(f"[bold]saved[/bold] {result.output_dir}  ({result.metrics['steps']} steps, "
              f"{result.metrics['seconds']:.1f}s, final train loss {result.metrics['train_loss']:.4f})")
    if data.get("left_out"):
        out.print("left out:", markup=False)
        for reason, count in data["left_out"].items():
            out.print(f"  {count:>6}  {reason}", markup=False, highlight=False)
    if evaluation:
        out.print(f"evaluation written to [bold]{evaluation.get('folder')}[/bold]")
