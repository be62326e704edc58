"""The engine: building and selecting transforms, running them (workers, backends), accounting, the CLI."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from judgekit.data import Example, load_examples
from judgekit.errors import RegistryError, SpecError
from judgekit.transforms.base import TRANSFORMS, BatchTransform, NotApplicable, Transform, map_targets
from judgekit.transforms.compose import Composed
from judgekit.transforms.engine import build_transform, run_transforms, select_transforms


@pytest.fixture(scope="module")
def sample() -> list[Example]:
    return list(load_examples("sample"))


# -- building and selecting ----------------------------------------------------------------------------
def test_build_by_name_with_args_and_display_names():
    assert build_transform("rot13").display_name() == "rot13"
    swap = build_transform("char-swap(rate=0.2)")
    assert swap.rate == 0.2 and swap.display_name() == "char-swap(rate=0.2)"
    assert build_transform("char-swap(rate=0.1)").display_name() == "char-swap"  # the default is not shown
    assert build_transform({"name": "char-swap", "args": {"rate": "0.3"}}).rate == 0.3  # coerced from text
    assert build_transform("char-swap(include_code=true)").include_code is True
    assert build_transform("master-key(opener=Solution)").opener == "Solution"


def test_composition_applies_in_order():
    composed = build_transform("add-quotes(count=1)+punct-spaces")
    assert isinstance(composed, Composed) and composed.display_name() == "add-quotes(count=1)+punct-spaces"
    assert composed.targets == ("prompt", "chosen", "rejected")
    item = Example(id="a", prompt="Hi there", chosen=["Yes"], rejected=["No"])
    out = run_transforms([item], [composed])[composed.display_name()].examples[0]
    assert out.chosen == ('" Yes "',)  # quotes first, then spaced as punctuation
    reverse = build_transform("punct-spaces+add-quotes(count=1)")
    assert run_transforms([item], [reverse])[reverse.display_name()].not_applicable == []


def test_provenance_round_trips_to_the_same_transform(sample):
    for spec in ("char-sub(rate=0.25)", "rot2", "add-quotes(count=2)+homoglyph"):
        transform = build_transform(spec)
        outcome = run_transforms(sample[:5], [transform], seed=3)[transform.display_name()]
        recorded = outcome.examples[0].meta["transform"]
        assert recorded["seed"] == 3
        rebuilt = build_transform({"name": recorded["name"], "args": recorded["args"]})
        assert rebuilt.display_name() == transform.display_name()
        assert outcome.examples[0].meta["source_id"] == outcome.examples[0].id


def test_unknown_names_and_args_say_what_is_allowed():
    with pytest.raises(RegistryError, match="char-swap"):
        build_transform("char-swpa")
    with pytest.raises(SpecError, match=r"rate=0\.1"):
        build_transform("char-swap(ratio=0.2)")
    with pytest.raises(SpecError, match="must be float"):
        build_transform("char-swap(rate='lots')")
    with pytest.raises(SpecError, match="between 0 and 1"):
        build_transform("char-swap(rate=2)")
    with pytest.raises(SpecError, match="name"):
        build_transform({"nme": "rot13"})
    with pytest.raises(RegistryError, match="no transform matches"):
        select_transforms("nothing-*")


def test_select_all_families_globs_and_lists():
    everything = select_transforms("all")
    names = [t.display_name() for t in everything]
    assert "rot13" in names and "jailbreak-encoded" in names
    assert not any(t.needs_backend for t in everything)  # the llm family needs a backend: not in "all"
    assert [t.family for t in select_transforms("naturalistic")] == ["naturalistic"] * 6
    assert len(select_transforms("jailbreak-*")) == 5
    picked = select_transforms("rot13, naturalistic,rot13,add-quotes+punct-spaces")
    assert [t.display_name() for t in picked][:2] == ["rot13", "char-delete"]
    assert picked[-1].display_name() == "add-quotes+punct-spaces" and len(picked) == 8
    assert [t.display_name() for t in select_transforms(["rot2", "char-swap(rate=0.3)"])] == [
        "rot2", "char-swap(rate=0.3)"]


# -- running and accounting ----------------------------------------------------------------------------
def test_every_item_is_counted_once_and_na_items_are_left_out(sample):
    outcomes = run_transforms(sample, select_transforms("all"), seed=0)
    for name, outcome in outcomes.items():
        ids = [e.id for e in outcome.examples]
        na = [i for i, _ in outcome.not_applicable]
        assert len(ids) + len(na) + len(outcome.failed) == len(sample), name
        assert not set(ids) & set(na), name
        assert ids == [e.id for e in sample if e.id in set(ids)], name  # input order kept
    code = outcomes["code-minify"]
    assert {i for i, _ in code.not_applicable} == {e.id for e in sample if not e.subset.startswith("code")}
    assert all(reason == "not a code item" for _, reason in code.not_applicable)


def test_unchanged_items_are_not_applicable_never_passed_through():
    @dataclasses.dataclass(frozen=True)
    class Identity(Transform):
        name = "identity-test"

        def apply(self, example, rng):
            return example

    item = Example(id="i", prompt="p", chosen=["a"], rejected=["b"])
    outcome = run_transforms([item], [Identity()])["identity-test"]
    assert outcome.examples == [] and outcome.not_applicable == [("i", "nothing to change")]


def test_changes_outside_declared_targets_and_exceptions_are_failures():
    @dataclasses.dataclass(frozen=True)
    class Rogue(Transform):
        name = "rogue-test"
        targets = ("rejected",)

        def apply(self, example, rng):
            if example.id == "boom":
                raise RuntimeError("kaput")
            return map_targets(example, ("chosen",), str.upper)

    items = [Example(id="i", prompt="p", chosen=["a"], rejected=["b"]),
             Example(id="boom", prompt="p", chosen=["a"], rejected=["b"])]
    outcome = run_transforms(items, [Rogue()])["rogue-test"]
    assert outcome.examples == []
    assert outcome.failed[0][0] == "i" and "outside its declared targets" in outcome.failed[0][1]
    assert outcome.failed[1] == ("boom", "RuntimeError: kaput")


def test_best_of_n_and_rm_bench_items_transform_every_response(sample):
    item = next(e for e in sample if len(e.rejected) >= 3)
    out = run_transforms([item], [build_transform("self-praise")])["self-praise"].examples[0]
    assert len(out.rejected) == len(item.rejected)
    assert all(after.startswith(before) and after != before
               for before, after in zip(item.rejected, out.rejected, strict=True))


def test_workers_give_byte_identical_output(sample):
    transforms = select_transforms("all")
    one = run_transforms(sample, transforms, seed=7, workers=1)
    two = run_transforms(sample, transforms, seed=7, workers=2)
    assert list(one) == list(two)
    for name in one:
        assert [e.to_json() for e in one[name].examples] == [e.to_json() for e in two[name].examples], name
        assert one[name].not_applicable == two[name].not_applicable
        assert one[name].failed == two[name].failed


def test_seed_changes_random_choices(sample):
    transform = build_transform("char-swap")
    a = run_transforms(sample, [transform], seed=1)["char-swap"].examples
    b = run_transforms(sample, [transform], seed=2)["char-swap"].examples
    assert [e.to_json() for e in a] != [e.to_json() for e in b]


class _Backend:
    """Stands in for a text-generation backend: the batch transform below only checks it was given."""


_CALLS: list[int] = []


@dataclasses.dataclass(frozen=True)
class _Shout(BatchTransform):
    name = "shout-batch-test"
    family = "llm"

    def apply_batch(self, examples: Sequence[Example], rngs: Sequence[random.Random],
                    backend) -> list[Example | NotApplicable]:
        assert isinstance(backend, _Backend)
        _CALLS.append(len(examples))
        return [NotApplicable("too short") if e.id == "short" else e.replace(chosen=[c.upper() for c in e.chosen])
                for e in examples]


def test_batch_transforms_run_through_apply_batch_with_the_backend():
    items = [Example(id=f"x{i}", prompt="p", chosen=[f"yes {i}"], rejected=["no"]) for i in range(4)]
    items.append(Example(id="short", prompt="p", chosen=["y"], rejected=["n"]))
    shout = _Shout()
    with pytest.raises(SpecError, match="needs a text-generation backend"):
        run_transforms(items, [shout])
    outcome = run_transforms(items, [shout], backend=_Backend(), workers=2)["shout-batch-test"]
    assert _CALLS == [5]  # one batched call, in this process
    assert [e.chosen[0] for e in outcome.examples] == ["YES 0", "YES 1", "YES 2", "YES 3"]
    assert outcome.not_applicable == [("short", "too short")]
    composed = Composed((shout, build_transform("add-quotes(count=1)")))
    out = run_transforms(items, [composed], backend=_Backend())[composed.display_name()]
    assert out.examples[0].chosen == ('"YES 0"',) and out.examples[0].prompt_text == '"p"'


def test_duplicate_ids_are_rejected():
    item = Example(id="d", prompt="p", chosen=["a"], rejected=["b"])
    with pytest.raises(Exception, match="duplicate id"):
        run_transforms([item, item], [build_transform("rot13")])


def test_registry_holds_no_test_classes():
    assert "rogue-test" not in TRANSFORMS and "identity-test" not in TRANSFORMS


# -- CLI ----------------------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "judgekit.cli.main", *args], capture_output=True, text=True,
                          timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_cli_writes_sets_and_manifest_reproducibly(tmp_path):
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    run = _cli("transform", "sample", "-t", "naturalistic,rot13,code-minify", "--seed", "5", "--out", str(out_a))
    assert run.returncode == 0, run.stderr
    assert "code-minify" in run.stdout and "not a code item" in run.stdout
    run_b = _cli("transform", "sample", "-t", "naturalistic,rot13,code-minify", "--seed", "5", "--out", str(out_b),
                 "--workers", "2")
    assert run_b.returncode == 0, run_b.stderr
    files = sorted(p.name for p in out_a.iterdir())
    assert files == sorted(p.name for p in out_b.iterdir())
    for name in files:
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes(), name
    manifest = json.loads((out_a / "manifest.json").read_text())
    source = manifest["inputs"][0]
    assert manifest["seed"] == 5 and source["items"] == 60 and manifest["original"]["items"] == 60
    assert source["sha256"] == hashlib.sha256(Path(source["path"]).read_bytes()).hexdigest()
    assert manifest["versions"]["judgekit"] and manifest["versions"]["python"]
    for entry in manifest["transforms"]:
        data = (out_a / entry["file"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["transformed"] == len(data.splitlines())
        assert entry["transformed"] + entry["not_applicable"] + entry["failed"] == 60
        assert sum(entry["not_applicable_reasons"].values()) == entry["not_applicable"]
    minify = next(e for e in manifest["transforms"] if e["name"] == "code-minify")
    assert (minify["transformed"], minify["not_applicable"], minify["failed"]) == (10, 50, 0)
    assert len((out_a / "original.jsonl").read_text().splitlines()) == 60


def test_cli_errors_exit_2_and_leave_nothing(tmp_path):
    out = tmp_path / "t"
    run = _cli("transform", "sample", "-t", "char-swpa", "--out", str(out))
    assert run.returncode == 2 and "unknown transform 'char-swpa'" in run.stderr and "char-swap" in run.stderr
    assert not out.exists()
    run = _cli("transform", "sample", "-t", "paraphrase", "--out", str(out))
    assert run.returncode == 2 and "judgekit synth" in run.stderr


def test_rule_based_transform_command_imports_no_torch(tmp_path):
    code = ("import sys\nfrom judgekit.cli.main import main\n"
            f"try:\n    main(['transform', 'sample', '--out', {str(tmp_path / 'o')!r}])\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "heavy = [m for m in ('torch', 'transformers', 'vllm', 'openai') if m in sys.modules]\n"
            "print('HEAVY', heavy)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "HEAVY []" in run.stdout
    assert (tmp_path / "o" / "manifest.json").exists()


def test_spawn_workers_give_the_same_output(sample, monkeypatch):
    """Where fork is unavailable (macOS, Windows) workers are spawned and get the items as records."""
    import multiprocessing

    from judgekit.transforms import engine

    monkeypatch.setattr(engine, "_context", lambda: multiprocessing.get_context("spawn"))
    transforms = select_transforms("rot13,char-swap,ignore-above,code-append-other")
    items = sample[:24]
    spawned = run_transforms(items, transforms, seed=4, workers=2)
    local = run_transforms(items, transforms, seed=4, workers=1)
    for name in local:
        assert [e.to_json() for e in spawned[name].examples] == [e.to_json() for e in local[name].examples]
        assert spawned[name].not_applicable == local[name].not_applicable


def test_package_exports_the_engine():
    import judgekit.transforms as transforms

    assert transforms.build_transform is build_transform and transforms.run_transforms is run_transforms


def test_cli_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    run = _cli("transform", "sample", "-t", "rot13", "--out", str(precious))
    assert run.returncode == 2 and "judgekit did not write (notes.txt)" in run.stderr
    assert (precious / "notes.txt").read_text() == "keep me"
    rerun = tmp_path / "again"
    assert _cli("transform", "sample", "-t", "rot13", "--out", str(rerun)).returncode == 0
    assert _cli("transform", "sample", "-t", "rot2", "--out", str(rerun)).returncode == 0  # its own output: replaced
    assert sorted(p.name for p in rerun.iterdir()) == [".judgekit.json", "README.md", "manifest.json", "original.jsonl",
                                                       "rot2.jsonl"]
