"""What an evaluation run produced, in memory: the items, what each transform did, every judgment.

The report (judgekit.eval.report) is computed from a `RunResult`; so is `judgekit rescore`, from the
judgments.jsonl and transforms.jsonl a run folder holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from judgekit.data.example import Example
from judgekit.judges.base import Judgment

ORIGINAL = "original"


@dataclass
class TransformRecord:
    """What one transform did to the suite's items."""

    name: str
    family: str
    args: dict[str, Any]
    targets: list[str]
    examples: list[Example]
    not_applicable: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RunResult:
    """Everything a report is built from.

    Attributes:
        judges: per judge: name, kind, spec (resolved), identity, stats, seconds.
        judgments: judge -> variant ("original" or a transform's display name) -> judgments in item order.
        inputs: provenance of the data read (`judgekit.provenance.InputRecord` as dicts).
        specs: the resolved suite and judge specs, as written to suite.yaml.
        templates: template name -> sha256 of every prompt template used (transforms and judges).
    """

    suite: Any
    examples: list[Example]
    transforms: list[TransformRecord]
    judges: list[dict[str, Any]]
    judgments: dict[str, dict[str, list[Judgment]]]
    inputs: list[dict[str, Any]] = field(default_factory=list)
    skipped_rows: list[dict[str, str]] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)
