"""Transform and synth folders are Hugging Face dataset repositories: a README.md card whose YAML header
declares one config per dataset, read by the real `datasets.load_dataset` offline (HF_DATASETS_OFFLINE=1)."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from judgekit.cli.main import cli
from judgekit.data import load_examples
from judgekit.provenance.card import dataset_card
from judgekit.provenance.manifests import FileRecord, InputRecord, TransformEntry, TransformManifest

HOSTILE = '<script>alert(1)</script> | ---\n# not a heading'


def header(folder) -> dict:
    """The card's metadata as the Hub's own parser reads it."""
    from huggingface_hub import DatasetCard

    return DatasetCard.load(folder / "README.md").data.to_dict()


def load(folder, config: str | None, tmp_path):
    import datasets

    assert os.environ["HF_DATASETS_OFFLINE"] == "1"  # tests/conftest.py: nothing may reach the hub
    return datasets.load_dataset(str(folder), config, split="train", cache_dir=str(tmp_path / "hf-cache"))


def transform(tmp_path, source, out, *selectors: str):
    args = ["transform", str(source), "--out", str(out)]
    for selector in selectors:
        args += ["-t", selector]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def chat_items(tmp_path):
    """Three chat items of the bundled sample (code transforms apply to none of them)."""
    items = [e for e in load_examples("sample") if e.subset.startswith("chat")][:3]
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(e.to_json() + "\n" for e in items), encoding="utf-8")
    return path


def test_transform_folder_loads_with_datasets_per_config(tmp_path, chat_items):
    folder = transform(tmp_path, chat_items, tmp_path / "t", "char-swap,rot13", "char-swap(rate=0.2)",
                       "code-minify")
    manifest = json.loads((folder / "manifest.json").read_text())
    configs = {c["config_name"]: c for c in header(folder)["configs"]}
    # one config per transform that produced items, plus the originals (the default)
    assert list(configs) == ["original", "char-swap", "rot13", "char-swap(rate=0.2)"]
    assert configs["original"]["default"] is True
    assert [e["transformed"] for e in manifest["transforms"] if e["name"] == "code-minify"] == [0]
    for name, file in (("char-swap", "char-swap.jsonl"), ("char-swap(rate=0.2)", "char-swap_rate=0.2.jsonl"),
                       ("rot13", "rot13.jsonl")):
        rows = load(folder, name, tmp_path)
        expected = load_examples(folder / file)
        assert [r["id"] for r in rows] == [e.id for e in expected]
        assert [r["chosen"] for r in rows] == [list(e.chosen) for e in expected]
        assert rows[0]["meta"]["transform"] == expected[0].meta["transform"]
    default = load(folder, None, tmp_path)
    assert [r["id"] for r in default] == [e.id for e in load_examples(chat_items)]
    # the manifest's provenance is in the card's text
    card = (folder / "README.md").read_text()
    assert manifest["inputs"][0]["sha256"] in card and manifest["original"]["sha256"] in card
    for entry in manifest["transforms"]:
        assert entry["sha256"] in card
    assert "not a code item" in card and "(no items, no config)" in card
    assert f"judgekit {manifest['versions']['judgekit']}" in card


def test_transform_folder_is_byte_identical_for_the_same_inputs(tmp_path, chat_items):
    a = transform(tmp_path, chat_items, tmp_path / "a", "char-swap,punct-spaces")
    b = transform(tmp_path, chat_items, tmp_path / "b", "char-swap,punct-spaces")
    names = sorted(p.name for p in a.iterdir())
    assert "README.md" in names and names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_card_escapes_text_and_falls_back_to_file_names():
    entry = TransformEntry(name="attack(file=x/y.yaml)", transform="attack", family="judge-attack",
                           args={"file": "x/y.yaml"}, targets=["rejected"], preserves="ranking",
                           file="attack_file=x_y.yaml.jsonl", sha256="ab" * 32, transformed=2, not_applicable=1,
                           failed=0, not_applicable_reasons={HOSTILE: 1})
    manifest = TransformManifest(inputs=[InputRecord(source=HOSTILE, sha256="cd" * 32, items=3)], seed=7,
                                 original=FileRecord(file="original.jsonl", items=3, sha256="ef" * 32),
                                 transforms=[entry], versions={"judgekit": "0"})
    card = dataset_card(manifest)
    from huggingface_hub import DatasetCard

    head = DatasetCard(card).data.to_dict()
    assert head["pretty_name"].startswith("judgekit transform of <script>")  # YAML keeps it as data, one line
    # ':' and '/' are refused in a `datasets` config name: the file's stem stands in
    assert [c["config_name"] for c in head["configs"]] == ["original", "attack_file=x_y.yaml"]
    body = DatasetCard(card).text
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "\n# not a heading" not in body  # newlines in a cell are flattened
    assert card == dataset_card(manifest)


@pytest.mark.parametrize("data_format", ["jsonl", "parquet", "datasets"])
def test_synth_folder_loads_in_every_output_format(tmp_path, data_format, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / f"synth-{data_format}"
    result = CliRunner().invoke(cli, ["synth", "judge-train", "--backend", "mock", "--out", str(out),
                                      "--set", "data.limit=4", "--set", f"output.format={data_format}",
                                      "--set", "transforms=[add-quotes, self-praise]"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    configs = [c["config_name"] for c in header(out)["configs"]]
    exports = [e["kind"] for e in manifest["exports"]]
    assert exports == ["judge-sft", "judge-dpo"]
    # JSON Lines exports are configs only beside JSON Lines data: `datasets` reads all configs of a repo alike
    assert configs == ["original", "add-quotes", "self-praise"] + (exports if data_format == "jsonl" else [])
    for entry in manifest["transforms"]:
        rows = load(out, entry["name"], tmp_path)
        assert len(rows) == entry["kept"] and set(rows.features) >= {"id", "prompt", "chosen", "rejected"}
    if data_format == "jsonl":
        sft = load(out, "judge-sft", tmp_path)
        assert len(sft) == manifest["exports"][0]["records"]
    card = (out / "README.md").read_text()
    assert manifest["recipe_sha256"] in card and "elapsed" not in card
    assert ("string (JSON)" in card) == (data_format != "jsonl")
