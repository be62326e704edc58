"""Every shipped declarative file (prompts/, synth/, judges/, eval/, train/) loads and validates."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from judgekit import resources

FILES = resources.all_files()


def _id(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[-2:]) if parts[-2] in resources.KINDS else "/".join(parts[-3:])


def _kind(path: Path) -> str:
    for part in reversed(path.parts[:-1]):
        if part in resources.KINDS:
            return part
    raise AssertionError(f"{path} is not under a resource folder")


def _yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: top level must be a mapping"
    return data


def check_prompt(path: Path) -> None:
    from judgekit.backends.templates import PromptTemplate

    PromptTemplate.from_string(path.read_text(encoding="utf-8"), name=str(path))  # SpecError naming the line
    if path.parent.name == "judge":
        from judgekit.judges.templates import load_template

        template = load_template(str(path))
        values = {"question": "Q?", "answer_a": "one", "answer_b": "two", "answer": "one", "reference": "ref",
                  "answers": ["one", "two", "three"], "n": 3}
        rendered = template.render(values)
        assert "Q?" in rendered


def check_judge(path: Path) -> None:
    from judgekit.judges import PARSERS
    from judgekit.judges.spec import validate_spec
    from judgekit.judges.templates import load_template

    spec = validate_spec(_yaml(path), source=str(path))
    if spec.kind == "generative":
        load_template(spec.template_name)
        assert spec.parser_name in PARSERS
        if spec.backend is not None:
            from judgekit.backends import parse_backend_spec

            parse_backend_spec(spec.backend)


def check_suite(path: Path) -> None:
    from judgekit.eval.suite import validate_suite
    from judgekit.judges import read_spec

    suite = validate_suite(_yaml(path), source=str(path))
    assert suite.build_transforms() or not suite.transforms
    for judge in suite.judges:
        if isinstance(judge, str):
            read_spec(judge)


def check_recipe(path: Path) -> None:
    data = _yaml(path)
    try:
        synth = importlib.import_module("judgekit.synth")
    except ImportError:
        assert {"name", "transforms"} <= set(data), f"{path}: a recipe needs name and transforms"
        return
    synth.load_recipe(str(path))


def check_train(path: Path) -> None:
    data = _yaml(path)
    try:
        config = importlib.import_module("judgekit.train.config")
    except ImportError:
        assert "kind" in data or "model" in data
        return
    config.parse_config(data, where=str(path))


CHECKS = {"prompts": check_prompt, "judges": check_judge, "eval": check_suite, "synth": check_recipe,
          "train": check_train}


def test_there_are_files_of_every_kind():
    kinds = {_kind(p) for p in FILES if p.suffix in (".yaml", ".yml", ".jinja", ".j2")}
    assert {"prompts", "judges", "eval", "synth"} <= kinds


@pytest.mark.parametrize("path", FILES, ids=[_id(p) for p in FILES])
def test_shipped_file_validates(path: Path):
    if path.suffix == ".md":
        assert path.read_text(encoding="utf-8").strip(), f"{path} is empty"
        return
    kind = _kind(path)
    if kind == "prompts":
        assert path.suffix in (".jinja", ".j2"), f"{path}: prompts are jinja2 templates (*.jinja)"
    else:
        assert path.suffix in (".yaml", ".yml"), f"{path}: {kind}/ holds YAML files"
    CHECKS[kind](path)
