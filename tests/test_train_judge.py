"""Judge training data (SFT / DPO, both orders, rewrites, invariant target) and the judge SFT smoke run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from judgekit.data import load_examples
from judgekit.data.pairs import PairReport
from judgekit.judges.export import judge_records, write_records
from judgekit.judges.parsers import parse_pairwise


def _variants(items):
    return {"upper": [e.replace(chosen=tuple(c.upper() for c in e.chosen),
                                rejected=tuple(r.upper() for r in e.rejected)) for e in items]}


def test_sft_records_cover_both_orders_and_rewrites_with_an_invariant_target():
    items = load_examples("sample")[:3]
    report = PairReport()
    records = judge_records(items, kind="sft", variant_sets=_variants(items), report=report)
    assert len(records) == 3 * 2 * 2  # items x (original + rewrite) x orders
    assert report.variants_attached == 3
    for record in records:
        meta = record["meta"]
        verdict = parse_pairwise(record["completion"][0]["content"])
        assert verdict == meta["target"] == ("A" if meta["order"] == "AB" else "B")
        text = record["prompt"][-1]["content"]
        source = next(e for e in items if e.id == meta["source_id"])
        chosen = source.chosen[0].upper() if meta["variant"] == "upper" else source.chosen[0]
        # the chosen response sits where the target verdict points
        first, second = text.index("[Start of Response A]"), text.index("[Start of Response B]")
        where = text.index(chosen)
        assert (first < where < second) == (meta["order"] == "AB")
    # the same comparison gets the target that points at the chosen response in every order and rewrite
    by_pair = {}
    for record in records:
        by_pair.setdefault(record["meta"]["pair"], set()).add((record["meta"]["order"], record["meta"]["target"]))
    assert all(targets == {("AB", "A"), ("BA", "B")} for targets in by_pair.values())


def test_dpo_prefers_the_consistent_verdict_over_the_flipped_one(tmp_path):
    items = load_examples("sample")[:2]
    records = judge_records(items, kind="dpo")
    assert len(records) == 4
    for record in records:
        chosen, rejected = (parse_pairwise(record[k][0]["content"]) for k in ("chosen", "rejected"))
        assert chosen == record["meta"]["target"] and {chosen, rejected} == {"A", "B"}
    path = tmp_path / "dpo.jsonl"
    assert write_records(records, path) == 4
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == [r["id"] for r in records]


def test_synth_recipe_exports_judge_sft_and_dpo_from_every_kept_rewrite(tmp_path):
    from click.testing import CliRunner

    from judgekit.cli.main import cli
    from judgekit.judges.export import is_judge_record_file

    out = tmp_path / "jt"
    result = CliRunner().invoke(cli, ["synth", "judge-train", "--set", "data.limit=6", "--set",
                                      "transforms=[add-quotes, self-praise, code-minify]",
                                      "--set", f"output.dir={out}"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    kept = {t["name"]: t["kept"] for t in manifest["transforms"]}
    assert kept["add-quotes"] == 6 and kept["self-praise"] == 6 and kept["code-minify"] < 6  # code items only
    exports = {e["kind"]: e for e in manifest["exports"]}
    assert set(exports) == {"judge-sft", "judge-dpo"}
    assert f"judge-sft: {exports['judge-sft']['records']} records" in result.output
    for kind, entry in exports.items():
        lines = [json.loads(line) for line in (out / entry["file"]).read_text().splitlines()]
        # (6 originals + every kept rewrite) x 2 orders, and only kept rewrites
        assert entry["records"] == len(lines) == 2 * (6 + sum(kept.values()))
        variants = Counter(r["meta"]["variant"] for r in lines)
        assert variants == {"original": 12, **{name: 2 * n for name, n in kept.items() if n}}
        for record in lines:
            answer = record["completion"] if kind == "judge-sft" else record["chosen"]
            assert parse_pairwise(answer[0]["content"]) == record["meta"]["target"]
    assert is_judge_record_file(out / "judge" / "judge-sft.jsonl")
    # the folder still reads as a transform output (the judge/ subfolder is not a dataset)
    from collections import Counter as Counts

    from judgekit.train.config import VariantConfig
    from judgekit.train.variants import dataset_variants

    left_out = Counts()
    found = dataset_variants(VariantConfig(sources=[str(out)]), left_out)
    assert set(found) == {f"jt/{n}" for n, count in kept.items() if count}  # empty sets are counted, not read
    assert sum(left_out.values()) == sum(1 for count in kept.values() if not count)


@pytest.mark.slow
def test_judge_sft_smoke_run_on_a_tiny_llama(tiny_llama_dir, tmp_path):
    from safetensors.torch import load_file

    from judgekit.train.config import load_config
    from judgekit.train.manifest import read_manifest
    from judgekit.train.sft import train_judge_sft

    config = load_config({"kind": "judge-sft", "base_model": str(tiny_llama_dir), "output": {"dir": str(tmp_path / "j")},
                           "data": {"sources": ["sample"], "limit": 8}, "max_length": 768, "seed": 1,
                           "optim": {"batch_size": 2, "max_steps": 2, "learning_rate": 1e-3, "logging_steps": 1}})
    result = train_judge_sft(config)
    manifest = read_manifest(result.output_dir)
    assert manifest.kind == "judge-sft" and manifest.training["steps"] == 2
    assert manifest.data["records"] + sum(manifest.data["left_out"].values()) >= 8
    before = load_file(str(Path(tiny_llama_dir) / "model.safetensors"))
    after = load_file(str(result.output_dir / "model.safetensors"))
    changed = [name for name in after if name in before and not before[name].equal(after[name])]
    assert changed, "SFT did not update any weight"
