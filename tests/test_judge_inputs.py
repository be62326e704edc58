"""What judge templates can read (rubric, few-shot records, reference, item fields), checked up front, and
where a suite's judge and template paths resolve (beside the suite file, then the working directory, then by
name)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from judgekit.backends.base import Backend, ChatRequest, Generation
from judgekit.data.example import Example
from judgekit.errors import SpecError
from judgekit.eval.runner import prepare, run_suite
from judgekit.judges import GenerativeJudgeSpec, load_judge
from judgekit.judges.generative import GenerativeJudge
from tests.judge_helpers import write_items, write_yaml


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGEKIT_CACHE", str(tmp_path / "cache"))


class Seen(Backend):
    """Answers [[A]] and keeps every prompt it was sent."""

    name = "seen"

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[str] = []

    def identity(self):
        return {"backend": "seen"}

    def _generate(self, requests: Sequence[ChatRequest], emit) -> None:
        for index, request in enumerate(requests):
            self.prompts.append(request.messages[-1].content)
            emit(index, Generation(text="[[A]]"))


ITEM = Example(id="x1", prompt="Is water wet?", chosen=("yes",), rejected=("no",), subset="science",
               meta={"difficulty": "easy", "reference": "yes", "tags": ["a", "b"]})


def judge_with(tmp_path, template: str, **spec) -> GenerativeJudge:
    path = tmp_path / "t.jinja"
    path.write_text(template)
    return GenerativeJudge(GenerativeJudgeSpec(backend="mock", template=str(path), **spec), backend=Seen())


def test_rubric_fewshot_reference_and_item_fields_reach_the_prompt(tmp_path):
    (tmp_path / "shots.jsonl").write_text(json.dumps({"question": "Q0", "verdict": "[[B]]"}) + "\n")
    template = ("{{ rubric }}|{% for s in fewshot %}{{ s.question }}={{ s.verdict }}{% endfor %}|{{ reference }}|"
                "{{ item.id }}/{{ item.subset }}/{{ item.meta.difficulty }}/{{ item.meta.tags | join('+') }}|"
                "{{ item.question }}|{{ answer_a }} vs {{ answer_b }}")
    judge = judge_with(tmp_path, template, rubric="Prefer truth.", fewshot_file=str(tmp_path / "shots.jsonl"),
                       both_orders=False)
    judge.judge([ITEM], placements={"x1": 0})
    assert judge.backend.prompts == ["Prefer truth.|Q0=[[B]]|yes|x1/science/easy/a+b|Is water wet?|yes vs no"]
    (tmp_path / "rubric.md").write_text("From a file.\n")
    judge = judge_with(tmp_path, "{{ rubric }} {{ answer }}", mode="pointwise", rubric_file=str(tmp_path / "rubric.md"))
    assert judge.planned_requests([ITEM])[0].messages[-1].content == "From a file. yes"


def test_a_name_nobody_provides_fails_when_the_judge_is_built(tmp_path):
    with pytest.raises(SpecError, match=r"undefined variable\(s\) rubric \(set 'rubric' or 'rubric_file'"):
        judge_with(tmp_path, "{{ rubric }} {{ answer_a }}")
    with pytest.raises(SpecError, match=r"undefined variable\(s\) fewshot, qestion"):
        judge_with(tmp_path, "{{ qestion }} {{ fewshot }}")
    with pytest.raises(ValueError, match="not both"):
        GenerativeJudgeSpec(backend="mock", rubric="x", rubric_file="y")


def test_an_item_the_template_cannot_render_fails_as_input_and_is_never_sent(tmp_path):
    judge = judge_with(tmp_path, "{{ question }} {{ answer_a }} {{ answer_b }} [{{ item.meta.difficulty }}]")
    plain = Example(id="x2", prompt="Q?", chosen=("a",), rejected=("b",))
    with pytest.raises(SpecError, match="difficulty"):
        judge.check_item(plain)  # what the runner does with the first item of each variant
    judge.check_item(ITEM)
    out = judge.judge([ITEM, plain])
    assert out[0].comparisons[0].verdict == "tie"  # [[A]] in both orders: inconsistent
    assert out[1].comparisons[0].verdict == "failed" and out[1].comparisons[0].failure == "input"
    assert "difficulty" in out[1].errors[0]
    assert len(judge.backend.prompts) == 2  # both orders of x1 only
    assert judge.stats()["input_failures"] == 1


def test_templates_stay_sandboxed(tmp_path):
    judge = judge_with(tmp_path, "{{ item.meta.pop('difficulty') }} {{ answer_a }}{{ answer_b }}")
    with pytest.raises(SpecError, match="sandbox"):
        judge.check_item(ITEM)
    judge = judge_with(tmp_path, "{{ item.__class__.__mro__ }} {{ answer_a }}{{ answer_b }}")
    with pytest.raises(SpecError):
        judge.check_item(ITEM)


def test_suite_paths_resolve_beside_the_suite_file_then_by_name(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "prompts").mkdir(parents=True)
    write_items(project / "items.jsonl", n=2)
    (project / "prompts" / "mine.jinja").write_text("{{ rubric }} {{ question }} A={{ answer_a }} B={{ answer_b }}")
    (project / "rubric.txt").write_text("My rubric.")
    (project / "judges").mkdir()
    write_yaml(project / "judges" / "j.yaml", {  # paths inside a judge file: beside that file first
        "kind": "generative", "backend": {"backend": "mock", "replies": ["[[A]]"]},
        "template": "../prompts/mine.jinja", "rubric_file": "../rubric.txt"})
    suite = write_yaml(project / "suite.yaml", {
        "name": "paths", "data": {"sources": ["items.jsonl"]},
        "judges": ["judges/j.yaml",  # a file beside the suite
                   {"kind": "generative", "name": "inline", "backend": {"backend": "mock", "replies": ["[[B]]"]},
                    "template": "prompts/mine", "rubric_file": "rubric.txt"},  # inline: beside the suite
                   {"kind": "generative", "name": "shipped", "backend": "mock", "template": "judge/pairwise"}]})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _, judges, _ = prepare(suite)
    assert [j.name for j in judges] == ["j", "inline", "shipped"]
    assert judges[0].template.path == str(project / "prompts" / "mine.jinja")
    assert judges[1].template.path == str(project / "prompts" / "mine.jinja")
    assert judges[1].inputs.rubric == "My rubric."
    assert judges[2].template.name == "judge/pairwise"  # no such file here: found by name
    report = run_suite(suite)
    assert [r["accuracy"] for r in report.results(variant="original")] == [0.0, 0.0, 0.0]  # mock A/B: one order wrong


def test_verifier_reference_and_panel_members_resolve_from_the_judge_file(tmp_path):
    write_yaml(tmp_path / "member.yaml", {"kind": "generative", "backend": "mock"})
    write_yaml(tmp_path / "panel.yaml", {"kind": "panel", "members": ["member.yaml", {
        "kind": "generative", "name": "other", "backend": "mock", "template": "t.jinja"}]})
    (tmp_path / "t.jinja").write_text("{{ question }} {{ answer_a }} {{ answer_b }}")
    panel = load_judge(tmp_path / "panel.yaml")
    assert [m.name for m in panel.members] == ["member", "other"]
    assert panel.members[1].template.path == str(tmp_path / "t.jinja")
