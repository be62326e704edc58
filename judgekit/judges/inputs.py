"""What a judge template may read, checked before any request.

Every mode passes its own variables (pairwise: ``question``, ``answer_a``, ``answer_b``; pointwise:
``question``, ``answer``; best-of-n: ``question``, ``answers``, ``n``; verifier: ``question``, ``answer``,
``reference``). Every mode also passes:

    rubric      the spec's ``rubric`` (inline text) or the text of ``rubric_file``; only when one is set
    fewshot     the records of ``fewshot_file`` (JSONL, JSON or YAML list of mappings); only when it is set
    reference   the item's reference answer (``meta.reference``, ``meta.reference_answer`` or ``meta.answer``)
    item        the item itself: ``item.id``, ``item.subset``, ``item.meta.<key>`` (any field the data
                carries in ``meta``), ``item.messages`` (list of ``{role, content}``) and ``item.question``
                (the prompt as the judge sees it). The chosen and rejected labels are never passed, but
                some formats keep a label in ``meta`` (LLMBar's ``label``): never show it to the judge.

A template that reads a name nobody provides (``rubric`` without a rubric, a typo) fails when the judge is
built. Per-item values (``reference``, ``item.meta.x``) are checked by rendering the first item of every
variant before any request; an item that lacks one later is failed as an "input" failure, never sent.
Templates render in jinja2's immutable sandbox with StrictUndefined (judgekit.templates).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgekit.data.example import Example
from judgekit.errors import SpecError
from judgekit.templates import PromptTemplate, conversation_text

MODE_VARIABLES: dict[str, tuple[str, ...]] = {
    "pairwise": ("question", "answer_a", "answer_b"),
    "pointwise": ("question", "answer"),
    "best-of-n": ("question", "answers", "n"),
    "verifier": ("question", "answer", "reference"),
}
ITEM_VARIABLES = ("item", "reference")  # every mode, per item
REFERENCE_KEYS = ("reference", "reference_answer", "answer")


def reference_of(example: Example) -> str | None:
    """The item's reference answer (``meta.reference``, ``reference_answer`` or ``answer``), if any."""
    value = next((example.meta[k] for k in REFERENCE_KEYS if example.meta.get(k)), None)
    return None if value is None else str(value)


def _plain(value: Any) -> Any:
    """Read-only mappings and tuples from ``Example.meta`` as plain dicts and lists (for the sandbox)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def item_view(example: Example) -> dict[str, Any]:
    """What ``item`` holds in a template (no chosen/rejected labels)."""
    return {"id": example.id, "subset": example.subset, "meta": _plain(example.meta),
            "messages": [m.to_dict() for m in example.prompt], "question": conversation_text(example.prompt)}


def read_fewshot(path: str) -> list[dict[str, Any]]:
    """Few-shot records from a JSONL, JSON or YAML file: a list of mappings."""
    from judgekit.specfile import read_yaml

    file = Path(path).expanduser()
    if not file.is_file():
        raise SpecError(f"fewshot_file: no file {path} (relative paths are looked up beside the judge or suite "
                        "file first, then in the working directory)")
    if file.suffix == ".jsonl":
        records = []
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as exc:
                    raise SpecError(f"{file}:{number}: not JSON: {exc}") from None
    else:
        records = read_yaml(file)  # YAML is a superset of JSON
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SpecError(f"{file}: few-shot examples are a list of mappings (one JSON object per line in .jsonl)")
    return records


def read_rubric(text: str | None, path: str | None) -> str | None:
    if text is not None and path is not None:
        raise SpecError("set either 'rubric' (the text) or 'rubric_file' (a path), not both")
    if path is None:
        return text
    file = Path(path).expanduser()
    if not file.is_file():
        raise SpecError(f"rubric_file: no file {path} (relative paths are looked up beside the judge or suite "
                        "file first, then in the working directory)")
    return file.read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class TemplateInputs:
    """The spec-level values (rubric, few-shot records) and the check of what a template reads."""

    mode: str
    rubric: str | None = None
    fewshot: tuple[dict[str, Any], ...] | None = None

    @classmethod
    def for_judge(cls, template: PromptTemplate, *, mode: str, rubric: str | None = None,
                  rubric_file: str | None = None, fewshot_file: str | None = None) -> TemplateInputs:
        """Load the rubric and few-shot file and check every name the template reads (SpecError if not)."""
        inputs = cls(mode=mode, rubric=read_rubric(rubric, rubric_file),
                     fewshot=tuple(read_fewshot(fewshot_file)) if fewshot_file else None)
        provided = set(inputs.provided())
        missing = template.variables() - provided
        if missing:
            hints = {"rubric": "set 'rubric' or 'rubric_file' in the judge spec",
                     "fewshot": "set 'fewshot_file' in the judge spec"}
            advice = "; ".join(hints[m] for m in sorted(missing) if m in hints)
            raise SpecError(f"template {template.name}: undefined variable(s) {', '.join(sorted(missing))}"
                            f"{' (' + advice + ')' if advice else ''}; a {mode} judge template can read "
                            f"{', '.join(sorted(provided))}")
        return inputs

    def provided(self) -> tuple[str, ...]:
        names = MODE_VARIABLES[self.mode] + ITEM_VARIABLES
        if self.rubric is not None:
            names += ("rubric",)
        if self.fewshot is not None:
            names += ("fewshot",)
        return tuple(dict.fromkeys(names))

    def values(self, example: Example, **mode_values: Any) -> dict[str, Any]:
        """Every variable for one rendering (``reference`` only when the item has one)."""
        values: dict[str, Any] = {"item": item_view(example)}
        reference = reference_of(example)
        if reference is not None:
            values["reference"] = reference
        if self.rubric is not None:
            values["rubric"] = self.rubric
        if self.fewshot is not None:
            values["fewshot"] = [dict(r) for r in self.fewshot]
        values.update(mode_values)
        return values

    def identity(self) -> dict[str, str]:
        """Hashes of the rubric and few-shot records (they change the prompts), when set."""
        out = {}
        if self.rubric is not None:
            out["rubric_sha256"] = hashlib.sha256(self.rubric.encode("utf-8")).hexdigest()
        if self.fewshot is not None:
            blob = json.dumps(list(self.fewshot), sort_keys=True, ensure_ascii=False)
            out["fewshot_sha256"] = hashlib.sha256(blob.encode("utf-8")).hexdigest()
        return out
