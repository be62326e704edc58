"""The engine's parts on literal and random inputs: stages, the local executor, the duplicate-id set, the
compact pool, the streamed manifest writer, rows between processes."""

from __future__ import annotations

import asyncio
import io
import pickle
import random

import pytest

from judgekit.data import Example
from judgekit.data.idset import IdSet, id_key, keys_bytes
from judgekit.data.sources import Location
from judgekit.engine import ChunkSpec, Pipeline, Stage, make_executor
from judgekit.engine.jsonstream import Placeholders, dump
from judgekit.engine.pool import PoolBuilder
from judgekit.engine.sources import SourceRow
from judgekit.engine.transform_stages import pool_entries
from judgekit.errors import DataError
from judgekit.provenance import FileRecord, TransformEntry, TransformManifest
from judgekit.provenance.manifests import ItemReason
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
    id_set = IdSet(capacity=4)  # grows many times on the way
    assert [not id_set.add(i) for i in ids] == expected
    assert len(id_set) == len(seen) and all(i in id_set for i in seen) and "other" not in id_set
    assert id_set.nbytes <= 16 * len(seen) * 2


def test_id_set_keys_are_the_same_in_every_process_and_reload(tmp_path):
    import subprocess
    import sys

    code = "from judgekit.data.idset import id_key; print(id_key('é-1'), id_key('x'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.split() == [str(id_key("é-1")), str(id_key("x"))]  # not Python's salted hash()
    reloaded = IdSet.from_keys(keys_bytes(id_key(f"x{i}") for i in range(100)))
    assert [reloaded.add(i) for i in ("x5", "new", "x99")] == [False, True, False]


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
    rows = pool_entries([SourceRow(Location("f", i, i + 1), e) for i, e in enumerate(examples)])
    for start in range(0, len(rows), 17):
        builder.add([entry for _, entry in rows[start:start + 17]])
    compact = builder.build()
    for language in (None, "python", "rust", "javascript", "go"):
        for example in examples + [Example(id="not-in-pool", prompt="p", chosen=("c",), rejected=("r",))]:
            seed = rng.randrange(10**9)
            want = reference.other(example.id, random.Random(seed), language=language)
            got = compact.other(example.id, random.Random(seed), language=language)
            assert got == want, (example.id, language)
    assert compact.in_memory().other("b5", random.Random(1)) == reference.other("b5", random.Random(1))


# -- manifest streaming and rows between processes ------------------------------------------------------
def test_streamed_lists_are_written_exactly_as_the_model_writes_them():
    items = [ItemReason(id=f"é{i}\n\u2028\x1f", reason=f'r "q" {i}') for i in range(3)]

    def entry(name, na, failed, counts):
        return TransformEntry(name=name, transform=name, family="f", args={"rate": 0.1, "xs": [1, 2]},
                              targets=["chosen"], preserves="meaning", file=f"{name}.jsonl", transformed=1,
                              not_applicable=counts[0], failed=counts[1], not_applicable_reasons={"x": 1},
                              not_applicable_items=na, failed_items=failed)

    def manifest(transforms):
        return TransformManifest(inputs=[], seed=1, original=FileRecord(file="o.jsonl", items=3), transforms=transforms,
                                 versions={"judgekit": "0"})

    full = manifest([entry("a", items, [], (3, 0)), entry("b", items[:1], items[1:], (1, 2))])
    placeholders = Placeholders()
    streamed = manifest([entry("a", placeholders.placeholder(iter(items)), [], (3, 0)),
                         entry("b", placeholders.placeholder(items[:1]), placeholders.placeholder(iter(items[1:])),
                               (1, 2))])
    buffer = io.StringIO()
    dump(streamed, placeholders, buffer)
    assert buffer.getvalue() == full.to_json()


def test_rows_and_their_errors_travel_between_processes():
    example = Example(id="a", prompt="p", chosen=("c",), rejected=("r",), meta={"source": {"row": 1, "x": [1]}})
    error = DataError("response 0 is empty", source="f.jsonl", line=3, field="chosen", hint="fill it")
    back = pickle.loads(pickle.dumps([example, error, SourceRow(Location("f", 0, 1), example)]))
    assert back[0] == example and back[0].to_json() == example.to_json()
    assert str(back[1]) == str(error) and (back[1].line, back[1].field) == (3, "chosen")
    assert back[2].value == example
