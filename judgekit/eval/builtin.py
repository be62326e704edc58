"""Registers the built-in metrics (imported through the `judgekit` entry-point group)."""

from judgekit.eval import bias_metrics, metrics, official, sections, visibility  # noqa: F401  (registration side effects)
