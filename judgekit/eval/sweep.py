"""Prompt and setting sweeps: every combination of judge-spec values as its own named judge, in one run.

``--sweep template=a.jinja,b.jinja --sweep temperature=0,0.7`` turns each judge of the run into four
judges named ``<judge>(template=a,temperature=0)`` ... A key is a dotted path into the judge spec
(``template``, ``temperature``, ``system``, ``rubric_file``, ``samples``, ``backend.model``, ...); values are
comma-separated and read as YAML (``0.7`` is a number, ``[a, b]`` a list of values). The report compares
every pair of judges on the same items (judgekit.eval.judge_metrics), so the sweep's prompts and settings
are compared head to head.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from judgekit.errors import SpecError
from judgekit.specfile import split_top

Sweeps = dict[str, list[Any]]


def split_values(text: str) -> list[str]:
    """Split on commas outside brackets and quotes (empty parts dropped)."""
    return [part for part in split_top(text, ",") if part]


def parse_sweeps(assignments: Sequence[str]) -> Sweeps:
    """``["template=a.jinja,b.jinja", "temperature=0,0.7"]`` -> {"template": [...], "temperature": [0, 0.7]}."""
    import yaml

    sweeps: Sweeps = {}
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        key = key.strip()
        if not sep or not key or not text.strip():
            raise SpecError(f"--sweep {assignment!r}: expected KEY=V1,V2,... e.g. --sweep temperature=0,0.7")
        if key in ("name", "kind"):
            raise SpecError(f"--sweep {assignment!r}: '{key}' cannot be swept (each combination is named for you)")
        try:
            parsed = yaml.safe_load(text) if text.strip().startswith("[") else None
        except yaml.YAMLError:
            parsed = None
        values = parsed if isinstance(parsed, list) else [yaml.safe_load(v) if v else v for v in split_values(text)]
        if key in sweeps:
            raise SpecError(f"--sweep {key} is given twice; list every value in one --sweep")
        if len(values) != len(set(map(repr, values))):
            raise SpecError(f"--sweep {assignment!r}: a value is listed twice")
        sweeps[key] = values
    return sweeps


def _label(value: Any, siblings: Sequence[Any]) -> str:
    """A short label: a path's stem when the stems of the key's values differ, else the value as given."""
    if isinstance(value, str) and ("/" in value or Path(value).suffix):
        stems = [Path(str(v)).stem for v in siblings]
        if len(set(stems)) == len(stems):
            return Path(value).stem
    return str(value)


def combinations(sweeps: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    keys = list(sweeps)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(sweeps[k] for k in keys))]


def expand_judges(raws: Sequence[dict[str, Any]], sweeps: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Each raw judge spec once per combination, named ``<name>(key=label,...)`` (specs not yet validated)."""
    import copy

    from judgekit.specfile import set_path
    from judgekit.vocabulary import expand

    if not sweeps:
        return [dict(r) for r in raws]
    out = []
    for raw in raws:
        base_name = raw.get("name") or raw.get("kind", "judge")
        for combination in combinations(sweeps):
            spec = copy.deepcopy(raw)
            for key, value in combination.items():
                set_path(spec, key, value, expand=expand)
            labels = ",".join(f"{k}={_label(v, sweeps[k])}" for k, v in combination.items())
            spec["name"] = f"{base_name}({labels})"
            out.append(spec)
    return out
