"""The dataset card (``README.md``) that makes a `transform` or `synth` folder a Hugging Face dataset repository.

Its YAML header declares one config per dataset in the folder: ``original`` (the default), one per transform
(named by the transform's display name, e.g. ``char-swap`` or ``char-swap(rate=0.2)``), and one per judge
training export; each has a single ``train`` split. So ``datasets.load_dataset(folder, "char-swap")`` reads
a folder as it is, locally or once uploaded (``huggingface-cli upload``). The text below the header carries
the manifest's provenance: inputs and their sha256, seed, recipe, backend and templates, what each
transform did and why items were left out, and the versions. The card is a pure function of the manifest
without its timings, usage or cache counts, so the same inputs give the same bytes.
"""

from __future__ import annotations

import html
import json
from typing import Any

from judgekit.provenance.manifests import SynthManifest, TransformEntry, TransformManifest

CARD = "README.md"
SPLIT = "train"
_BAD_CONFIG_CHARACTERS = set('<>:/\\|?*"')  # what `datasets` refuses in a config name (and quotes)
FIELDS = """Every row is one preference item:

| field | type | what |
|---|---|---|
| `id` | string | the item's id (a transformed item keeps its original's id) |
| `prompt` | list of {`role`, `content`} | the conversation before the responses |
| `chosen` | list of strings | the preferred response(s) |
| `rejected` | list of strings | the dispreferred response(s) (several for best-of-N data) |
| `subset` | string | the source subset (e.g. a RewardBench subset) |
| `meta` | {META} | provenance: the source item, the transform, its arguments and seed, filter scores |
"""


def _cell(text: Any) -> str:
    """Text for a Markdown table cell: HTML escaped (the Hub renders raw HTML), pipes and newlines made safe."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def data_path(file: str, data_format: str) -> str:
    """The ``data_files`` path of one dataset: the file itself, or the Arrow shards of a `datasets` folder."""
    return f"{file}/*.arrow" if data_format == "datasets" else file


def config_name(entry: TransformEntry, taken: set[str]) -> str:
    """The transform's display name, or its file's stem where the name holds a character `datasets` refuses."""
    name = entry.name
    if set(name) & _BAD_CONFIG_CHARACTERS or name in taken:
        name = entry.file.rsplit(".", 1)[0] if "." in entry.file else entry.file
    return name


def items_of(entry: TransformEntry) -> int:
    """Items in a transform's dataset (after synth's filters)."""
    return entry.kept if entry.kept is not None else entry.transformed


def card_configs(manifest: TransformManifest | SynthManifest, data_format: str = "jsonl") -> list[dict[str, Any]]:
    """The ``configs`` of the card's YAML header, the originals first (the default)."""
    configs: list[dict[str, Any]] = [{"config_name": "original", "data_files": [
        {"split": SPLIT, "path": data_path(manifest.original.file, data_format)}], "default": True}]
    taken = {"original"}
    for entry in manifest.transforms:
        if not items_of(entry):  # `datasets` cannot read an empty JSON Lines file; the table says why it is absent
            continue
        name = config_name(entry, taken)
        taken.add(name)
        configs.append({"config_name": name, "data_files": [{"split": SPLIT, "path": data_path(entry.file, data_format)}]})
    # `datasets` reads every config of a repository with one builder, so JSON Lines exports join only JSON Lines
    for export in getattr(manifest, "exports", []) if data_format == "jsonl" else []:
        name = export.kind if export.kind not in taken else export.file.replace("/", "-").rsplit(".", 1)[0]
        taken.add(name)
        configs.append({"config_name": name, "data_files": [{"split": SPLIT, "path": export.file}]})
    return configs


def _inputs(manifest: TransformManifest | SynthManifest) -> str:
    rows = [[i.source, i.format or "", i.split or "", i.items if i.items is not None else "", i.skipped,
             i.sha256 or "(not hashed: a hub dataset or sample)"] for i in manifest.inputs]
    return _table(["source", "format", "split", "items", "invalid rows skipped", "sha256"], rows)


def _transforms(manifest: TransformManifest | SynthManifest, configs: list[dict[str, Any]], data_format: str) -> str:
    synth = isinstance(manifest, SynthManifest)
    headers = ["config", "transform", "family", "arguments", "changes", "preserves", "items", "not applicable",
               "failed"] + (["dropped by filters"] if synth else []) + ["sha256"]
    rows: list[list[Any]] = [["original", "(none)", "", "", "", "", manifest.original.items, "", ""]
                             + ([""] if synth else []) + [manifest.original.sha256 or ""]]
    names = {c["data_files"][0]["path"]: c["config_name"] for c in configs}
    for entry in manifest.transforms:
        args = json.dumps(entry.args, ensure_ascii=False, sort_keys=True) if entry.args else ""
        config = names.get(data_path(entry.file, data_format), "(no items, no config)")
        rows.append([config, entry.transform, entry.family, args, ", ".join(entry.targets), entry.preserves, items_of(entry),
                     entry.not_applicable, entry.failed]
                    + ([len(entry.filtered_items or [])] if synth else []) + [entry.sha256 or ""])
    return _table(headers, rows)


def _reasons(manifest: TransformManifest | SynthManifest) -> str:
    rows = []
    for entry in manifest.transforms:
        reasons = entry.dropped_reasons if entry.dropped_reasons is not None else entry.not_applicable_reasons
        for reason, count in list(reasons.items())[:5]:
            rows.append([entry.name, reason, count])
    if not rows:
        return "Every transform changed every item."
    return ("Items a transform left out (it did not apply, failed, or a filter dropped the result), the most "
            "common reasons; `manifest.json` lists every item with its reason.\n\n"
            + _table(["transform", "reason", "items"], rows))


def _synth(manifest: SynthManifest, data_format: str) -> str:
    import yaml

    parts = [f"Recipe (sha256 `{manifest.recipe_sha256}`):\n\n```yaml\n"
             + yaml.safe_dump(manifest.recipe, sort_keys=False, allow_unicode=True) + "```"]
    if manifest.backend:
        parts.append("Generated with the backend "
                     + ", ".join(f"{k} `{_cell(v)}`" for k, v in sorted(manifest.backend.items())) + ".")
    if manifest.templates:
        parts.append(_table(["prompt template", "sha256"], [[k, v] for k, v in manifest.templates.items()]))
    if manifest.exports:
        how = ("each is a config" if data_format == "jsonl" else "JSON Lines files, not configs (`datasets` reads "
               'all configs of a repository alike); load one with `load_dataset("json", data_files=PATH/FILE)`')
        parts.append(f"Judge training exports ({how}):\n\n" + _table(
            ["config", "file", "records", "comparisons", "with rewrites", "template", "template sha256", "sha256"],
            [[e.kind, e.file, e.records, e.comparisons, e.rewrites, e.template, e.template_sha256, e.sha256 or ""]
             for e in manifest.exports]))
    return "\n\n".join(parts)


def dataset_card(manifest: TransformManifest | SynthManifest, *, data_format: str = "jsonl") -> str:
    """The README.md of a transform or synth folder: the Hub's YAML header, then the provenance as text.

    Args:
        data_format: how the datasets are stored: jsonl, parquet or datasets (`save_to_disk` folders).
    """
    import yaml

    synth = isinstance(manifest, SynthManifest)
    command = "synth" if synth else "transform"
    sources = ", ".join(i.source for i in manifest.inputs) or "no input"
    configs = card_configs(manifest, data_format)
    header = {"pretty_name": " ".join(f"judgekit {command} of {sources}".split())[:120],
              "tags": ["judgekit", "preference-data", "reward-modeling", "robustness"], "configs": configs}
    example = configs[1]["config_name"] if len(configs) > 1 else "original"
    meta = "string (JSON)" if data_format in ("parquet", "datasets") else "object"
    versions = ", ".join(f"{k} {v}" for k, v in manifest.versions.items())
    sections = [
        "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---",
        f"# judgekit {command} of {_cell(sources)}",
        f"Written by `judgekit {command}`: the original items and one copy per transform, each a config of "
        f"this dataset (one `{SPLIT}` split each). The transforms change the wording of the texts, never which "
        "response should win, so a judge or reward model that ranks the original correctly should rank each "
        "copy the same way. The license of the source data applies; this card declares none.",
        "## Load\n\n```python\nfrom datasets import load_dataset\n\n"
        f'originals = load_dataset("PATH_OR_REPO", split="{SPLIT}")  # the default config: original\n'
        f'variant = load_dataset("PATH_OR_REPO", {json.dumps(example, ensure_ascii=False)}, split="{SPLIT}")\n'
        "```",
        "## Configs\n\n" + _transforms(manifest, configs, data_format),
        "## Fields\n\n" + FIELDS.replace("{META}", meta).rstrip(),
        "## Provenance\n\n" + f"Seed {manifest.seed}. Inputs:\n\n" + _inputs(manifest)
        + (f"\n\n{len(manifest.skipped_rows)} invalid input row(s) were skipped; `manifest.json` lists each."
           if manifest.skipped_rows else ""),
        _reasons(manifest),
    ]
    if synth:
        sections.append("## How it was made\n\n" + _synth(manifest, data_format))
    sections.append(f"## Versions\n\n{_cell(versions)}. Everything above is also in `manifest.json` (typed, "
                    f"schema {manifest.kind} v{manifest.schema_version}).")
    return "\n\n".join(sections) + "\n"
