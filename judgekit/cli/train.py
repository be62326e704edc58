"""`judgekit train CONFIG` (reward models, judge SFT). Judge SFT/DPO data comes from `judgekit synth judge-train`."""

from __future__ import annotations

import json
from typing import Any

import click

from judgekit.cli.options import overwrite_option, set_option
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
      judgekit train CONFIG [--out DIR] [--set key=value ...] [--eval-suite NAME]
      judgekit train CONFIG --kind judge-sft
      judgekit synth judge-train   (judge SFT / DPO data: both orders, rewrites, attacks)

    CONFIG is a YAML file (or the name of one in train/, e.g. minilm-regularized); see train/README.md.
    """


@train.command("run")
@click.argument("config_path", metavar="CONFIG")
@set_option("config")
@click.option("--kind", type=click.Choice(["reward-model", "judge-sft"]),
              help="what CONFIG trains (default: its 'kind' field, else reward-model)")
@click.option("--eval-suite", metavar="NAME", help="run this evaluation suite on the trained model at the end")
@click.option("--out", "out_dir", metavar="DIR", help="where the model goes (output.dir)")
@overwrite_option
@click.option("--json", "as_json", is_flag=True, help="print the manifest as one JSON object")
def run(config_path: str, overrides: tuple[str, ...], kind: str | None, eval_suite: str | None,
        out_dir: str | None, overwrite: bool, as_json: bool) -> None:
    """Train the model CONFIG describes and save an ordinary HF folder with training_manifest.json."""
    from pathlib import Path

    from judgekit.outputs import prepare_output
    from judgekit.train.config import load_config

    shorthands: dict[str, Any] = {}
    if out_dir:
        shorthands["output.dir"] = str(Path(out_dir).expanduser().absolute())
    if overwrite:
        shorthands["output.overwrite"] = True
    config = load_config(config_path, overrides=overrides, shorthands=shorthands, kind=kind)
    from judgekit.data.selection import select_examples

    if not config.output.dir:
        from judgekit.errors import SpecError

        raise SpecError(f"{config_path}: field 'output.dir': where the trained model goes (or pass --out)")
    target = prepare_output(config.output.dir, command="train", overwrite=config.output.overwrite,
                            inputs=select_examples(config.data, base=config.base_dir).paths())
    suite = eval_suite or getattr(config, "eval_suite", None)
    if suite:  # a wrong suite name fails now, not after training
        from judgekit.eval.suite import load_suite

        load_suite(suite)
    quiet_libraries()
    out = console()
    say = (lambda text: None) if as_json else (lambda text: out.print(text, markup=False, highlight=False))
    if config.kind == "judge-sft":
        from judgekit.train.sft import train_judge_sft

        result = train_judge_sft(config, progress=say, target=target)
    else:
        from judgekit.train.run import train_reward_model

        result = train_reward_model(config, progress=say, target=target)
    evaluation: dict[str, Any] | None = None
    if suite:
        from judgekit.eval import run_suite

        folder = Path(str(result.output_dir) + ".eval")
        say(f"evaluating {result.output_dir} on suite '{suite}' into {folder}")
        report = run_suite(suite, [str(result.output_dir)], out_dir=folder, overwrite=True)
        evaluation = {"suite": suite, "folder": str(folder),
                      "results": {f"{r['judge']} / {r['variant']}": {"accuracy": r.get("accuracy"),
                                                                      "drop": (r.get("robustness") or {}).get("drop")}
                                  for r in report.data["results"]}}
    manifest = result.manifest.model_dump(mode="json")
    if as_json:
        click.echo(json.dumps({**manifest, "evaluation": evaluation}, default=str))
        return
    data = manifest["data"]
    out.print(f"[bold]saved[/bold] {result.output_dir}  ({result.metrics['steps']} steps, "
              f"{result.metrics['seconds']:.1f}s, final train loss {result.metrics['train_loss']:.4f})")
    if data.get("left_out"):
        out.print("left out:", markup=False)
        for reason, count in data["left_out"].items():
            out.print(f"  {count:>6}  {reason}", markup=False, highlight=False)
    if evaluation:
        out.print(f"evaluation written to [bold]{evaluation['folder']}[/bold]")
