"""Subset names: from the data's own field when it has one, else from the file name without repeating the
format's prefix; and the subsets each benchmark's section map knows, so unknown ones can be reported.

The LLMBar naming lives with the LLMBar adapter (judgekit.data.adapters.llmbar_subset, which reads the files);
this module re-uses it so the adapter and the scorers agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from judgekit.data.adapters import LLMBAR_SUBSETS, llmbar_subset
from judgekit.eval.scoring import judgebench, rewardbench, rewardbench2, rmbench

_RMBENCH_SUFFIX = "_filtered"  # RM-Bench's files: data/{domain}_filtered.json

KNOWN_SUBSETS: dict[str, tuple[str, ...]] = {
    "rewardbench": rewardbench.known_subsets(),
    "llmbar": tuple(LLMBAR_SUBSETS.values()),
    "rewardbench2": rewardbench2.SUBSETS,
    "rm-bench": ("chat", "code", "math", "safety-refuse", "safety-response"),
    "judgebench": tuple(name for name in judgebench.CATEGORIES if name != "overall"),
}


def _stem(source: str) -> str:
    name = PurePath(source).name
    for suffix in (".jsonl", ".json", ".parquet", ".csv", ".gz"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def subset_from_filename(source: str, *, format: str) -> str:
    """The subset a file (or hub split) holds, named as the benchmark names it, never with a doubled prefix.

    llmbar: ``natural.json``, ``llmbar-natural.json``, ``Natural`` (hub split) -> ``llmbar-natural``;
    ``Adversarial_GPTInst`` -> ``llmbar-adver-GPTInst``; an unknown ``llmbar-foo.json`` stays ``llmbar-foo``.
    rm-bench: ``chat_filtered.json`` -> ``chat``. Other formats: the file stem.
    """
    stem = _stem(source)
    if format == "llmbar":
        return llmbar_subset(source)
    if format == "rm-bench" and stem.endswith(_RMBENCH_SUFFIX):
        return stem[: -len(_RMBENCH_SUFFIX)]
    return stem


def subset_name(record_subset: object, source: str, *, format: str) -> str:
    """The data's own subset field when it has a non-empty one, else ``subset_from_filename``."""
    if isinstance(record_subset, str) and record_subset.strip():
        return record_subset
    return subset_from_filename(source, format=format)


def unmapped_subsets(benchmark: str, subsets: Iterable[str]) -> tuple[str, ...]:
    """Subsets the benchmark's section map does not know, in first-seen order (for the report)."""
    if benchmark not in KNOWN_SUBSETS:
        raise ValueError(f"unknown benchmark {benchmark!r}; known: {', '.join(sorted(KNOWN_SUBSETS))}")
    known = set(KNOWN_SUBSETS[benchmark])
    if benchmark == "rm-bench":  # RM-Bench groups by domain prefix (compute_accuracy)
        return tuple(dict.fromkeys(s for s in subsets if not s.startswith(rmbench.DOMAINS)))
    if benchmark == "judgebench":
        prefixes = tuple(judgebench.CATEGORIES[name] for name in known)
        return tuple(dict.fromkeys(s for s in subsets if not s.startswith(prefixes)))
    return tuple(dict.fromkeys(s for s in subsets if s not in known))
