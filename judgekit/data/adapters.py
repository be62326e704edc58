"""Adapters: real preference formats -> `Example`. Each is registered by name and auto-detected.

Detection looks at the first record's fields; ``--format`` overrides it. Order matters: the most
specific formats are tried first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from judgekit.data.example import Example, Message
from judgekit.errors import DataError
from judgekit.registry import Registry


class Adapter:
    """How to recognise and read one format. Subclasses are registered with ``@ADAPTERS.register(name)``;
    the docstring's first line is the format's description (``judgekit ls formats``)."""

    name = ""
    priority = 50  # lower is tried first during detection

    def detect(self, record: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def convert(self, record: Mapping[str, Any], row: int, source: str) -> Example:
        raise NotImplementedError


def _instantiate(name: str, cls: type[Adapter]) -> Adapter:
    instance = cls()
    instance.name = name
    return instance


ADAPTERS: Registry[Adapter] = Registry("format", builtin="adapters", prepare=_instantiate)


def detect_format(record: Mapping[str, Any], *, source: str) -> Adapter:
    """The adapter whose ``detect`` accepts this record, most specific first."""
    for _, candidate in sorted(ADAPTERS.items(), key=lambda item: (item[1].priority, item[0])):
        if candidate.detect(record):
            return candidate
    raise DataError(
        f"cannot tell the format from its fields {sorted(record)[:12]}",
        source=source,
        row=0,
        hint=f"pass --format, one of: {', '.join(ADAPTERS.names())}",
    )


# -- helpers -----------------------------------------------------------------------------------------
def _field(record: Mapping[str, Any], name: str, types: type | tuple[type, ...] = str) -> Any:
    if name not in record or record[name] is None:
        raise DataError("missing required field", field=name)
    value = record[name]
    if not isinstance(value, types):
        expected = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise DataError(f"must be {expected}, got {type(value).__name__}", field=name)
    return value


def _str_list(record: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = _field(record, name, (list, tuple, str))
    if isinstance(value, str):
        return (value,)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise DataError(f"item {i} must be a string, got {type(item).__name__}", field=name)
    return tuple(value)


def _has(record: Mapping[str, Any], *names: str) -> bool:
    return all(name in record for name in names)


def _stem(source: str) -> str:
    return Path(source).stem if source else "data"


# -- judgekit's own format ---------------------------------------------------------------------------
@ADAPTERS.register("judgekit")
class JudgekitFormat(Adapter):
    """judgekit JSONL: id, prompt (chat messages), chosen[], rejected[], subset, meta"""

    priority = 0

    def detect(self, record):
        prompt = record.get("prompt")
        return (
            _has(record, "id", "prompt", "chosen", "rejected", "subset")
            and isinstance(prompt, list)
            and isinstance(record["chosen"], list)
            and all(isinstance(c, str) for c in record["chosen"])
            and set(record) <= {"id", "prompt", "chosen", "rejected", "subset", "meta"}
        )

    def convert(self, record, row, source):
        return Example.from_dict(record)


# -- RewardBench 2: lists of chosen/rejected, Ties keeps every correct answer ------------------------
@ADAPTERS.register("rewardbench2")
class Rewardbench2Format(Adapter):
    """RewardBench 2: prompt, chosen[], rejected[], subset, num_correct (Ties: several correct)"""

    priority = 10

    def detect(self, record):
        return _has(record, "prompt", "chosen", "rejected") and isinstance(record["chosen"], list) and (
            "num_correct" in record or "total_completions" in record
        )

    def convert(self, record, row, source):
        meta = {k: record[k] for k in ("num_correct", "num_incorrect", "total_completions", "models") if k in record}
        if record.get("additional_metadata"):
            meta["additional_metadata"] = record["additional_metadata"]
        meta["source"] = {"format": "rewardbench2", "dataset": source, "id": record.get("id", row)}
        prompt = _field(record, "prompt").lstrip("\ufeff")
        return Example(
            id=str(record.get("id", row)),
            prompt=prompt,
            chosen=_str_list(record, "chosen"),
            rejected=_str_list(record, "rejected"),
            subset=str(record.get("subset") or "default"),
            meta=meta,
        )


# -- RM-Bench: 3 chosen x 3 rejected styles ----------------------------------------------------------
RM_BENCH_STYLES = ("concise", "detailed_plain", "detailed_markdown")


@ADAPTERS.register("rm-bench")
class RmBenchFormat(Adapter):
    """RM-Bench: prompt, chosen[3], rejected[3] in concise / detailed plain / detailed markdown style"""

    priority = 20

    def detect(self, record):
        return (
            _has(record, "prompt", "chosen", "rejected")
            and isinstance(record["chosen"], list)
            and isinstance(record["rejected"], list)
            and len(record["chosen"]) == 3
            and len(record["rejected"]) == 3
            and all(isinstance(c, str) for c in record["chosen"])
        )

    def convert(self, record, row, source):
        chosen, rejected = _str_list(record, "chosen"), _str_list(record, "rejected")
        if len(chosen) != 3 or len(rejected) != 3:
            raise DataError(f"RM-Bench items have 3 chosen and 3 rejected styles, got {len(chosen)} and {len(rejected)}",
                            field="chosen", hint="use --format rewardbench2 for other list sizes")
        extra = {k: v for k, v in record.items() if k not in ("id", "prompt", "chosen", "rejected", "subset", "domain")}
        # RM-Bench scores by domain (chat, code, math, safety-refuse, safety-response); the file name or a
        # 'domain' field says which. The original 'subset' (alpacaeval, xstest-should-refuse, ...) stays in meta.
        domain = str(record.get("domain") or _stem(source))
        return Example(
            id=f"{domain}/{record.get('id', row)}",  # RM-Bench ids repeat across domains
            prompt=_field(record, "prompt"),
            chosen=chosen,
            rejected=rejected,
            subset=domain,
            meta={
                **extra,
                "source_subset": record.get("subset"),
                "styles": list(RM_BENCH_STYLES),
                "domain": domain,
                "source": {"format": "rm-bench", "dataset": source, "id": record.get("id", row)},
            },
        )


# -- JudgeBench: response_A / response_B with an "A>B" / "B>A" label ---------------------------------
# JudgeBench reports four categories; the per-item source (mmlu-pro-law, ...) stays in meta.
JUDGEBENCH_CATEGORIES = {"livebench-reasoning": "reasoning", "livebench-math": "math", "livecodebench": "coding"}

@ADAPTERS.register("judgebench")
class JudgebenchFormat(Adapter):
    """JudgeBench: question, response_A, response_B, label 'A>B' or 'B>A'"""

    priority = 20

    def detect(self, record):
        return _has(record, "response_A", "response_B", "label")

    def convert(self, record, row, source):
        label = _field(record, "label")
        if label not in ("A>B", "B>A"):
            raise DataError(f"label must be 'A>B' or 'B>A', got {label!r}", field="label",
                            hint="ties (A=B) carry no preference; drop them before loading")
        a, b = _field(record, "response_A"), _field(record, "response_B")
        chosen, rejected = (a, b) if label == "A>B" else (b, a)
        origin = str(record.get("source") or "judgebench")
        return Example(
            id=str(record.get("pair_id", row)),
            prompt=_field(record, "question"),
            chosen=(chosen,),
            rejected=(rejected,),
            subset=JUDGEBENCH_CATEGORIES.get(origin, "knowledge" if origin.startswith("mmlu-pro") else origin),
            meta={
                "source": {"format": "judgebench", "dataset": source, "id": record.get("pair_id", row),
                           "original_id": record.get("original_id"), "origin": origin},
                "label": label,
                "response_model": record.get("response_model"),
            },
        )


# -- LLMBar: input, output_1, output_2, label (1 or 2 = the better output) ---------------------------
LLMBAR_SUBSETS = {  # LLMBar files / hub splits -> RewardBench 1 subset names (its Chat Hard llmbar-* subsets)
    "natural": "llmbar-natural",
    "neighbor": "llmbar-adver-neighbor",
    "gptinst": "llmbar-adver-GPTInst",
    "gptout": "llmbar-adver-GPTOut",
    "manual": "llmbar-adver-manual",
}


def llmbar_subset(source: str) -> str:
    """LLMBar file or hub split -> RewardBench subset, prefix never doubled: natural.json, llmbar-natural.json,
    Natural -> llmbar-natural; Adversarial_GPTInst -> llmbar-adver-GPTInst; foo.json, llmbar-foo.json -> llmbar-foo."""
    stem = re.sub(r"\.(jsonl?|parquet|csv)(\.gz)?$", "", Path(source).name, flags=re.IGNORECASE).strip()
    key = re.sub(r"^((llmbar|adversarial|adver)-)+", "", re.sub(r"[\s_]+", "-", stem.lower()))
    return LLMBAR_SUBSETS.get(key) or (stem if stem.lower().startswith("llmbar-") else f"llmbar-{stem}")


@ADAPTERS.register("llmbar")
class LlmbarFormat(Adapter):
    """LLMBar: input, output_1, output_2, label (1 or 2, the better output)"""

    priority = 20

    def detect(self, record):
        return _has(record, "input", "output_1", "output_2", "label")

    def convert(self, record, row, source):
        label = record.get("label")
        if label not in (1, 2, "1", "2"):
            raise DataError(f"label must be 1 or 2, got {label!r}", field="label")
        one, two = _field(record, "output_1"), _field(record, "output_2")
        chosen, rejected = (one, two) if int(label) == 1 else (two, one)
        stem = _stem(source).lower()
        own = record.get("subset")  # the data's own subset field first, else the file name
        return Example(
            id=f"{stem}-{row}",
            prompt=_field(record, "input"),
            chosen=(chosen,),
            rejected=(rejected,),
            subset=own.strip() if isinstance(own, str) and own.strip() else llmbar_subset(source),
            meta={"source": {"format": "llmbar", "dataset": source, "row": row}, "label": int(label)},
        )


# -- HH-RLHF: two full dialogues that share everything up to the last assistant turn -----------------
_TURN = re.compile(r"\n\n(Human|Assistant): ")


def _dialogue(text: str) -> list[tuple[str, str]]:
    parts = _TURN.split("\n\n" + text.lstrip("\n") if not text.startswith("\n\n") else text)
    turns = []
    for i in range(1, len(parts) - 1, 2):
        turns.append(("user" if parts[i] == "Human" else "assistant", parts[i + 1]))
    return turns


@ADAPTERS.register("hh-rlhf")
class HhRlhfFormat(Adapter):
    """Anthropic HH-RLHF: chosen / rejected dialogue strings ('\\n\\nHuman: ... \\n\\nAssistant: ...')"""

    priority = 30

    def detect(self, record):
        chosen = record.get("chosen")
        return set(record) <= {"chosen", "rejected", "id", "subset"} and isinstance(chosen, str) and "\n\nAssistant:" in chosen

    def convert(self, record, row, source):
        chosen_turns = _dialogue(_field(record, "chosen"))
        rejected_turns = _dialogue(_field(record, "rejected"))
        if not chosen_turns or chosen_turns[-1][0] != "assistant":
            raise DataError("dialogue must end with an 'Assistant:' turn", field="chosen")
        if not rejected_turns or rejected_turns[-1][0] != "assistant":
            raise DataError("dialogue must end with an 'Assistant:' turn", field="rejected")
        if chosen_turns[:-1] != rejected_turns[:-1]:
            raise DataError("chosen and rejected dialogues do not share the same history", field="rejected",
                            hint="HH-RLHF pairs differ only in the last assistant turn")
        prompt = [Message(role, content) for role, content in chosen_turns[:-1]]
        return Example(
            id=str(record.get("id", f"{_stem(source)}-{row}")),
            prompt=tuple(prompt),
            chosen=(chosen_turns[-1][1],),
            rejected=(rejected_turns[-1][1],),
            subset=str(record.get("subset") or "hh-rlhf"),
            meta={"source": {"format": "hh-rlhf", "dataset": source, "row": row}},
        )


# -- TRL preference formats: standard or conversational, explicit or implicit prompt -----------------
def _messages(value: Any, name: str) -> list[Message]:
    if isinstance(value, str):
        return [Message("user" if name == "prompt" else "assistant", value)]
    if not isinstance(value, list) or not value:
        raise DataError("must be a string or a non-empty list of messages", field=name)
    out = []
    for message in value:
        if not isinstance(message, Mapping) or "role" not in message or "content" not in message:
            raise DataError(f"each message needs 'role' and 'content', got {str(message)[:60]!r}", field=name)
        out.append(Message(str(message["role"]), message["content"]))
    return out


@ADAPTERS.register("trl")
class TrlFormat(Adapter):
    """TRL preference: prompt/chosen/rejected (standard or conversational; prompt explicit or implicit)"""

    priority = 40

    def detect(self, record):
        chosen = record.get("chosen")
        return _has(record, "chosen", "rejected") and "subset" not in record and (
            isinstance(chosen, list) and bool(chosen) and isinstance(chosen[0], Mapping)
            or isinstance(chosen, str) and isinstance(record.get("prompt"), str | list)
        )

    def convert(self, record, row, source):
        chosen = _messages(_field(record, "chosen", (str, list)), "chosen")
        rejected = _messages(_field(record, "rejected", (str, list)), "rejected")
        if "prompt" in record and record["prompt"] is not None:
            prompt = _messages(record["prompt"], "prompt")
        else:  # implicit prompt: the shared history of both conversations
            if chosen[:-1] != rejected[:-1] or len(chosen) < 2:
                raise DataError("implicit-prompt rows need chosen and rejected conversations with a shared history",
                                field="chosen", hint="add a 'prompt' field")
            prompt = chosen[:-1]
        if chosen[-1].role != "assistant" or rejected[-1].role != "assistant":
            raise DataError("the last message of chosen and rejected must be the assistant's", field="chosen")
        return Example(
            id=str(record.get("id", f"{_stem(source)}-{row}")),
            prompt=tuple(prompt),
            chosen=(chosen[-1].content,),
            rejected=(rejected[-1].content,),
            subset=str(record.get("subset") or "default"),
            meta={"source": {"format": "trl", "dataset": source, "row": row}},
        )


# -- RewardBench (v1): prompt, chosen, rejected, subset, id ------------------------------------------
@ADAPTERS.register("rewardbench")
class RewardbenchFormat(Adapter):
    """RewardBench: prompt, chosen, rejected (strings), subset, id"""

    priority = 45

    def detect(self, record):
        return _has(record, "prompt", "chosen", "rejected") and isinstance(record["prompt"], str)

    def convert(self, record, row, source):
        meta = {k: record[k] for k in ("chosen_model", "rejected_model") if record.get(k) is not None}
        meta["source"] = {"format": "rewardbench", "dataset": source, "id": record.get("id", row)}
        return Example(
            id=str(record.get("id", row)),
            prompt=_field(record, "prompt"),
            chosen=_str_list(record, "chosen"),
            rejected=_str_list(record, "rejected"),
            subset=str(record.get("subset") or "default"),
            meta=meta,
        )


# -- M-RewardBench: RewardBench in 23 languages; the language becomes the subset ------------------------------
@ADAPTERS.register("m-rewardbench")
class MRewardBenchFormat(Adapter):
    """M-RewardBench: id, language (FLORES-200), prompt, chosen, rejected, subset; subset becomes the language"""

    priority = 15

    def detect(self, record):
        return (all(name in record for name in ("language", "prompt", "chosen", "rejected"))
                and isinstance(record["prompt"], str) and isinstance(record["chosen"], str))

    def convert(self, record, row, source):
        # Fields as for-ai/aya_rm_multilingual scripts/utils.py (load_multilingual_eval_dataset) reads them; the
        # RewardBench subset stays in meta.source_subset, its domain in meta.domain.
        from judgekit.data.domains import domain_of

        language = str(_field(record, "language"))
        source_subset = str(record.get("subset") or "default")
        item_id = record.get("id", row)
        meta = {k: record[k] for k in ("chosen_model", "rejected_model") if record.get(k) is not None}
        draft = Example(id=str(item_id), prompt=_field(record, "prompt"), chosen=_str_list(record, "chosen"),
                        rejected=_str_list(record, "rejected"), subset=source_subset)
        meta.update(language=language, source_subset=source_subset, domain=domain_of(draft),
                    source={"format": "m-rewardbench", "dataset": source, "id": item_id})
        return Example(id=f"{language}/{item_id}", prompt=draft.prompt, chosen=draft.chosen, rejected=draft.rejected,
                       subset=language, meta=meta)
