"""Registers the built-in judges and parsers (imported through the `judgekit` entry-point group)."""

from judgekit.judges import generative, panel, parsers, scalar  # noqa: F401  (registration side effects)
