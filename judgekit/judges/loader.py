"""`load_judge`: a judge from a spec object, a mapping, a shipped name, a YAML path, or a model folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgekit.errors import SpecError
from judgekit.judges.base import JUDGES, Judge
from judgekit.judges.spec import JudgeSpec, validate_spec


def read_spec(source: str | Path) -> JudgeSpec:
    """A JudgeSpec from a YAML file or shipped name, or a scalar spec for a local HF model folder."""
    from judgekit import resources

    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise SpecError(f"{path}: a model folder needs a config.json (an AutoModelForSequenceClassification "
                            "saved with save_pretrained)")
        return JudgeSpec(kind="scalar", model=str(path), name=path.name)
    try:
        file = resources.find("judges", str(source))
    except SpecError as exc:
        raise SpecError(f"{exc}. A local reward-model folder (with config.json) also works as --judge") from None
    from judgekit.specfile import read_yaml

    spec = validate_spec(read_yaml(file), source=str(file))
    if spec.name is None:
        spec = spec.model_copy(update={"name": file.stem})
    return spec


def resolve_spec(spec: JudgeSpec | dict[str, Any] | str | Path) -> JudgeSpec:
    if isinstance(spec, JudgeSpec):
        return spec
    if isinstance(spec, dict):
        return validate_spec(spec)
    return read_spec(spec)


def load_judge(spec: JudgeSpec | dict[str, Any] | str | Path, **options: Any) -> Judge:
    """Build a judge. ``spec`` is a JudgeSpec, a mapping, a shipped name ("smollm2-pairwise"), a YAML
    path, or a local reward-model folder. ``options`` go to the judge class (e.g. ``backend=``)."""
    resolved = resolve_spec(spec)
    factory = JUDGES.get(resolved.kind)
    return factory(resolved, **options)
