"""Batches of pairs -> one padded batch of sequences, so a step is a single forward pass.

Layout of a batch of B pairs of which k have rewrites (k counts rewrites, a pair may have several):
``[chosen_1..B, rejected_1..B, chosen~_1..k, rejected~_1..k]``; ``variant_rows`` maps each rewrite to
its pair. The losses in `judgekit.train.losses.objective_loss` read the rewards in that order.

How a (prompt, response) becomes model input is exactly what the scalar judge does when it scores
(`judgekit.judges.scalar.format_conversation`): the tokenizer's chat template with the response as the
last assistant turn, or for models without one (BERT-like encoders such as MiniLM)
``"User: {prompt}\n\nAssistant: {response}"`` with the tokenizer's special tokens. Inputs longer than
``max_length`` are cut from the left, so the end of the response is kept. Padding is on the right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from judgekit.data.example import Message
from judgekit.data.pairs import TrainPair


def input_format(tokenizer: Any) -> str:
    """"chat-template" when the tokenizer has one, else "plain-text" (the scalar judge's fallback)."""
    return "chat-template" if getattr(tokenizer, "chat_template", None) else "plain-text"


def encode(tokenizer: Any, items: Sequence[tuple[Sequence[Message], str]], *, max_length: int) -> dict[str, Any]:
    """Tokenise (prompt, response) items into one right-padded batch of PyTorch tensors."""
    import torch

    from judgekit.judges.scalar import format_conversation

    formatted = [format_conversation(tokenizer, prompt, response) for prompt, response in items]
    rows: list[list[int]] = [[] for _ in formatted]
    side = tokenizer.truncation_side
    tokenizer.truncation_side = "left"
    try:
        for special in (False, True):
            indices = [i for i, (_, flag) in enumerate(formatted) if flag is special]
            if indices:
                encoded = tokenizer([formatted[i][0] for i in indices], add_special_tokens=special, truncation=True,
                                    max_length=max_length)["input_ids"]
                for index, ids in zip(indices, encoded, strict=True):
                    rows[index] = list(ids)
    finally:
        tokenizer.truncation_side = side
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, ids in enumerate(rows):
        input_ids[i, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        mask[i, :len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


@dataclass
class PairCollator:
    """Collate `TrainPair`s for `RewardTrainer` (one concatenated batch; see the module docstring).

    Args:
        tokenizer: the base model's tokenizer (a pad token must be set).
        max_length: tokens per sequence.
        with_variants: include rewrites (False for the standard objective: 2 sequences per pair).
    """

    tokenizer: Any
    max_length: int
    with_variants: bool = True

    def __call__(self, pairs: Sequence[TrainPair]) -> dict[str, Any]:
        import torch

        items: list[tuple[Sequence[Message], str]] = [(p.prompt, p.chosen) for p in pairs]
        items += [(p.prompt, p.rejected) for p in pairs]
        rows: list[int] = []
        variant_chosen: list[tuple[Sequence[Message], str]] = []
        variant_rejected: list[tuple[Sequence[Message], str]] = []
        if self.with_variants:
            for row, pair in enumerate(pairs):
                for variant in pair.variants:
                    rows.append(row)
                    variant_chosen.append((variant.prompt, variant.chosen))
                    variant_rejected.append((variant.prompt, variant.rejected))
        batch = dict(encode(self.tokenizer, items + variant_chosen + variant_rejected, max_length=self.max_length))
        batch["n_pairs"] = torch.tensor(len(pairs))
        batch["variant_rows"] = torch.tensor(rows, dtype=torch.long)
        batch["margin"] = torch.tensor([p.margin for p in pairs], dtype=torch.float32)
        batch["chosen_targets"] = torch.tensor([p.chosen_score for p in pairs], dtype=torch.float32)
        batch["rejected_targets"] = torch.tensor([p.rejected_score for p in pairs], dtype=torch.float32)
        return batch
