"""`load_judge`: a judge from a spec object, a mapping, a shipped name, a YAML path, or a model folder.

A name or path is looked up beside the spec file that mentions it first (``base``), then in the working
directory, then by name among the shipped and ``JUDGEKIT_PATH`` judge specs. Paths inside a judge spec
(``template``, ``rubric_file``, ``fewshot_file``, a panel's ``members``) are looked up the same way: beside
the judge's own file (or the suite file of an inline judge), then in the working directory, then by name. A folder is a trained model:
a reward model becomes a scalar judge; a folder written by ``judgekit train`` with ``kind: judge-sft``
becomes the generative judge it was trained to be.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judgekit.errors import SpecError
from judgekit.judges.base import JUDGES, Judge
from judgekit.judges.spec import JudgeSpec, validate_spec

TRAINING_MANIFEST = "training_manifest.json"


def folder_spec(folder: Path) -> dict[str, Any]:
    """The judge spec for a model folder (a reward model, or a judge trained by ``judgekit train``)."""
    if not (folder / "config.json").is_file():
        raise SpecError(f"{folder}: a model folder needs a config.json (an AutoModelForSequenceClassification "
                        "saved with save_pretrained)")
    kind = None
    manifest = folder / TRAINING_MANIFEST
    if manifest.is_file():
        try:
            kind = json.loads(manifest.read_text(encoding="utf-8")).get("kind")
        except ValueError:
            kind = None
    if kind == "judge-sft":
        # trained to answer judge/pairwise with a bare [[A]]/[[B]]: asked in both orders, greedy, strict parser
        return {"kind": "generative", "name": folder.name, "backend": {"backend": "hf", "model": str(folder)},
                "mode": "pairwise", "template": "judge/pairwise", "parser": "pairwise", "both_orders": True,
                "max_tokens": 8, "temperature": 0.0}
    return {"kind": "scalar", "name": folder.name, "model": str(folder)}


PATH_FIELDS = ("template", "rubric_file", "fewshot_file")
_TEMPLATE_SUFFIXES = ("", ".jinja", ".j2", ".jinja2")


def _beside(base: Path, value: str, suffixes: tuple[str, ...] = ("",)) -> str | None:
    given = Path(value).expanduser()
    if given.is_absolute():
        return None
    for suffix in suffixes:
        candidate = base / f"{value}{suffix}"
        if candidate.exists():
            return str(candidate.resolve())
    return None


def anchor_paths(raw: dict[str, Any], base: Path | None) -> dict[str, Any]:
    """``raw`` with its relative paths that exist beside ``base`` made absolute (a copy; names stay names)."""
    if base is None:
        return raw
    out = dict(raw)
    for key in PATH_FIELDS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = _beside(base, value, _TEMPLATE_SUFFIXES if key == "template" else ("",)) or value
    members = out.get("members")
    if isinstance(members, list):
        out["members"] = [(_beside(base, m) or m) if isinstance(m, str)
                          else anchor_paths(m, base) if isinstance(m, dict) else m for m in members]
    return out


def read_spec_dict(source: str | Path, *, base: Path | None = None) -> tuple[dict[str, Any], str]:
    """(raw spec mapping, where it came from) for a judge named by file, folder or shipped name."""
    from judgekit import resources
    from judgekit.specfile import read_yaml

    given = Path(source).expanduser()
    candidates = [given] if given.is_absolute() else ([base / given] if base is not None else []) + [given]
    for candidate in candidates:
        if candidate.is_dir():
            return folder_spec(candidate), str(candidate)
        if candidate.is_file():
            raw = anchor_paths(_mapping(read_yaml(candidate), candidate), candidate.resolve().parent)
            raw.setdefault("name", candidate.stem)
            return raw, str(candidate)
    try:
        file = resources.find("judges", str(source))
    except SpecError as exc:
        raise SpecError(f"{exc}. A local model folder (with config.json) also works as a judge") from None
    raw = anchor_paths(_mapping(read_yaml(file), file), Path(file).resolve().parent)
    raw.setdefault("name", Path(file).stem)
    return raw, str(file)


def _mapping(raw: Any, where: Path) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: a judge spec is a mapping (kind, model or backend, ...), got {type(raw).__name__}")
    return dict(raw)


def resolve_spec(spec: JudgeSpec | dict[str, Any] | str | Path, *, base: Path | None = None) -> JudgeSpec:
    if isinstance(spec, JudgeSpec):
        return spec
    if isinstance(spec, dict):
        return validate_spec(anchor_paths(spec, base))
    raw, where = read_spec_dict(spec, base=base)
    return validate_spec(raw, source=where)


def load_judge(spec: JudgeSpec | dict[str, Any] | str | Path, *, base: Path | None = None, **options: Any) -> Judge:
    """Build a judge (cheap: models load on first use). ``spec`` is a JudgeSpec, a mapping, a shipped name
    ("smollm2-pairwise"), a YAML path, or a local model folder. ``options`` go to the judge class (e.g.
    ``backend=``)."""
    resolved = resolve_spec(spec, base=base)
    return JUDGES.get(resolved.kind)(resolved, **options)
