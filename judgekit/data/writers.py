"""Write Examples: judgekit JSONL (lossless, default), Parquet, `datasets` folders, RewardBench and TRL exports.

Every write is atomic: output goes to a temporary sibling and is renamed into place only when the whole
stream was written, so a failed run leaves nothing half-written. Whether a location may be written at all
is decided before by `judgekit.outputs.prepare_output` (the commands do that).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from judgekit.data.example import Example
from judgekit.errors import DataError
from judgekit.outputs import atomic_file, atomic_folder

WRITE_FORMATS = ("jsonl", "parquet", "datasets", "rewardbench", "trl")
_BATCH = 1024


def infer_format(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix == "":
        return "datasets"
    raise DataError(f"cannot tell the output format from '{suffix}'", source=str(path),
                    hint=f"pass --to, one of: {', '.join(WRITE_FORMATS)}")


def write_examples(examples: Iterable[Example], path: str | os.PathLike[str], *, to: str | None = None) -> int:
    """Write examples to ``path``; returns how many were written.

    Args:
        to: jsonl | parquet | datasets | rewardbench | trl (inferred from the suffix when None).
            rewardbench and trl are JSONL exports that expand best-of-N items into pairs.
    """
    to = to or infer_format(path)
    if to not in WRITE_FORMATS:
        raise DataError(f"unknown output format '{to}'", hint=f"use one of: {', '.join(WRITE_FORMATS)}")
    if to == "parquet":
        return _write_parquet(examples, path)
    if to == "datasets":
        return _write_datasets(examples, path)
    rows = {"jsonl": lambda e: [e.to_dict()], "rewardbench": to_rewardbench_rows, "trl": to_trl_rows}[to]
    return _write_jsonl(examples, path, rows)


def _write_jsonl(examples: Iterable[Example], path, rows: Callable[[Example], list[dict[str, Any]]]) -> int:
    count = 0
    with atomic_file(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        for example in examples:
            for row in rows(example):
                handle.write(json.dumps(row, ensure_ascii=False))
                handle.write("\n")
            count += 1
    return count


def _flat(example: Example) -> dict[str, Any]:
    row = example.to_dict()
    row["meta"] = json.dumps(row["meta"], ensure_ascii=False, sort_keys=True)
    return row


def _arrow_schema():
    import pyarrow as pa

    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    return pa.schema([
        ("id", pa.string()),
        ("prompt", pa.list_(message)),
        ("chosen", pa.list_(pa.string())),
        ("rejected", pa.list_(pa.string())),
        ("subset", pa.string()),
        ("meta", pa.string()),
    ])


def _batches(examples: Iterable[Example]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for example in examples:
        batch.append(_flat(example))
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_parquet(examples: Iterable[Example], path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    count = 0
    with atomic_file(path) as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for batch in _batches(examples):
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
        if count == 0:
            pq.write_table(schema.empty_table(), tmp)
    return count


def _write_datasets(examples: Iterable[Example], path) -> int:
    import datasets

    counter = {"n": 0}

    def rows():
        for example in examples:
            counter["n"] += 1
            yield _flat(example)

    features = datasets.Features({
        "id": datasets.Value("string"),
        "prompt": [{"role": datasets.Value("string"), "content": datasets.Value("string")}],
        "chosen": [datasets.Value("string")],
        "rejected": [datasets.Value("string")],
        "subset": datasets.Value("string"),
        "meta": datasets.Value("string"),
    })
    with tempfile.TemporaryDirectory(prefix="judgekit-ds-") as cache, atomic_folder(path) as tmp:
        dataset = datasets.Dataset.from_generator(rows, features=features, cache_dir=cache)
        dataset.save_to_disk(str(tmp))
    return counter["n"]


# -- exports -----------------------------------------------------------------------------------------
def _pairs(example: Example) -> Iterator[tuple[str, int, int, str, str]]:
    for i, chosen in enumerate(example.chosen):
        for j, rejected in enumerate(example.rejected):
            pair_id = example.id if example.is_pairwise else f"{example.id}#{i}-{j}"
            yield pair_id, i, j, chosen, rejected


def _flatten_prompt(example: Example) -> str:
    if len(example.prompt) == 1 and example.prompt[0].role == "user":
        return example.prompt[0].content
    return "\n\n".join(f"{m.role.capitalize()}: {m.content}" for m in example.prompt)


def to_rewardbench_rows(example: Example) -> list[dict[str, Any]]:
    """RewardBench rows: one per (chosen, rejected) pair; a multi-turn prompt is flattened to text."""
    prompt = _flatten_prompt(example)
    return [
        {"id": pair_id, "prompt": prompt, "chosen": chosen, "rejected": rejected, "subset": example.subset}
        for pair_id, _, _, chosen, rejected in _pairs(example)
    ]


def to_trl_rows(example: Example) -> list[dict[str, Any]]:
    """TRL conversational preference rows with an explicit prompt, one per (chosen, rejected) pair."""
    prompt = [m.to_dict() for m in example.prompt]
    return [
        {
            "id": pair_id,
            "prompt": prompt,
            "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": rejected}],
        }
        for pair_id, _, _, chosen, rejected in _pairs(example)
    ]
