"""Read an eval run folder back into a `RunResult`, so its report can be recomputed without any model.

A run folder (judgekit.eval.runner.write_run) holds everything a report is computed from: ``report.json``
(the resolved suite and judge specs, the judges' identities and counters, what each transform did),
``judgments.jsonl`` (every judgment), ``transforms.jsonl`` (items a transform skipped or failed on, with the
reason) and ``items.jsonl`` (every item as each variant showed it). `read_run` reads them, checks that they
agree, and applies ``--set`` overrides that change how judgments are counted (``options.*``, ``metrics``).
Nothing here imports torch, transformers or an HTTP client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from judgekit.data.example import Example
from judgekit.errors import DataError, OutputError, SpecError
from judgekit.eval.results import ORIGINAL, RunResult, TransformRecord
from judgekit.judges.base import Judgment

REPORT_FILES = ("report.json", "report.md", "report.html")
RESCORE_KEYS = ("options", "metrics")  # what a rescore may change: how saved judgments are counted


def load_report(folder: str | Path) -> dict[str, Any]:
    """``report.json`` of a run folder, of any schema version this judgekit reads, as the current version."""
    from judgekit.provenance.report import upgrade_report

    path = Path(folder) / "report.json"
    if not path.is_file():
        raise SpecError(f"{folder}: no report.json here; give a folder `judgekit eval --out` wrote")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SpecError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: not a judgekit report (a JSON object is expected)")
    return upgrade_report(data, where=str(path))


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise SpecError(f"{path}:{number}: not JSON ({exc}); the run folder is damaged") from None
            if not isinstance(record, dict):
                raise SpecError(f"{path}:{number}: a JSON object is expected; the run folder is damaged")
            yield number, record


def check_overrides(overrides: Sequence[str]) -> None:
    """Only settings that change how saved judgments are counted can be changed without a new run."""
    for override in overrides:
        key = override.split("=", 1)[0].strip()
        if "=" not in override or key.split(".", 1)[0] not in RESCORE_KEYS:
            raise SpecError(f"--set {override}: rescore changes only how saved judgments are counted "
                            "(options.ties, options.failures, options.bootstrap, options.level, options.sections, "
                            "metrics); anything else needs a new run (`judgekit eval`)")


def _suite(data: dict[str, Any], folder: Path, overrides: Sequence[str]) -> Any:
    from judgekit.eval.suite import load_suite

    spec = (data.get("specs") or {}).get("suite")
    if not isinstance(spec, dict):
        raise SpecError(f"{folder / 'report.json'}: the report holds no resolved suite (written by an older "
                        "judgekit); re-run `judgekit eval` to rescore it")
    check_overrides(overrides)
    return load_suite(spec, overrides=overrides)


def _items(folder: Path, variants: list[str]) -> dict[str, list[Example]]:
    path = folder / "items.jsonl"
    if not path.is_file():
        raise SpecError(f"{folder}: no items.jsonl (the run was written by a judgekit older than `rescore`); "
                        "re-run `judgekit eval` with the same suite and judges (cached judgments make it quick)")
    found: dict[str, list[Example]] = {name: [] for name in variants}
    for number, record in _lines(path):
        variant = record.pop("variant", None)
        if variant not in found:
            raise SpecError(f"{path}:{number}: variant {variant!r} is not in report.json ({', '.join(variants)})")
        try:
            found[variant].append(Example.from_dict(record))
        except DataError as exc:
            raise SpecError(f"{path}:{number}: {exc}") from None
    return found


def _judgments(folder: Path, judges: list[str], items: dict[str, list[Example]],
               ) -> dict[str, dict[str, list[Judgment]]]:
    path = folder / "judgments.jsonl"
    if not path.is_file():
        raise SpecError(f"{folder}: no judgments.jsonl; give a folder `judgekit eval --out` wrote")
    found: dict[str, dict[str, list[Judgment]]] = {j: {v: [] for v in items} for j in judges}
    for number, record in _lines(path):
        judge, variant = record.get("judge"), record.get("variant")
        if judge not in found or variant not in items:
            raise SpecError(f"{path}:{number}: judge {judge!r} on variant {variant!r} is not in report.json")
        try:
            found[judge][variant].append(Judgment.from_dict(record))
        except (TypeError, ValueError) as exc:
            raise SpecError(f"{path}:{number}: not a judgment ({exc}); the run folder is damaged") from None
    for judge, variants in found.items():
        for variant, judgments in variants.items():
            expected = [e.id for e in items[variant]]
            if [j.id for j in judgments] != expected:
                raise SpecError(f"{path}: {judge} on {variant} has {len(judgments)} judgments for "
                                f"{len(expected)} items in items.jsonl, or in another order; the run folder is damaged")
    return found


def _skipped(folder: Path) -> dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]]:
    path = folder / "transforms.jsonl"
    found: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}
    if not path.is_file():
        return found
    for number, record in _lines(path):
        status = record.get("status")
        if status not in ("not_applicable", "failed"):
            raise SpecError(f"{path}:{number}: status {status!r} is neither not_applicable nor failed")
        not_applicable, failed = found.setdefault(str(record.get("transform")), ([], []))
        (not_applicable if status == "not_applicable" else failed).append((str(record["id"]), str(record["reason"])))
    return found


def read_run(folder: str | Path, *, overrides: Sequence[str] = ()) -> RunResult:
    """A run folder read back as the `RunResult` its report was built from (no model, no endpoint).

    Args:
        overrides: ``key.path=value`` for ``options.*`` and ``metrics`` (how judgments are counted).
    """
    folder = Path(folder)
    data = load_report(folder)
    suite = _suite(data, folder, overrides)
    names = [t["name"] for t in data["transforms"]]
    items = _items(folder, [ORIGINAL, *names])
    judges = [j["name"] for j in data["judges"]]
    judgments = _judgments(folder, judges, items)
    skipped = _skipped(folder)
    records = [TransformRecord(name=t["name"], family=t["family"], args=t["args"], targets=t["targets"],
                               examples=items[t["name"]], not_applicable=skipped.get(t["name"], ([], []))[0],
                               failed=skipped.get(t["name"], ([], []))[1]) for t in data["transforms"]]
    return RunResult(suite, items[ORIGINAL], records, data["judges"], judgments, inputs=data["inputs"],
                     skipped_rows=data["skipped_rows"], templates=data["templates"])


def replace_reports(folder: str | Path, texts: dict[str, str]) -> None:
    """Replace a run folder's report files (each atomically); every other file stays as it is.

    Only a folder marked as a `judgekit eval` output is written, and only report files judgekit wrote there.
    """
    from judgekit.outputs import check_writable, read_marker, write_text_atomic

    folder = Path(folder)
    marker = read_marker(folder)
    if marker is None or marker.get("command") != "eval":
        owner = f"a `judgekit {marker.get('command')}` output" if marker else "not marked as judgekit's"
        raise OutputError(f"{folder} is {owner}, not a `judgekit eval` run folder: judgekit replaces report files "
                          "only in an eval run it wrote (`judgekit rescore --out NEW_FOLDER` writes a new one)")
    listed = set(marker.get("files", []))
    for name in texts:
        if name not in REPORT_FILES:
            raise ValueError(f"not a report file: {name}")
        if (folder / name).exists() and name not in listed:
            raise OutputError(f"{folder / name} was not written by judgekit: judgekit leaves it alone "
                              "(`judgekit rescore --out NEW_FOLDER` writes the run elsewhere)")
    check_writable(folder)
    for name, text in texts.items():
        write_text_atomic(folder / name, text)
