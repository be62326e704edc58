"""The typed eval report (``report.json``, ``schema: judgekit.report``, ``schema_version: 2``).

Version 2 adds what a number needs to be traced to its inputs: ``inputs`` (each data source with its
sha256), ``skipped_rows``, ``specs`` (the resolved suite and judge specs) and ``templates`` (name -> sha256
of every prompt template used). Results stay open (``extra="allow"``): each metric adds its own keys, so a
plugin's metric lands in report.json like a built-in one. `upgrade_report` reads version 1 run folders.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from judgekit.errors import SpecError
from judgekit.provenance.manifests import InputRecord, SkippedRow

SCHEMA = "judgekit.report"
SCHEMA_VERSION = 2


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportSuite(_Model):
    name: str | None
    description: str = ""
    seed: int
    options: dict[str, Any]
    data: dict[str, Any]
    n_items: int
    subsets: dict[str, int]


class ReportTransform(_Model):
    name: str
    family: str
    args: dict[str, Any]
    targets: list[str]
    applied: int
    not_applicable: int
    failed: int
    not_applicable_reasons: dict[str, int]
    failures: list[dict[str, str]]


class ReportJudge(_Model):
    name: str
    kind: str
    spec: dict[str, Any] | None = None
    identity: dict[str, Any]
    stats: dict[str, Any]
    seconds: float


class ReportResult(BaseModel):
    """One judge on one variant; metric keys are added by the metrics that ran."""

    model_config = ConfigDict(extra="allow")

    judge: str
    variant: str
    n_items: int
    robustness: dict[str, Any] | None = None
    metric_errors: dict[str, str] = Field(default_factory=dict)


class ReportData(_Model):
    schema_: Literal["judgekit.report"] = Field(SCHEMA, alias="schema")
    schema_version: int = SCHEMA_VERSION
    judgekit_version: str
    created: str
    suite: ReportSuite
    inputs: list[InputRecord] = Field(default_factory=list)
    skipped_rows: list[SkippedRow] = Field(default_factory=list)
    specs: dict[str, Any] = Field(default_factory=dict)
    templates: dict[str, str] = Field(default_factory=dict)
    transforms: list[ReportTransform]
    judges: list[ReportJudge]
    results: list[ReportResult]
    items: list[dict[str, Any]] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def upgrade_report(data: dict[str, Any], *, where: str = "report.json") -> dict[str, Any]:
    """A report.json of any version this judgekit reads, as the current version's dict (validated)."""
    if data.get("schema") != SCHEMA:
        raise SpecError(f"{where}: not a judgekit report (schema {data.get('schema')!r})")
    version = int(data.get("schema_version", 0))
    if version > SCHEMA_VERSION:
        raise SpecError(f"{where}: report schema v{version} is newer than this judgekit reads (v{SCHEMA_VERSION}); "
                        "upgrade judgekit")
    if version < 1:
        raise SpecError(f"{where}: report schema v{version} is not readable; re-run `judgekit eval`")
    data = dict(data)
    if version == 1:  # v1: a list of data sources, no inputs/specs/templates (left empty, not invented)
        suite = dict(data["suite"])
        sources = suite.get("data")
        if isinstance(sources, list):
            suite["data"] = {"sources": [s.get("path") if isinstance(s, dict) else s for s in sources]}
        data["suite"] = suite
        data["schema_version"] = SCHEMA_VERSION
    from pydantic import ValidationError

    try:
        return ReportData.model_validate(data).to_dict()
    except ValidationError as exc:
        from judgekit.specfile import validation_message

        raise SpecError(f"{where}: not a valid judgekit report: {validation_message(exc)}") from None
