"""`judgekit train`: shipped configs validate, the CLI trains and evaluates, errors exit cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgekit.train.config import RewardTrainConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "train").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_training_config_validates(path):
    config = load_config(path)
    assert config.output.dir and config.base_model.startswith("embedded:")


def test_experiment_configs_differ_only_in_objective():
    standard, regularized, augmented = (load_config(ROOT / "train" / f"minilm-{n}.yaml")
                                        for n in ("standard", "regularized", "augmented"))
    assert isinstance(standard, RewardTrainConfig)
    assert standard.data == regularized.data == augmented.data
    assert standard.optim == regularized.optim == augmented.optim
    assert regularized.variants == augmented.variants
    assert (standard.objective, regularized.objective, augmented.objective) == ("standard", "regularized", "augmented")
    assert regularized.alpha == 10.0


def test_configs_are_found_by_name():
    assert load_config("demo-regularized").objective == "regularized"


def test_set_overrides_reach_list_items_and_create_sections():
    from judgekit.errors import SpecError

    config = load_config("minilm-regularized", overrides=["variants.transforms.1.name=char-swap",
                                                          "variants.transforms.1.args={rate: 0.2}",
                                                          "optim.max_steps=3", "lora.r=4"])
    assert [t.name for t in config.variants.transforms][:2] == ["add-quotes", "char-swap"]
    assert config.variants.transforms[1].args == {"rate": 0.2}
    assert config.optim.max_steps == 3 and config.lora.r == 4
    with pytest.raises(SpecError, match="not an index"):
        load_config("minilm-regularized", overrides=["variants.transforms.9.name=x"])
    with pytest.raises(SpecError, match="expected key=value"):
        load_config("minilm-regularized", overrides=["alpha"])


def _cli(args: list[str]):
    from click.testing import CliRunner

    from judgekit.cli.main import cli

    return CliRunner().invoke(cli, args, catch_exceptions=False, standalone_mode=False)


def test_bad_config_is_a_judgekit_error_naming_the_field(tmp_path):
    from judgekit.errors import SpecError

    path = tmp_path / "bad.yaml"
    path.write_text("base_model: m\noutput: {dir: o}\ndata: {sources: sample}\nobjective: regularised\n")
    with pytest.raises(SpecError, match="objective"):
        _cli(["train", str(path)])


@pytest.mark.slow
def test_cli_trains_with_overrides_and_runs_an_eval_suite(tiny_bert_dir, tmp_path):
    suite = tmp_path / "mini.yaml"
    suite.write_text("description: one item per subset, two transforms\ndata: {sources: sample, limit_per_subset: 1}\n"
                     "transforms: [add-quotes, char-swap]\nseed: 0\n")
    config = tmp_path / "rm.yaml"
    # the output's parent folder does not exist yet: train makes it (and its hidden working folder beside the output)
    config.write_text(f"base_model: {tiny_bert_dir}\noutput: {{dir: {tmp_path / 'models' / 'rm'}}}\ndata: {{sources: sample}}\n"
                      "variants: {transforms: [{name: add-quotes}]}\nobjective: regularized\nmax_length: 64\n")
    result = _cli(["train", str(config), "--set", "optim.max_steps=2", "--set", "optim.batch_size=4",
                   "--eval-suite", str(suite), "--json"])
    body = json.loads(result.stdout_bytes.decode().strip().splitlines()[-1])
    assert body["training"]["steps"] == 2 and body["objective"] == "regularized"
    assert body["data"]["pairs_with_variant"] > 0
    evaluation = body["evaluation"]
    assert Path(evaluation["folder"], "report.html").is_file()
    results = evaluation["results"]
    assert set(results) == {"rm / original", "rm / add-quotes", "rm / char-swap"}
    assert results["rm / char-swap"]["drop"] is not None
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["rm", "rm.eval"]  # the prepared pairs are gone
