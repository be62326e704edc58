"""The files of an eval run folder, written from a `RunResult` and its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judgekit.eval.results import ORIGINAL, RunResult

ITEMS = "items.jsonl"


def write_run_files(folder: Path, result: RunResult, report: Any) -> None:
    """suite.yaml, judgments.jsonl, transforms.jsonl, items.jsonl and the reports, into ``folder``."""
    import yaml

    from judgekit.eval.html import render_html

    (folder / "suite.yaml").write_text(yaml.safe_dump(report.data["specs"], sort_keys=False, allow_unicode=True),
                                       encoding="utf-8")
    sections = {e.id: e for e in result.examples}
    with (folder / "judgments.jsonl").open("w", encoding="utf-8") as handle:
        for judge_name, variants in result.judgments.items():
            for variant, judgments in variants.items():
                for judgment in judgments:
                    record = {"judge": judge_name, "variant": variant, **judgment.to_dict()}
                    example = sections.get(judgment.id)
                    record["section"] = example.meta.get("section") if example is not None else None
                    handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    with (folder / "transforms.jsonl").open("w", encoding="utf-8") as handle:
        for record in result.transforms:
            for item_id, reason in record.not_applicable:
                handle.write(json.dumps({"transform": record.name, "id": item_id, "status": "not_applicable",
                                         "reason": reason}, ensure_ascii=False) + "\n")
            for item_id, error in record.failed:
                handle.write(json.dumps({"transform": record.name, "id": item_id, "status": "failed",
                                         "reason": error}, ensure_ascii=False) + "\n")
    write_items(result, folder / ITEMS)
    (folder / "report.json").write_text(json.dumps(report.data, indent=2, ensure_ascii=False, default=str),
                                        encoding="utf-8")
    (folder / "report.md").write_text(report.to_markdown(), encoding="utf-8")
    (folder / "report.html").write_text(render_html(report.data), encoding="utf-8")


def write_items(result: RunResult, path: Path) -> None:
    """``items.jsonl``: every item the judges saw, one line per variant x item (``{"variant": ..., **item}``),
    originals first, then each transform's items in the run's order. `judgekit rescore` reads it back."""
    variants = [(ORIGINAL, result.examples)] + [(t.name, t.examples) for t in result.transforms]
    with path.open("w", encoding="utf-8") as handle:
        for variant, examples in variants:
            for example in examples:
                handle.write(json.dumps({"variant": variant, **example.to_dict()}, ensure_ascii=False, default=str))
                handle.write("\n")
