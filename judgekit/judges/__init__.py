"""Judges: scalar reward models, generative LLM judges, strict verdict parsers, judge-training exports."""

from judgekit.judges.base import JUDGES, Comparison, Judge, Judgment
from judgekit.judges.loader import load_judge, read_spec_dict, resolve_spec
from judgekit.judges.parsers import PARSERS, ParseError
from judgekit.judges.spec import GenerativeJudgeSpec, JudgeSpec, ScalarJudgeSpec, validate_spec

__all__ = [
    "JUDGES",
    "PARSERS",
    "Comparison",
    "GenerativeJudgeSpec",
    "Judge",
    "JudgeSpec",
    "Judgment",
    "ParseError",
    "ScalarJudgeSpec",
    "load_judge",
    "read_spec_dict",
    "resolve_spec",
    "validate_spec",
]
