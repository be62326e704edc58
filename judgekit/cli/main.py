"""`judgekit` entry point. Subcommands load lazily so `judgekit --help` never imports torch.

Exit codes (judgekit.errors): 0 ok, 1 a bug (traceback), 2 bad input or refused output, 3 calls or items
failed (outputs written), 4 the backend refused (auth / not found), 5 budget reached, 130 interrupted.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from judgekit import __version__

# command name -> (module, attribute). A module that is not there yet is simply not listed.
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("judgekit.cli.data", "data"),
    "ls": ("judgekit.cli.ls", "ls"),
    "transform": ("judgekit.cli.transform", "transform"),
    "synth": ("judgekit.cli.synth", "synth"),
    "cache": ("judgekit.cli.cache", "cache"),
    "eval": ("judgekit.cli.evaluate", "eval_command"),
    "report": ("judgekit.cli.report", "report"),
    "compare": ("judgekit.cli.report", "compare"),
    "rescore": ("judgekit.cli.rescore", "rescore"),
    "view": ("judgekit.cli.view", "view"),
    "train": ("judgekit.cli.train", "train"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (module, _) in COMMANDS.items() if importlib.util.find_spec(module) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or importlib.util.find_spec(target[0]) is None:
            return None
        return getattr(importlib.import_module(target[0]), target[1])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="judgekit")
def cli() -> None:
    """judgekit: how brittle are your reward models and LLM judges?

    \b
    Typical flow:
      judgekit data inspect sample            what is in a dataset
      judgekit transform sample --out t/      robustness test sets (rule-based transforms)
      judgekit synth paraphrase-train         LLM-written variants (paraphrase, back-translation)
      judgekit eval rewordbench --judge J     original vs transformed, side by side
      judgekit train CONFIG                   reward models that break less

    \b
    Exit codes: 0 ok, 2 bad input or refused output (nothing written), 3 calls or items failed (outputs
    written), 4 the backend refused the requests (bad key, model or URL), 5 --max-cost reached.
    """


def main(argv: list[str] | None = None) -> None:
    from judgekit.errors import JudgekitError

    try:
        cli.main(args=argv, prog_name="judgekit", standalone_mode=False)
    except JudgekitError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as exc:  # the file system said no somewhere judgekit did not expect: say where, not how
        where = f" {exc.filename}" if exc.filename else ""
        click.echo(f"error: cannot access{where}: {exc.strerror or exc} — check the path, its permissions and "
                   "free space", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
