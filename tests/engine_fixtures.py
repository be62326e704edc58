"""Helpers of the engine tests: judgekit JSONL files built from the real data, folder comparison."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

from judgekit.engine.local import LocalExecutor
from tests.conftest import shared_file

REAL = ["judgebench/gpt-4o.jsonl", "rm-bench/code.json", "llmbar/natural.json"]


def real_pairs(limit: int | None = None) -> list[dict]:
    """Pairwise judgekit records from the real data (every chosen x rejected pair), ids suffixed."""
    from judgekit.data import read_examples

    records = []
    for relative in REAL:
        for example in read_examples(str(shared_file(relative))):
            for i, chosen in enumerate(example.chosen):
                for j, rejected in enumerate(example.rejected):
                    pair = example.replace(id=f"{example.id}#{i}-{j}", chosen=(chosen,), rejected=(rejected,))
                    records.append(pair.to_dict())
    return records[:limit] if limit else records


def write_jsonl(path: Path, records: list[dict], *, copies: int = 1) -> Path:
    """``records`` repeated ``copies`` times, ids suffixed with the copy number."""
    with open(path, "w", encoding="utf-8") as handle:
        for copy in range(copies):
            for record in records:
                record = dict(record, id=f"{record['id']}@{copy}") if copies > 1 else record
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def differing_files(a: Path, b: Path, *, ignore: tuple[str, ...] = ()) -> list[str]:
    """Names that differ between two folders (missing on one side, or different bytes)."""
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    return [n for n in names if n not in ignore and not (
        (a / n).is_file() and (b / n).is_file() and filecmp.cmp(a / n, b / n, shallow=False))]


def in_memory(data, selector: str, out: Path, *, seed: int = 0) -> Path:
    """What `judgekit transform` wrote before the engine (everything in memory): the reference bytes."""
    from judgekit.data.selection import DataSelection, data_selection, select_examples
    from judgekit.outputs import prepare_output
    from judgekit.transforms.engine import run_transforms
    from judgekit.transforms.manifest import write_run
    from judgekit.transforms.refs import select_transforms

    selection = data if isinstance(data, DataSelection) else data_selection(sources=[str(data)])
    selected = select_examples(selection)
    examples = list(selected)
    outcomes = run_transforms(examples, select_transforms(selector), seed=seed)
    with prepare_output(out, command="transform").writing() as folder:
        write_run(folder, examples, outcomes, inputs=selected.inputs(), seed=seed, skipped=selected.skipped)
    return out


class StopAfter(LocalExecutor):
    """A local executor that interrupts the run (KeyboardInterrupt) after ``chunks`` chunks have been yielded,
    over all passes (the pool's first pass counts); ``options`` are `LocalExecutor`'s."""

    def __init__(self, chunks: int, **options) -> None:
        super().__init__(**options)
        self.left = chunks

    def run(self, pipeline, chunks):
        for item in super().run(pipeline, chunks):
            if self.left == 0:
                raise KeyboardInterrupt
            self.left -= 1
            yield item
