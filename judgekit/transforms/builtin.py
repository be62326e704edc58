"""Registers the built-in transforms (imported through the `judgekit` entry-point group): the rule-based
families, the declarative `template` attack, and the backend-driven ones (LLM rewrites, translation,
back-transcription), which need their backend only at run time."""

from judgekit.transforms import (  # noqa: F401  (registration side effects)
    backtranscription,
    code,
    controlled,
    declarative,
    judge_attacks,
    llm,
    math,
    naturalistic,
    safety,
    translate,
)
