"""The engine's parts on literal and random inputs: stages, the local executor, the duplicate-id set, the
compact pool, the streamed JSON writer, the row codec."""

from __future__ import annotations

import asyncio
import io
import json
import random

import numpy as np
import pytest

from judgekit.data import Example
from judgekit.engine import ChunkSpec, Pipeline, Stage, make_executor
from judgekit.engine.codec import dumps, loads
from judgekit.engine.idset import IdSet, id_keys
from judgekit.engine.jsonstream import Streamed, dump
from judgekit.engine.pool import PoolBuilder
from judgekit.engine.sources import SourceRow
from judgekit.engine.transform_stages import pool_entries
from judgekit.transforms.pool import Pool


class Numbers:
    """A source of integers: chunk i holds rows [10 i, 10 i + 10)."""

    def read(self, spec: ChunkSpec) -> list[int]:
        return list(range(spec.first_row, spec.first_row + spec.rows))


class AddOffset(Stage):
    """A stage with a setup: the offset is 'loaded' once per worker."""

    def __init__(self) -> None:
        self.offset = None

    def setup(self) -> None:
        self.offset = 1000

    def process(self, rows: list[int]) -> list[int]:
        return [row + self.offset for row in rows]


def double(rows: list[int]) -> list[int]:
    return [2 * row for row in rows]


def chunks(count: int) -> list[ChunkSpec]:
    return [ChunkSpec(i, 10 * i, 10) for i in range(count)]


@pytest.mark.parametrize("workers", [1, 2])
def test_local_executor_yields_chunks_in_order_with_stages_applied(workers):
    pipeline = Pipeline.build(Numbers(), [double, AddOffset()], lambda spec, rows: (spec.index, rows))
    executor = make_executor("local", workers=workers, in_flight=3)
    out = [packed for _, packed in executor.run(pipeline, chunks(9))]
    assert out == [(i, [2 * r + 1000 for r in range(10 * i, 10 * i + 10)]) for i in range(9)]


def test_asyncio_callers_get_the_same_chunks_in_the_same_order():
    pipeline = Pipeline.build(Numbers(), [double], lambda spec, rows: rows)
    executor = make_executor("local", workers=2)

    async def collect():
        return [packed async for _, packed in executor.arun(pipeline, chunks(5))]

    assert asyncio.run(collect()) == [packed for _, packed in executor.run(pipeline, chunks(5))]


def test_a_stage_that_drops_rows_is_refused():
    pipeline = Pipeline.build(Numbers(), [lambda rows: rows[1:]])
    with pytest.raises(RuntimeError, match="stages map rows one to one"):
        list(make_executor("local").run(pipeline, chunks(1)))


# -- duplicate ids -------------------------------------------------------------------------------------
def test_id_set_flags_exactly_the_repeats_python_set_flags():
    rng = random.Random(5)
    ids = [f"item-{rng.randrange(3000)}" for _ in range(8000)]
    seen, expected = set(), []
    for i in ids:
        expected.append(i in seen)
        seen.add(i)
    id_set, got, start = IdSet(), [], 0
    while start < len(ids):
        size = rng.randrange(1, 500)
        got += id_set.add(id_keys(ids[start:start + size])).tolist()
        start += size
    assert got == expected
    assert len(id_set) == len(seen)
    assert id_set.nbytes == 16 * len(seen)  # the whole structure: 16 bytes per distinct id


def test_id_set_reloads_from_its_file(tmp_path):
    keys = id_keys(f"x{i}" for i in range(100))
    (tmp_path / "ids.bin").write_bytes(keys + b"garbage after the committed size")
    reloaded = IdSet.load(tmp_path / "ids.bin", len(keys))
    assert reloaded.add(id_keys(["x5", "new", "x99"])).tolist() == [True, False, True]


# -- the pool -----------------------------------------------------------------------------------------
def fenced(language: str, code: str) -> str:
    return f"Here:\n```{language}\n{code}\n```"


def test_compact_pool_borrows_exactly_what_pool_borrows(tmp_path):
    rng = random.Random(11)
    names = ["a", "b", "zeta", "é-accent", "日本", "a-long-id-" * 3, "Ab", "b0", "\u00ff", "z"]
    examples = []
    for i in range(120):
        language = rng.choice(["python", "rust", "", "js"])
        response = fenced(language, f"print({i})") if rng.random() < 0.6 else f"plain {i}"
        examples.append(Example(id=f"{rng.choice(names)}{i}", prompt=f"prompt {i} {'é' * (i % 4)}",
                                chosen=(response,), rejected=(f"no {i}",)))
    reference = Pool.build(examples, code=True)
    builder = PoolBuilder(tmp_path / "pool.bin")
    rows = pool_entries([SourceRow(i, i + 1, e, None) for i, e in enumerate(examples)])
    for start in range(0, len(rows), 17):
        builder.add([entry for *_, entry in rows[start:start + 17]])
    compact = builder.build()
    for language in (None, "python", "rust", "javascript", "go"):
        for example in examples + [Example(id="not-in-pool", prompt="p", chosen=("c",), rejected=("r",))]:
            seed = rng.randrange(10**9)
            want = reference.other(example.id, random.Random(seed), language=language)
            got = compact.other(example.id, random.Random(seed), language=language)
            assert got == want, (example.id, language)
    assert compact.in_memory().other("b5", random.Random(1)) == reference.other("b5", random.Random(1))


# -- manifest streaming and the row codec --------------------------------------------------------------
def test_streamed_lists_are_written_exactly_as_json_dumps_writes_them():
    document = {"kind": "x", "transforms": [{"name": "é", "items": [{"id": "a", "reason": "r\n\"q\""}],
                                             "none": [], "nested": [[1, {"k": [2]}]]}],
                "tail": {"list": [{"id": 1}], "empty": []}}
    streamed = {"kind": "x", "transforms": [{"name": "é", "items": Streamed(iter(document["transforms"][0]["items"])),
                                             "none": Streamed([]), "nested": Streamed([[1, {"k": [2]}]])}],
                "tail": {"list": Streamed([{"id": 1}]), "empty": Streamed(iter(()))}}
    buffer = io.StringIO()
    dump(streamed, buffer)
    assert buffer.getvalue() == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_rows_with_examples_travel_between_processes():
    example = Example(id="a", prompt="p", chosen=("c",), rejected=("r",), meta={"source": {"row": 1, "x": [1]}})
    back = loads(dumps([example, np.int64(3), "text"]))
    assert back[0] == example and back[0].to_json() == example.to_json()
