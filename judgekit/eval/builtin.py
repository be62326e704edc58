"""Registers the built-in metrics (imported through the `judgekit` entry-point group)."""

from judgekit.eval import judge_metrics, metrics, sections, visibility  # noqa: F401  (registration side effects)
