"""`judgekit train` prepares its pairs in bounded chunks onto disk: the same pairs, rewrites and counts as the
in-memory functions, for any chunk size, and memory that does not grow with the number of items."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from judgekit.data import load_examples, write_examples
from judgekit.data.pairs import PairReport, attach_variants, build_pairs
from judgekit.data.selection import select_examples
from judgekit.train.config import load_config
from judgekit.train.prepared import PairFile, prepare_pairs
from judgekit.train.variants import collect_variants


def _in_memory(config):
    """What training prepared before it streamed: everything in lists (the reference)."""
    report = PairReport()
    examples = list(select_examples(config.data, base=config.base_dir))
    pairs = build_pairs(examples, config.pairs, seed=config.seed, report=report)
    kept = {p.id.rpartition("#")[0] for p in pairs}
    counts: Counter = Counter()
    sets = collect_variants([e for e in examples if e.id in kept], config.variants, counts)
    report.left_out.update(counts)
    pairs = attach_variants(pairs, sets, seed=config.variants.seed, per_pair=config.variants.per_pair, report=report)
    return pairs, report, {name: len(items) for name, items in sets.items()}


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> tuple[Path, Path]:
    """Rewrites of every third sample item (named by meta.source_id, two per item for some) and a transform
    output folder."""
    from click.testing import CliRunner

    from judgekit.cli.main import cli

    root = tmp_path_factory.mktemp("variants")
    items = load_examples("sample")
    rewrites = []
    for n, e in enumerate(items[::3]):
        for k in range(1 + n % 2):
            rewrites.append(e.replace(id=f"{e.id}-rw{k}", chosen=tuple(c.upper() for c in e.chosen),
                                      rejected=tuple(r + " " * (k + 1) for r in e.rejected)).with_meta(source_id=e.id))
    write_examples(rewrites, root / "rewrites.jsonl")
    result = CliRunner().invoke(cli, ["transform", "sample", "-t", "twitter-url,char-swap", "--out", str(root / "t")])
    assert result.exit_code == 0, result.output
    return root / "rewrites.jsonl", root / "t"


def _config(tmp_path: Path, sources, **pairs) -> object:
    rewrites, folder = sources
    return load_config({
        "base_model": "unused", "output": {"dir": str(tmp_path / "out")}, "data": {"sources": ["sample"]},
        "pairs": {"pairing": "sample", "pairs_per_item": 3, **pairs}, "objective": "regularized", "seed": 5,
        # ignore-above borrows another item's prompt: it must see every item with a kept pair, as in memory
        "variants": {"transforms": ["add-quotes", "ignore-above", "punct-spaces"], "sources": [str(rewrites), str(folder)],
                     "per_pair": 2, "seed": 7}})


@pytest.mark.parametrize("chunk_items", [1, 7, 1000])
@pytest.mark.parametrize("limit", [None, 41])
def test_streamed_pairs_equal_the_in_memory_pairs(tmp_path, sources, chunk_items, limit):
    config = _config(tmp_path, sources, limit=limit)
    expected, expected_report, expected_sizes = _in_memory(config)
    report = PairReport()
    prepared, sizes, selected = prepare_pairs(config, report, tmp_path / "work", chunk_items=chunk_items)
    assert list(prepared) == expected
    assert [prepared[i] for i in range(len(prepared))] == expected and len(prepared) == len(expected)
    assert report.to_dict() == expected_report.to_dict()
    assert sizes == expected_sizes
    assert selected.inputs()[0].items == 60
    assert report.pairs_with_variant > 0 and {v.origin for p in prepared for v in p.variants} >= {
        "add-quotes", "ignore-above", str(sources[0]), "t/char-swap"}
    if limit:
        assert report.pairs == limit and report.left_out["over pairs.limit"] > 0


def test_pair_file_reads_by_index_and_pickles_for_dataloader_workers(tmp_path, sources):
    config = _config(tmp_path, sources)
    prepared, _, _ = prepare_pairs(config, PairReport(), tmp_path / "work", chunk_items=5)
    copy = pickle.loads(pickle.dumps(prepared))
    assert isinstance(copy, PairFile) and copy[-1] == prepared[len(prepared) - 1] and copy[3] == list(prepared)[3]
    with pytest.raises(IndexError):
        prepared[len(prepared)]


_MEASURE = """
import resource, sys
from pathlib import Path
from judgekit.data.pairs import PairReport
from judgekit.train.config import load_config
from judgekit.train.prepared import prepare_pairs

config = load_config({"base_model": "unused", "output": {"dir": sys.argv[2] + "/out"}, "data": {"sources": [sys.argv[1]]},
                      "objective": "regularized", "variants": {"transforms": ["add-quotes", "twitter-url"]}})
report = PairReport()
pairs, _, _ = prepare_pairs(config, report, Path(sys.argv[2]) / "work")
print(len(pairs), report.pairs_with_variant, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
def test_preparation_memory_does_not_grow_with_the_number_of_items(tmp_path):
    """Peak RSS of preparing 10x the items (each with a rewrite) stays within a small margin."""
    def make(n: int) -> Path:
        path = tmp_path / f"in{n}.jsonl"
        with open(path, "w") as handle:
            for i in range(n):
                handle.write(json.dumps({"id": f"i{i}", "prompt": [{"role": "user", "content": f"q{i} " + "q" * 200}],
                                         "chosen": [f"c{i}. " + "c" * 2000], "rejected": [f"r{i}. " + "r" * 2000], "subset": "s", "meta": {}}) + "\n")
        return path

    peaks = []
    for n in (3_000, 30_000):
        work = tmp_path / f"run{n}"
        result = subprocess.run([sys.executable, "-c", _MEASURE, str(make(n)), str(work)], capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        count, with_variant, peak = (int(x) for x in result.stdout.split())
        assert count == with_variant == n
        assert (work / "work" / "pairs.jsonl").stat().st_size > n * 2 * 4000  # pair + its rewrite, on disk
        peaks.append(peak)
    assert (tmp_path / "in30000.jsonl").stat().st_size > 120_000_000
    assert peaks[1] < peaks[0] + 40_000, peaks  # KiB: growth well under the 120 MB of extra input (230 MB of pairs)


def test_judge_sft_records_stream_equal_the_in_memory_export(tmp_path, sources, tiny_llama_dir):
    """Judge SFT prepares its records the same way: every rewrite of every pair, both orders, too-long ones
    counted; equal to `judge_records` over lists (the export `judgekit synth judge-train` writes)."""
    from transformers import AutoTokenizer

    from judgekit.judges.export import JudgePrompt, judge_records
    from judgekit.train.sft import fits, write_sft_records

    rewrites, folder = sources
    config = load_config({"kind": "judge-sft", "base_model": str(tiny_llama_dir), "output": {"dir": str(tmp_path / "o")},
                          "data": {"sources": ["sample"]}, "max_length": 400, "seed": 2,
                          "variants": {"transforms": ["add-quotes"], "sources": [str(rewrites), str(folder)]}})
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    expected_report = PairReport()
    examples = load_examples("sample")
    sets = collect_variants(examples, config.variants, expected_report.left_out)
    records = judge_records(examples, kind="sft", variant_sets=sets, data=config.pairs, prompt=JudgePrompt(),
                            seed=config.seed, report=expected_report)
    expected = [{"prompt": r["prompt"], "completion": r["completion"]} for r in records
                if fits(r, tokenizer, config.max_length)]
    assert 0 < len(expected) < len(records)  # some records are too long for 400 tokens: counted, not kept

    report = PairReport()
    path, count, inputs = write_sft_records(config, report, tmp_path / "work", tokenizer)
    assert [json.loads(line) for line in path.read_text().splitlines()] == expected and count == len(expected)
    assert report.left_out["SFT record longer than max_length=400 tokens"] == len(records) - len(expected)
    assert report.pairs_with_variant == expected_report.pairs_with_variant > 0
    assert inputs[0].items == 60
