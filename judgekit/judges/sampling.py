"""Asking a generative judge: self-consistency samples, majority verdicts, and the re-prompt.

``samples: k`` sends every request k times (sample 0 is the plain request, so its cache entry is shared
with ``samples: 1``; sample s > 0 has ``seed + s`` and ``sample_index`` s, so every sample is cached) and
takes the majority of the parsed verdicts. A draw goes to "tie" for pairwise verdicts and to the earliest
sample among the tied values otherwise; ratings are averaged. The agreement rate of a request is the
share of its parsed samples that agree with the majority (for ratings: with the most common rating).

``reprompt: true`` sends one follow-up to every reply that held no parseable verdict: the conversation
so far plus a user turn asking for the verdict alone in the expected format (``prompts/followup/verdict``).
A verdict found that way is counted as recovered, apart from verdicts parsed at the first try. Call
errors are never re-prompted (the backend already retried them).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from judgekit.backends.base import ChatRequest, Generation
from judgekit.data.example import Message

# parser name -> the format the follow-up asks for ({n}: the number of options)
FORMATS = {
    "pairwise": '"[[A]]" if Response A is better, "[[B]]" if Response B is better, "[[C]]" for a tie',
    "rating": '"Rating: [[N]]", where N is a whole number from 1 to 10',
    "choice": '"[[k]]", where k is the number of the best response, from 1 to {n}',
    "verify": '"[[CORRECT]]" or "[[INCORRECT]]"',
}
REPROMPT_TEMPLATE = "followup/verdict"

Parsed = tuple[Any, str | None, str | None]  # (value, error, failure kind)


@dataclass
class Answer:
    """The decision on one request after its samples and re-prompts."""

    value: Any = None
    error: str | None = None
    failure: str | None = None  # "call" | "parse"
    texts: list[str | None] = field(default_factory=list)  # each sample's first reply
    followups: dict[int, str | None] = field(default_factory=dict)  # sample -> reply to the re-prompt
    top_logprobs: dict[str, float] | None = None
    agreement: float | None = None  # samples > 1: share of parsed samples agreeing with the majority
    first_try_failures: int = 0  # samples whose first reply held no verdict
    recovered: int = 0  # ... of which the re-prompt found one

    def raw(self) -> dict[str, Any]:
        """What judgments.jsonl keeps of it (besides the mode's own fields)."""
        out: dict[str, Any] = {"text": self.texts[0] if self.texts else None}
        if len(self.texts) > 1:
            out["samples"] = self.texts
            out["agreement"] = self.agreement
        if self.followups:
            out["followups"] = {str(k): v for k, v in self.followups.items()}
        if self.top_logprobs is not None:
            out["top_logprobs"] = self.top_logprobs
        return out


def sample_request(request: ChatRequest, index: int) -> ChatRequest:
    """The index-th sample of a request (sample 0 is the request itself)."""
    if index == 0:
        return request
    return dataclasses.replace(request, seed=(request.seed or 0) + index, sample_index=index)


def followup_request(request: ChatRequest, reply: str | None, instruction: str) -> ChatRequest:
    """The conversation so far plus one user turn asking for the verdict alone."""
    messages = (*request.messages, Message("assistant", reply or ""), Message("user", instruction))
    return dataclasses.replace(request, messages=messages)


def majority(values: Sequence[Any], *, draw: Any = None) -> tuple[Any, float]:
    """(majority value, share agreeing). Floats (ratings) average; ``draw`` settles a shared top count,
    else the earliest of the tied values wins."""
    if all(isinstance(v, float) for v in values):
        _, count = Counter(values).most_common(1)[0]
        return sum(values) / len(values), count / len(values)
    counts = Counter(values)
    top = max(counts.values())
    tied = [v for v in counts if counts[v] == top]
    if len(tied) > 1 and draw is not None:
        return draw, top / len(values)
    return next(v for v in values if counts[v] == top), top / len(values)


def ask(requests: Sequence[ChatRequest], *, samples: int, run: Callable[[list[ChatRequest]], list[Generation]],
        parse: Callable[[Generation, int], Parsed], n_options: Sequence[int],
        instruction: Callable[[int], str] | None = None, draw: Any = None) -> list[Answer]:
    """Send every request ``samples`` times (one batch), re-prompt unparseable replies (a second batch, when
    ``instruction`` is given: n_options -> the follow-up text), and decide each request by majority."""
    expanded = [sample_request(r, s) for r in requests for s in range(samples)]
    generations = run(expanded)
    parsed: list[Parsed] = [parse(g, n_options[i // samples]) for i, g in enumerate(generations)]
    first_failures = {i for i, p in enumerate(parsed) if p[2] == "parse"}
    followups: dict[int, Generation] = {}
    if instruction is not None and first_failures:
        redo = sorted(first_failures)
        replies = run([followup_request(expanded[i], generations[i].text, instruction(n_options[i // samples]))
                       for i in redo])
        for i, reply in zip(redo, replies, strict=True):
            followups[i] = reply
            again = parse(reply, n_options[i // samples])
            if again[2] is None:
                parsed[i] = again
            elif reply.ok:
                parsed[i] = (None, f"{parsed[i][1]}; after the re-prompt: {again[1]}", "parse")
    answers = []
    for r in range(len(requests)):
        span = range(r * samples, (r + 1) * samples)
        answer = Answer(texts=[generations[i].text for i in span], top_logprobs=generations[r * samples].top_logprobs,
                        followups={i - r * samples: followups[i].text for i in span if i in followups},
                        first_try_failures=sum(1 for i in span if i in first_failures),
                        recovered=sum(1 for i in span if i in first_failures and parsed[i][2] is None))
        good = [parsed[i][0] for i in span if parsed[i][2] is None]
        if good:
            answer.value, agreement = majority(good, draw=draw)
            answer.agreement = agreement if samples > 1 else None
        else:
            kinds = [parsed[i][2] for i in span]
            answer.failure = "call" if "call" in kinds else "parse"
            answer.error = next(parsed[i][1] for i in span if parsed[i][2] == answer.failure)
        answers.append(answer)
    return answers
