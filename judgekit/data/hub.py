"""Hub datasets judgekit knows by id, and the local mirror that stands in for the hub offline.

Shipped suites and configs name real datasets by hub id. Online, a hub id is read with
``datasets.load_dataset`` (for the datasets below, with the configuration, split and format their
reference code uses). Offline, set ``JUDGEKIT_DATA_MIRROR`` to a folder holding local copies:

- a known dataset is read from the files listed below, relative to the mirror (e.g. ``llmbar/natural.json``
  for the LLMBar Natural split); the layout is the benchmarks' own GitHub files;
- any other hub id ``org/name`` is read from ``<mirror>/org/name`` (a file, or a folder of data files).

A hub id the mirror lacks is loaded from the hub; if that fails too, the error names the id and the variable.
Sources may name a configuration after a colon: ``CohereLabsCommunity/multilingual-reward-bench:deu_Latn``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from judgekit.errors import DataError

MIRROR_ENV = "JUDGEKIT_DATA_MIRROR"
_DATA_SUFFIXES = (".jsonl", ".json", ".parquet", ".ndjson")


@dataclass(frozen=True)
class HubPart:
    """One piece of a hub dataset: how to load it online and which file stands for it in a mirror."""

    config: str | None
    split: str | None
    mirror: str | None  # path relative to the mirror; None = no public local copy is known
    subset: str | None = None  # the subset its items get (the reference code's name for it)
    format: str | None = None  # adapter, when it differs from the dataset's
    online: bool = True  # read from the hub when there is no mirror (False: a mirror-only stand-in)


@dataclass(frozen=True)
class HubDataset:
    id: str
    format: str
    description: str
    parts: tuple[HubPart, ...]
    note: str = ""  # what could not be tried offline
    default_split: str | None = None  # read when no split is asked for (None: every part)


_LLMBAR = (("Natural", "natural", "llmbar-natural"), ("Adversarial_Neighbor", "neighbor", "llmbar-adver-neighbor"),
           ("Adversarial_GPTInst", "gptinst", "llmbar-adver-GPTInst"),
           ("Adversarial_GPTOut", "gptout", "llmbar-adver-GPTOut"), ("Adversarial_Manual", "manual", "llmbar-adver-manual"))

KNOWN: dict[str, HubDataset] = {d.id: d for d in (
    HubDataset("allenai/reward-bench", "rewardbench", "RewardBench 1, split 'filtered' (2,985 pairs, 23 subsets)",
               (HubPart(None, "filtered", None),)
               + tuple(HubPart(None, "filtered", f"llmbar/{file}.json", subset, "llmbar", online=False)
                      for _, file, subset in _LLMBAR),
               "a mirror holds only the llmbar-* (Chat Hard) subsets, as LLMBar's own files"),
    HubDataset("princeton-nlp/LLMBar", "llmbar", "LLMBar: Natural + four Adversarial splits (RewardBench's Chat Hard)",
               tuple(HubPart("LLMBar", split, f"llmbar/{file}.json", subset) for split, file, subset in _LLMBAR),
               "a script dataset on the hub, which datasets >= 4 cannot load: online, use allenai/reward-bench "
               "(its llmbar-* subsets are the same items)"),
    HubDataset("allenai/reward-bench-2", "rewardbench2", "RewardBench 2, split 'test' (1,865 prompts, best-of-4, Ties)",
               (HubPart(None, "test", "rewardbench2/sample.jsonl"),),
               "the mirror copy is a 48-row sample (8 rows of each subset)"),
    HubDataset("THU-KEG/RM-Bench", "rm-bench", "RM-Bench: 3 chosen x 3 rejected styles; domains chat, code, math, safety",
               (HubPart(None, "train", None),)
               + tuple(HubPart(None, "train", f"rm-bench/{d}.json", d, online=False)
                      for d in ("chat", "code", "safety-refuse", "safety-response")),
               "hub layout (one 'train' split with a domain field) not confirmed offline; the mirror lacks math"),
    HubDataset("ScalerLab/JudgeBench", "judgebench", "JudgeBench: GPT-4o response pairs (split 'gpt'; 'claude')",
               (HubPart(None, "gpt", "judgebench/gpt-4o.jsonl"), HubPart(None, "claude", None)),
               "the mirror holds the 'gpt' split only", default_split="gpt"),
    HubDataset("CohereLabsCommunity/multilingual-reward-bench", "m-rewardbench",
               "M-RewardBench: RewardBench in 23 languages, one configuration per language (e.g. deu_Latn)",
               (HubPart(None, "test", None),), "no public local copy; `sample:multilingual` is a small offline sample"),
)}


@dataclass(frozen=True)
class ResolvedSource:
    """A readable source: a local path (or a hub id to load online) plus how to read it."""

    source: str  # a local path, or the hub id itself
    display: str  # how messages name it (the hub id for a mirror copy)
    format: str | None = None
    split: str | None = None
    config: str | None = None
    subset: str | None = None
    hub: bool = False


def mirror_root() -> Path | None:
    value = os.environ.get(MIRROR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def split_config(source: str) -> tuple[str, str | None]:
    """``org/name:config`` -> (``org/name``, ``config``)."""
    name, sep, config = source.partition(":")
    return (name, config or None) if sep else (source, None)


def resolve_hub(source: str, *, split: str | None = None) -> list[ResolvedSource]:
    """How to read a hub id: mirror files when the mirror has them, else the hub."""
    hub_id, config = split_config(source)
    known = KNOWN.get(hub_id)
    root = mirror_root()
    if known is not None:
        wanted = split or known.default_split
        parts = [p for p in known.parts
                 if (wanted is None or p.split == wanted) and (config is None or p.config in (None, config))]
        if not parts:
            splits = sorted({p.split for p in known.parts if p.split})
            raise DataError(f"{hub_id} has no split {split!r}", source=source, hint=f"splits: {', '.join(splits)}")
        if root is not None:
            local = [p for p in parts if p.mirror is not None]
            if local:
                missing = [p.mirror for p in local if not (root / p.mirror).exists()]
                if missing:
                    raise DataError(f"{MIRROR_ENV}={root} lacks {', '.join(missing)} (the local copy of {hub_id})",
                                    source=source, hint=f"copy the files there, or unset {MIRROR_ENV} to use the hub")
                return [ResolvedSource(str(root / p.mirror), hub_id, p.format or known.format, None, None, p.subset)
                        for p in local]
        return [ResolvedSource(hub_id, hub_id, p.format or known.format, p.split, config or p.config, p.subset, hub=True)
                for p in parts if p.online]
    if root is not None:
        copy = root / hub_id
        if copy.is_file():
            return [ResolvedSource(str(copy), hub_id)]
        if copy.is_dir():
            files = sorted(p for p in copy.rglob("*") if p.suffix in _DATA_SUFFIXES and p.is_file()
                           and not p.name.startswith("."))
            if (copy / "dataset_info.json").exists() or (copy / "dataset_dict.json").exists() or not files:
                return [ResolvedSource(str(copy), hub_id, split=split)]
            return [ResolvedSource(str(f), hub_id) for f in files]
    return [ResolvedSource(hub_id, hub_id, split=split, config=config, hub=True)]


def looks_like_hub_id(name: str) -> bool:
    name = split_config(name)[0]
    parts = name.split("/")
    return len(parts) == 2 and all(parts) and not name.startswith((".", "~", "/")) and \
        Path(name).suffix.lower() not in _DATA_SUFFIXES


def hub_failure_hint(hub_id: str) -> str:
    root = mirror_root()
    if root is None:
        return (f"no network or no such dataset: set {MIRROR_ENV} to a folder holding a local copy "
                f"(`judgekit ls datasets` shows the layout), or check the id")
    return f"{MIRROR_ENV}={root} has no copy of {hub_id} either (expected {root / hub_id})"
