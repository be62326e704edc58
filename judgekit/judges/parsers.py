"""Strict verdict parsers: a judge's raw text -> a verdict, or a `ParseError` saying why not.

A parser never guesses. Output that names both answers, none, or a value out of range is a parse
failure, which the judge counts and reports; it is never turned into a tie. Each parser accepts the
format its template asks for (``[[A]]``, ``Rating: [[7]]``, ``[[2]]``, ``[[CORRECT]]``) and, where the
format is missing, one unambiguous plain statement at the very end (``Verdict: A``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

from judgekit.registry import Registry


class ParseError(ValueError):
    """The output does not contain exactly one valid verdict."""


# name -> parse(text, n_options) -> verdict (raises ParseError)
PARSERS: Registry[Callable[..., object]] = Registry("parser", builtin="judges")


_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_BRACKETED = re.compile(r"\[\[\s*([^\[\]]{1,20}?)\s*\]\]")


def _clean(text: str | None) -> str:
    if text is None or not text.strip():
        raise ParseError("empty output")
    # reasoning models put drafts (which often quote the format) inside <think>; only the answer counts
    return _THINK.sub(" ", text).strip()


def _bracketed(text: str) -> list[str]:
    return [m.strip() for m in _BRACKETED.findall(text)]


def _one(values: list[str], what: str) -> str:
    distinct = sorted(set(values))
    if len(distinct) > 1:
        raise ParseError(f"conflicting {what}: {', '.join(distinct)}")
    return distinct[0]


# -- pairwise: [[A]] / [[B]] / [[C]] (tie) ------------------------------------------------------------------
_PAIR_TAIL = re.compile(
    r"(?:verdict|answer|winner|better (?:response|answer|output)(?: is)?)\s*(?:is)?\s*[:=]?\s*"
    r"\(?\*{0,2}(?:assistant |response |output )?([AB])\b\)?\*{0,2}\s*\.?\s*$",
    re.I,
)
_PAIR_VALUES = {"A": "A", "B": "B", "C": "tie", "TIE": "tie", "A=B": "tie"}


@PARSERS.register("pairwise", description="[[A]], [[B]] or [[C]] (tie); else one 'Verdict: A' at the very end")
def parse_pairwise(text: str | None, n_options: int = 2) -> str:
    """Return "A", "B" or "tie"."""
    body = _clean(text)
    found = [v.upper() for v in _bracketed(body)]
    known = [_PAIR_VALUES[v] for v in found if v in _PAIR_VALUES]
    unknown = [v for v in found if v not in _PAIR_VALUES]
    if known:
        return _one(known, "verdicts")
    if unknown:
        raise ParseError(f"verdict {unknown[0]!r} is not one of [[A]], [[B]], [[C]]")
    tail = _PAIR_TAIL.search(body)
    if tail:
        return tail.group(1).upper()
    if re.fullmatch(r"\(?\s*([AB])\s*\)?\.?", body, re.I):
        return body.strip("(). ").upper()
    raise ParseError("no verdict found (expected [[A]], [[B]] or [[C]])")


# -- pointwise: Rating: [[7]] (1-10) ------------------------------------------------------------------------
_RATING_TAIL = re.compile(r"(?:rating|score)\s*[:=]?\s*\**(\d+(?:\.\d+)?)\**\s*(?:/\s*10|out of 10)?\s*\.?\s*$", re.I)


def _bracketed_or_tail(body: str, tail: re.Pattern[str], what: str, missing: str) -> str:
    """The one [[...]] value in ``body``; without any, the value ``tail`` finds at the very end."""
    found = _bracketed(body)
    if found:
        return _one(found, what)
    match = tail.search(body)
    if not match:
        raise ParseError(missing)
    return match.group(1)


@PARSERS.register("rating", description="Rating: [[N]] with N in 1-10; else one 'Rating: N' at the very end")
def parse_rating(text: str | None, n_options: int = 10, *, low: float = 1, high: float = 10) -> float:
    """Return the rating as a float in [low, high]."""
    value_text = _bracketed_or_tail(_clean(text), _RATING_TAIL, "ratings", "no rating found (expected Rating: [[N]])")
    try:
        value = float(value_text)
    except ValueError:
        raise ParseError(f"rating {value_text!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ParseError(f"rating {value_text} is outside {low:g}-{high:g}")
    return value


# -- best-of-N: [[k]] with k in 1..N ------------------------------------------------------------------------
_CHOICE_TAIL = re.compile(r"(?:best|answer|choice|verdict)\s*(?:response|answer)?\s*(?:is)?\s*[:=]?\s*\**(?:response\s*)?(\d+)\**\s*\.?\s*$", re.I)


@PARSERS.register("choice", description="[[k]] naming the best of N responses (1-based); else one 'Best: k' at the very end")
def parse_choice(text: str | None, n_options: int = 4) -> int:
    """Return the 0-based index of the chosen response."""
    value_text = _bracketed_or_tail(_clean(text), _CHOICE_TAIL, "choices",
                                    f"no choice found (expected [[1]]..[[{n_options}]])")
    if not value_text.isdigit():
        raise ParseError(f"choice {value_text!r} is not a response number")
    value = int(value_text)
    if not 1 <= value <= n_options:
        raise ParseError(f"choice {value} is outside 1-{n_options}")
    return value - 1


# -- reference-based verification: [[CORRECT]] / [[INCORRECT]] ----------------------------------------------
_VERIFY_VALUES = {"CORRECT": True, "YES": True, "INCORRECT": False, "NO": False, "WRONG": False}
_VERIFY_TAIL = re.compile(r"(?:verdict|judgement|judgment|answer)\s*[:=]\s*\**(correct|incorrect|yes|no)\**\s*\.?\s*$", re.I)


@PARSERS.register("verify", description="[[CORRECT]] or [[INCORRECT]]; else one 'Verdict: correct' at the very end")
def parse_verify(text: str | None, n_options: int = 2) -> bool:
    """Return True when the response is judged correct."""
    body = _clean(text)
    found = [v.upper() for v in _bracketed(body)]
    known = [_VERIFY_VALUES[v] for v in found if v in _VERIFY_VALUES]
    if known:
        values = set(known)
        if len(values) > 1:
            raise ParseError("conflicting verdicts: both CORRECT and INCORRECT")
        return known[0]
    if found:
        raise ParseError(f"verdict {found[0]!r} is not CORRECT or INCORRECT")
    tail = _VERIFY_TAIL.search(body)
    if tail:
        return _VERIFY_VALUES[tail.group(1).upper()]
    raise ParseError("no verdict found (expected [[CORRECT]] or [[INCORRECT]])")


# -- logprob mode: P(A) vs P(B) from the first token's top logprobs ------------------------------------------
def logprob_preference(top_logprobs: Mapping[str, float] | None, labels: tuple[str, str] = ("A", "B")) -> float:
    """P(first label) / (P(A) + P(B)) from first-token logprobs; tokens match after strip/case-fold.

    Raises:
        ParseError: no logprobs, or neither label among the top tokens.
    """
    if not top_logprobs:
        raise ParseError("the backend returned no logprobs")
    mass = dict.fromkeys(labels, 0.0)
    for token, logprob in top_logprobs.items():
        key = token.strip().strip("[]()*").upper()
        for label in labels:
            if key == label.upper():
                mass[label] += math.exp(logprob)
    total = sum(mass.values())
    if total <= 0.0:
        raise ParseError(f"neither {labels[0]!r} nor {labels[1]!r} among the top tokens {sorted(top_logprobs)[:8]}")
    return mass[labels[0]] / total
