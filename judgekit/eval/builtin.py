"""Registers the built-in metrics (imported through the `judgekit` entry-point group)."""

from judgekit.eval import (  # noqa: F401  (registration side effects)
    bias_metrics,
    judge_metrics,
    metrics,
    official,
    sections,
    visibility,
)
