"""Every shipped declarative file (prompts/, synth/, judges/, eval/, train/, attacks/) loads and validates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from judgekit import resources

FILES = resources.all_files()


def _id(path: Path) -> str:
    for root in resources.search_roots():
        if path.is_relative_to(root):
            return str(path.relative_to(root))
    return path.name


def _kind(path: Path) -> str:
    """The resource folder a file belongs to (the first folder under its search root)."""
    for root in resources.search_roots():
        if path.is_relative_to(root):
            first = path.relative_to(root).parts[0]
            if first in resources.KINDS:
                return first
    raise AssertionError(f"{path} is not under a resource folder")


def _yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: top level must be a mapping"
    return data


def check_prompt(path: Path) -> None:
    from judgekit.templates import PromptTemplate

    PromptTemplate.from_string(path.read_text(encoding="utf-8"), name=str(path))  # SpecError naming the line
    if path.parent.name == "judge":
        from judgekit.templates import load_template

        template = load_template(str(path))
        values = {"question": "Q?", "answer_a": "one", "answer_b": "two", "answer": "one", "reference": "ref",
                  "answers": ["one", "two", "three"], "n": 3, "rubric": "R",
                  "item": {"id": "x", "subset": "s", "meta": {}, "messages": [], "question": "Q?"}}
        rendered = template.render(values)
        assert "Q?" in rendered


def check_judge(path: Path) -> None:
    from judgekit.judges.spec import validate_spec

    # validation checks the kind, the backend (its own options), the template file and the parser name
    validate_spec(_yaml(path), source=str(path))


def check_suite(path: Path) -> None:
    from judgekit.eval.suite import load_suite
    from judgekit.judges import resolve_spec

    suite = load_suite(path)  # transform and metric names are checked by validation
    assert suite.build_transforms() or not suite.transforms
    for judge in suite.judges:
        resolve_spec(judge, base=suite.base_dir)  # judge names, files, templates, parsers


def check_recipe(path: Path) -> None:
    from judgekit.synth import load_recipe
    from judgekit.templates import load_template

    recipe = load_recipe(path)  # transforms (with arguments), filters and the backend are checked here
    for export in recipe.export:
        load_template(export.template)


def check_train(path: Path) -> None:
    from judgekit.train.config import load_config

    config = load_config(path)  # variants.transforms are checked here
    template = getattr(config, "template", None)
    if template:
        from judgekit.templates import load_template

        load_template(template)


def check_attack(path: Path) -> None:
    from judgekit.transforms.declarative import validate_attack_file

    validate_attack_file(path)


CHECKS = {"prompts": check_prompt, "judges": check_judge, "eval": check_suite, "synth": check_recipe,
          "train": check_train, "attacks": check_attack}


def test_there_are_files_of_every_kind():
    kinds = {_kind(p) for p in FILES if p.suffix in (".yaml", ".yml", ".jinja", ".j2")}
    assert {"prompts", "judges", "eval", "synth"} <= kinds


@pytest.mark.parametrize("path", FILES, ids=[_id(p) for p in FILES])
def test_shipped_file_names_no_development_path(path: Path):
    """Shipped files work after `pip install`: no path into this repository's development setup."""
    assert "shared/data" not in path.read_text(encoding="utf-8"), f"{path} names the development data folder"


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
