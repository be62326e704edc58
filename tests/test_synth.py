"""Recipes: validation, --set, --dry-run, a full run against a local server, manifest, shipped files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from judgekit import resources
from judgekit.errors import SpecError
from judgekit.synth import load_recipe, plan_recipe, run_recipe
from tests.fake_openai import FakeOpenAI, last_user_message


def paraphrase_reply(body) -> str:
    message = last_user_message(body)
    text = message.split("\nText:\n", 1)[1] if "\nText:\n" in message else message.split("\nInstruction:\n", 1)[1]
    if text.startswith("Treat basil"):
        return "I'm sorry, I can't help with that."
    return f"So, {text}"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))


def recipe_dict(server: FakeOpenAI, out: Path, **changes) -> dict:
    recipe = {
        "name": "t",
        "data": {"sources": ["sample"], "limit": 8},
        "backend": {"backend": "openai", "model": "fake", "base_url": server.base_url, "concurrency": 4},
        "transforms": [{"name": "paraphrase", "args": {"min_similarity": 0, "max_attempts": 2}}, "rot13"],
        "filters": [{"name": "not-refusal"}, {"name": "length-ratio", "args": {"min": 0.5, "max": 3}}],
        "output": {"dir": str(out)},
    }
    recipe.update(changes)
    return recipe


@pytest.mark.api
def test_run_writes_datasets_and_a_manifest(tmp_path):
    with FakeOpenAI(reply=paraphrase_reply) as server:
        result = run_recipe(load_recipe(recipe_dict(server, tmp_path / "out")))
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        ".judgekit.json", "README.md", "manifest.json", "original.jsonl",
        "paraphrase_max_attempts=2_min_similarity=0.0.jsonl", "rot13.jsonl"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == json.loads(result.manifest.to_json())
    assert manifest["inputs"][0]["source"] == "sample" and len(manifest["inputs"][0]["sha256"]) == 64
    entries = {e["transform"]: e for e in manifest["transforms"]}
    para = entries["paraphrase"]
    # chat-001's chosen response gets a refusal every time: dropped with that reason, after 2 attempts
    assert para["kept"] == 7 and para["dropped"] == 1
    assert para["dropped_reasons"] == {"refusal": 1}
    assert para["not_applicable_items"][0]["id"] == "chat-001"
    lines = (out / para["file"]).read_text().splitlines()
    assert len(lines) == 7
    first = json.loads(lines[0])
    assert first["chosen"][0].startswith("So, ") and first["meta"]["source_id"] == first["id"]
    assert "length_ratio" in first["meta"]["filters"]
    assert entries["rot13"]["kept"] == 8
    assert manifest["totals"] == {"items": 8, "kept": 15, "dropped": 1}
    assert manifest["usage"]["sent"] == len(server.log) and manifest["usage"]["failures"] == 0
    assert manifest["templates"] == {"paraphrase/response": resources_sha("paraphrase/response.jinja")}
    assert manifest["backend"]["base_url"] == server.base_url
    assert manifest["versions"]["judgekit"]


def resources_sha(name: str) -> str:
    import hashlib

    return hashlib.sha256(resources.find("prompts", name).read_text(encoding="utf-8").encode()).hexdigest()


@pytest.mark.api
def test_dry_run_sends_nothing_and_sees_the_cache(tmp_path):
    with FakeOpenAI(reply=paraphrase_reply) as server:
        recipe = load_recipe(recipe_dict(server, tmp_path / "out", backend={
            "backend": "openai", "model": "fake", "base_url": server.base_url,
            "price_input_per_mtok": 1.0, "price_output_per_mtok": 2.0}))
        plan = plan_recipe(recipe)
        assert server.log == []
        assert plan.items == 8 and plan.cache_hits == 0
        assert plan.requests == plan.by_transform["paraphrase(max_attempts=2, min_similarity=0.0)"] >= 16
        assert plan.cost_usd == pytest.approx((plan.prompt_tokens + 2 * plan.completion_tokens) / 1e6)
        run_recipe(recipe)
        sent = len(server.log)
        again = plan_recipe(recipe)
        assert len(server.log) == sent
    # every first attempt is cached (a refusal is a reply; the transform, not the cache, rejects it)
    assert again.cache_hits == again.requests == plan.requests
    assert again.prompt_tokens == 0 and again.cost_usd == 0


@pytest.mark.api
def test_cli_synth_prints_kept_and_dropped(tmp_path):
    from judgekit.cli.main import cli

    with FakeOpenAI(reply=paraphrase_reply) as server:
        path = tmp_path / "r.yaml"
        path.write_text(yaml.safe_dump(recipe_dict(server, tmp_path / "out")))
        runner = CliRunner()
        result = runner.invoke(cli, ["synth", str(path), "--set", "data.limit=3"])
        assert result.exit_code == 0, result.output
        assert "kept 5, dropped 1" in result.output
        dry = runner.invoke(cli, ["synth", str(path), "--dry-run", "--set", "data.limit=3"])
        assert dry.exit_code == 0 and "cache hits" in dry.output


def test_recipe_errors_name_the_file_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ntransforms: [paraphrase]\ndata: {sorce: sample}\n")
    with pytest.raises(SpecError, match=r"bad.yaml: field 'data.sorce': unknown field"):
        load_recipe(str(path))
    path.write_text("name: x\ntransforms: [paraphrase]\nbackend: {backend: hf, batchsize: 2}\n")
    with pytest.raises(SpecError, match="batchsize"):
        load_recipe(str(path))
    path.write_text("name: x\ntransforms: []\n")
    with pytest.raises(SpecError, match="transforms"):
        load_recipe(str(path))
    path.write_text("name: x\ntransforms: [paraphrase]\nfilters: [{name: similarity, args: {minimum: 1}}]\n")
    with pytest.raises(SpecError, match="unknown argument"):
        plan_recipe(load_recipe(str(path)))
    path.write_text("name: x\ntransforms: [paraphrase]\n")
    with pytest.raises(SpecError, match="--set 'nope': expected key=value"):
        load_recipe(str(path), ["nope"])
    with pytest.raises(SpecError, match="unknown field"):
        load_recipe(str(path), ["output.colour=red"])


def test_set_overrides_by_dotted_path():
    recipe = load_recipe("paraphrase-train", ["data.limit=5", "transforms.0.args.max_attempts=1", "backend.batch_size=2",
                                              "seed=9"])
    assert recipe.data.limit == 5 and recipe.transforms[0].args["max_attempts"] == 1
    assert recipe.backend.batch_size == 2 and recipe.seed == 9
    recipe = load_recipe("paraphrase-train", ["backend={backend: openai, model: m, base_url: 'http://h/v1'}"])
    assert recipe.backend.backend == "openai"


@pytest.mark.api
def test_bad_template_in_a_recipe_fails_before_any_request(tmp_path):
    template = tmp_path / "t.jinja"
    template.write_text("Rewrite {{ text.__init__.__globals__ }}")
    with FakeOpenAI() as server:
        recipe = load_recipe(recipe_dict(server, tmp_path / "out", transforms=[
            {"name": "paraphrase", "args": {"template": str(template), "min_similarity": 0}}]))
        with pytest.raises(SpecError, match="t.jinja"):
            run_recipe(recipe)
        assert server.log == []
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", resources.list_names("synth"))
def test_shipped_recipes_validate_and_plan(name):
    recipe = load_recipe(name)
    from judgekit.synth.runner import recipe_transforms

    assert recipe_transforms(recipe)


@pytest.mark.parametrize("name", [n for n in resources.list_names("prompts", (".jinja",))
                                  if n.split("/")[0] in ("paraphrase", "translate", "rewrite")])
def test_shipped_rewrite_templates_render(name):
    from judgekit.templates import PromptTemplate

    template = PromptTemplate.load(name)
    values = {"text": "Some text.", "style": "formal", "source_language": "English", "target_language": "Spanish",
              "prompt": "a question"}
    messages = template.messages({k: v for k, v in values.items() if k in template.variables()})
    assert messages[-1].role == "user" and "Some text." in messages[-1].content


@pytest.mark.slow
def test_demo_recipe_with_the_embedded_model(tmp_path):
    """What `make demo` runs, on one item: the embedded SmolLM2 paraphrases, MiniLM checks, counts add up."""
    recipe = load_recipe("demo-paraphrase", ["data.limit=1", "transforms.0.args.max_attempts=1"])
    from judgekit.outputs import prepare_output

    result = run_recipe(recipe, target=prepare_output(tmp_path / "demo", command="synth"))
    manifest = json.loads(result.manifest.to_json())
    entry = manifest["transforms"][0]
    assert entry["kept"] + entry["dropped"] == 1
    assert manifest["usage"]["sent"] == 1 and manifest["usage"]["failures"] == 0
    assert manifest["backend"]["model"] == "smollm2-135m-instruct"
    for line in (tmp_path / "demo" / entry["file"]).read_text().splitlines():
        record = json.loads(line)
        assert record["meta"]["llm"]["texts"]["prompt[0]"]["similarity"] >= 0.7
