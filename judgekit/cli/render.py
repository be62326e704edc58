"""Terminal rendering helpers shared by the commands (rich, imported lazily)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def console():
    """A rich console; when output is piped (not a terminal) it is 160 columns wide, so tables stay readable."""
    import sys

    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)


def kv_table(key: str, value: str, rows: Mapping[str, Any], *, title: str | None = None):
    from rich.table import Table

    table = Table(title=title)
    table.add_column(key)
    table.add_column(value, justify="right")
    for k, v in rows.items():
        table.add_row(str(k), str(v))
    return table


def quiet_libraries() -> None:
    """Keep the terminal for judgekit's own progress lines: no model-load reports, shard progress bars or
    library deprecation warnings the user cannot act on (commands that load models call this)."""
    import warnings

    from transformers.utils import logging

    # TRL's SFTConfig sets a TrainingArguments field that transformers 5 renamed.
    warnings.filterwarnings("ignore", message="`gradient_checkpointing` is deprecated", category=FutureWarning)
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
    except ImportError:  # pragma: no cover - datasets is a dependency
        pass
