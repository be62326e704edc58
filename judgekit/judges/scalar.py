"""Scalar reward models: any ``AutoModelForSequenceClassification`` scores (prompt, response).

How a conversation becomes text: the tokenizer's chat template with the response as the last
assistant turn (the template supplies special tokens). Without a chat template (BERT-style models)
the fallback is ``"User: {prompt}\\n\\nAssistant: {response}"`` (a system message first as
``"System: ..."``, earlier turns in order), with the tokenizer's own special tokens ([CLS] ... [SEP]).
Inputs longer than the model's limit are cut from the left, so the response's end is kept, and counted.

Speed without changing results: every unique text is scored once per run (and cached on disk), and
texts are sorted by length and packed into batches by a padded-token budget. Padding is on the right
and masked, and each text is padded to the next multiple of 32 tokens with texts of that width only, so
a score does not depend on which batch it landed in (a chunked or distributed run scores the same).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from judgekit.data.example import Example, Message
from judgekit.errors import SpecError
from judgekit.judges.base import JUDGES, Judge, Judgment, judgment_from_scores
from judgekit.judges.score_cache import ScoreCache, folder_fingerprint, model_key, text_key
from judgekit.judges.spec import ScalarJudgeSpec

FORMAT_VERSION = 1  # bump when the conversation formatting changes (invalidates cached scores)
_ROLE_NAMES = {"system": "System", "user": "User", "assistant": "Assistant"}


def fallback_text(prompt: Sequence[Message], response: str) -> str:
    """The documented formatting for models without a chat template."""
    turns = [f"{_ROLE_NAMES[m.role]}: {m.content}" for m in prompt]
    turns.append(f"Assistant: {response}")
    return "\n\n".join(turns)


def format_conversation(tokenizer: Any, prompt: Sequence[Message], response: str) -> tuple[str, bool]:
    """(text, add_special_tokens) for one (prompt, response); the same for training and scoring."""
    if getattr(tokenizer, "chat_template", None):
        messages = [m.to_dict() for m in prompt] + [{"role": "assistant", "content": response}]
        return tokenizer.apply_chat_template(messages, tokenize=False), False
    return fallback_text(prompt, response), True


def resolve_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str, device: str):
    import torch

    if dtype == "auto":
        if device.startswith("cuda") and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return getattr(torch, dtype)


def plan_batches(lengths: Sequence[int], *, token_budget: int, max_batch_size: int) -> list[list[int]]:
    """Indices grouped into batches, longest first, so that batch size x longest length <= budget."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        width = lengths[current[0]] if current else lengths[index]
        if current and ((len(current) + 1) * width > token_budget or len(current) >= max_batch_size):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def padded_batches(lengths: Sequence[int], *, limit: int, token_budget: int,
                   max_batch_size: int) -> list[tuple[int, int, list[int]]]:
    """(padded width, rows, indices) per batch: texts padded to the next multiple of 32 tokens (at most
    ``limit``), longest first, batched with texts of the same width by the token budget (`plan_batches`),
    and every batch of a width padded to the same number of rows. The model then sees the same tensor
    shapes for a text whatever else is scored with it, so its score depends on the text alone: a chunked or
    distributed run scores exactly what a whole run scores."""
    widths = [max(n, min(limit, -(-n // 32) * 32)) for n in lengths]
    out = []
    for width in sorted(set(widths), reverse=True):
        members = [i for i, w in enumerate(widths) if w == width]
        rows = max(1, min(max_batch_size, token_budget // max(width, 1)))
        for group in plan_batches([width] * len(members), token_budget=token_budget, max_batch_size=max_batch_size):
            out.append((width, rows, [members[k] for k in group]))
    return out


@JUDGES.register("scalar")
class ScalarJudge(Judge):
    """A sequence-classification reward model (AutoModelForSequenceClassification) scoring (prompt, response)."""

    kind = "scalar"
    Spec = ScalarJudgeSpec

    def __init__(self, spec: ScalarJudgeSpec, *, cache_path: Path | None = None) -> None:
        self.given = spec  # as written (an embedded:... name stays readable in reports)
        self._resolved: ScalarJudgeSpec | None = None
        self.name = spec.display_name
        self._model = None
        self._tokenizer = None
        self._device = resolve_device(spec.device)
        self._memory: dict[str, float] = {}
        self._cache_path = cache_path
        self.counters = {"requested": 0, "unique": 0, "cache_hits": 0, "scored": 0, "truncated": 0, "batches": 0,
                         "model_seconds": 0.0}

    # -- loading ------------------------------------------------------------------------------------
    @property
    def spec(self) -> ScalarJudgeSpec:
        """The spec with ``embedded:...`` resolved to its folder (built on first use, not at construction)."""
        if self._resolved is None:
            from judgekit.embedded import resolve_model

            self._resolved = self.given.model_copy(update={"model": resolve_model(self.given.model)})
        return self._resolved

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.spec.model, revision=self.spec.revision,
                                                            trust_remote_code=self.spec.trust_remote_code)
            if self._tokenizer.pad_token_id is None:
                self._tokenizer.pad_token = self._tokenizer.eos_token
        return self._tokenizer

    @property
    def model(self):
        if self._model is None:
            from transformers import AutoModelForSequenceClassification

            dtype = resolve_dtype(self.spec.dtype, self._device)
            self._check_head()
            try:
                model = AutoModelForSequenceClassification.from_pretrained(
                    self.spec.model, revision=self.spec.revision, dtype=dtype,
                    trust_remote_code=self.spec.trust_remote_code)
            except OSError as exc:
                raise SpecError(f"cannot load reward model '{self.spec.model}': {exc}") from None
            if model.config.num_labels <= self.spec.score_index:
                raise SpecError(f"'{self.spec.model}' has {model.config.num_labels} label(s); "
                                f"score_index {self.spec.score_index} does not exist")
            if model.config.pad_token_id is None:
                model.config.pad_token_id = self.tokenizer.pad_token_id
            self._model = model.to(self._device).eval()
        return self._model

    def _check_head(self) -> None:
        """Refuse checkpoints without a trained score head (transformers would initialise it at random)."""
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(self.spec.model, revision=self.spec.revision,
                                            trust_remote_code=self.spec.trust_remote_code)
        if getattr(config, "quantization_config", None):
            raise SpecError(f"'{self.spec.model}' is a quantized checkpoint ({config.quantization_config.get('quant_method', '?')}"
                            "); judgekit does not load 8/4-bit models implicitly: use a full-precision checkpoint")
        architectures = getattr(config, "architectures", None) or []
        if architectures and not any("SequenceClassification" in a or "Reward" in a for a in architectures):
            raise SpecError(f"'{self.spec.model}' is a {', '.join(architectures)} checkpoint, not a reward model "
                            "(AutoModelForSequenceClassification): its score head would be random. Train one with "
                            "`judgekit train`, or use it as a generative judge through a backend")

    def max_length(self) -> int:
        limits = [self.spec.max_length] if self.spec.max_length else []
        model_max = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(model_max, int) and model_max < 1_000_000:
            limits.append(model_max)
        if not limits:
            from transformers import AutoConfig

            config = AutoConfig.from_pretrained(self.spec.model, revision=self.spec.revision,
                                                trust_remote_code=self.spec.trust_remote_code)
            limits.append(getattr(config, "max_position_embeddings", None) or 2048)
        return min(limits)

    def identity(self) -> dict[str, Any]:
        folder = Path(self.spec.model).expanduser()
        if folder.is_dir():
            source: dict[str, Any] = {"folder": folder_fingerprint(folder)}
        else:
            from transformers import AutoConfig

            config = AutoConfig.from_pretrained(self.spec.model, revision=self.spec.revision,
                                                trust_remote_code=self.spec.trust_remote_code)
            source = {"hub": self.spec.model, "revision": self.spec.revision,
                      "commit": getattr(config, "_commit_hash", None)}
        return {"kind": "scalar", "source": source, "dtype": self.spec.dtype, "score_index": self.spec.score_index,
                "max_length": self.max_length(), "format_version": FORMAT_VERSION,
                "device_type": self._device.split(":")[0]}

    # -- scoring ------------------------------------------------------------------------------------
    def format(self, prompt: Sequence[Message], response: str) -> tuple[str, bool]:
        return format_conversation(self.tokenizer, prompt, response)

    def score_texts(self, texts: Sequence[tuple[str, bool]], *,
                    progress: Callable[[int, int], None] | None = None) -> list[float]:
        """Scores of formatted texts (from `format`), each unique text computed once, cached on disk."""
        self.counters["requested"] += len(texts)
        unique = list(dict.fromkeys(texts))
        self.counters["unique"] += len(unique)
        keys = {item: text_key(f"{int(item[1])}\x00{item[0]}") for item in unique}
        missing = [item for item in unique if keys[item] not in self._memory]
        cache = None
        if self.spec.cache and missing:
            from judgekit.embedded import cache_root

            cache = ScoreCache(self._cache_path or cache_root() / "scores.sqlite")
            mkey = model_key(self.identity())
            hits = cache.get_many(mkey, [keys[item] for item in missing])
            self.counters["cache_hits"] += len(hits)
            self._memory.update(hits)
            missing = [item for item in missing if keys[item] not in self._memory]
        if missing:
            computed = self._forward(missing, progress=progress)
            fresh = {keys[item]: score for item, score in zip(missing, computed, strict=True)}
            self._memory.update(fresh)
            if cache is not None:
                cache.put_many(mkey, fresh)
        if cache is not None:
            cache.close()
        return [self._memory[keys[item]] for item in texts]

    def _encode(self, items: Sequence[tuple[str, bool]], *, count: bool = True) -> list[list[int]]:
        """Token ids per text; texts over the limit are re-encoded cut from the left (special tokens kept)."""
        tokenizer = self.tokenizer
        limit = self.max_length()
        out: list[list[int]] = [[] for _ in items]
        for special in (False, True):
            indices = [i for i, (_, flag) in enumerate(items) if flag is special]
            if not indices:
                continue
            encoded = tokenizer([items[i][0] for i in indices], add_special_tokens=special, verbose=False)["input_ids"]
            for index, ids in zip(indices, encoded, strict=True):
                if len(ids) > limit:
                    self.counters["truncated"] += int(count)
                    side = tokenizer.truncation_side
                    tokenizer.truncation_side = "left"
                    try:
                        ids = tokenizer(items[index][0], add_special_tokens=special, truncation=True,
                                        max_length=limit)["input_ids"]
                    finally:
                        tokenizer.truncation_side = side
                out[index] = list(ids)
        return out

    def _forward(self, items: Sequence[tuple[str, bool]], *,
                 progress: Callable[[int, int], None] | None = None) -> list[float]:
        import torch

        start = time.perf_counter()
        encoded = self._encode(items)
        model = self.model
        pad = self.tokenizer.pad_token_id
        scores = [0.0] * len(items)
        done = 0
        with torch.inference_mode():
            for width, rows, batch in padded_batches([len(ids) for ids in encoded], limit=self.max_length(),
                                                     token_budget=self.spec.token_budget,
                                                     max_batch_size=self.spec.max_batch_size):
                input_ids = torch.full((rows, width), pad, dtype=torch.long)
                mask = torch.zeros((rows, width), dtype=torch.long)
                mask[len(batch):, 0] = 1  # filler rows: one pad token each (never a fully masked row)
                for row, index in enumerate(batch):
                    ids = encoded[index]
                    input_ids[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
                    mask[row, :len(ids)] = 1
                logits = model(input_ids=input_ids.to(self._device), attention_mask=mask.to(self._device)).logits
                values = logits[:len(batch), self.spec.score_index].float().cpu().tolist()
                for index, value in zip(batch, values, strict=True):
                    scores[index] = value
                self.counters["batches"] += 1
                done += len(batch)
                if progress is not None:
                    progress(done, len(items))
        self.counters["scored"] += len(items)
        self.counters["model_seconds"] = round(self.counters["model_seconds"] + time.perf_counter() - start, 3)
        return scores

    def judge(self, examples: Sequence[Example], *, placements: dict[str, int] | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Judgment]:
        formatted: dict[tuple[Any, str], tuple[str, bool]] = {}
        slots = []
        for example in examples:
            for response in (*example.chosen, *example.rejected):
                key = (example.prompt, response)
                if key not in formatted:
                    formatted[key] = self.format(example.prompt, response)
                slots.append(formatted[key])
        scores = iter(self.score_texts(slots, progress=progress))  # dedupes: each unique text is scored once
        fingerprints = iter(self.input_fingerprints(slots))
        judgments = []
        for example in examples:
            chosen = [next(scores) for _ in example.chosen]
            rejected = [next(scores) for _ in example.rejected]
            judgment = judgment_from_scores(example, chosen, rejected)
            prints = [next(fingerprints) for _ in range(len(example.chosen) + len(example.rejected))]
            judgment.meta["input_sha256"] = hashlib.sha256("".join(prints).encode()).hexdigest()
            judgments.append(judgment)
        return judgments

    def input_fingerprints(self, texts: Sequence[tuple[str, bool]]) -> list[str]:
        """sha256 of the token ids the model sees for each formatted text (after truncation): two texts the
        tokenizer maps to the same ids are the same input to the model (see the `visibility` metric)."""
        unique = list(dict.fromkeys(texts))
        ids = dict(zip(unique, self._encode(unique, count=False), strict=True))
        return [hashlib.sha256(",".join(map(str, ids[t])).encode()).hexdigest()[:32] for t in texts]

    def stats(self) -> dict[str, Any]:
        return dict(self.counters)

    def close(self) -> None:
        self._model = None

