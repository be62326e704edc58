"""Strict verdict parsers on well-formed and adversarial judge outputs."""

from __future__ import annotations

import math

import pytest

from judgekit.judges.parsers import (
    PARSERS,
    ParseError,
    logprob_preference,
    parse_choice,
    parse_pairwise,
    parse_rating,
    parse_verify,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("Response A is more accurate.\n[[A]]", "A"),
    ("After comparing both...\n\n[[B]]", "B"),
    ("Both are equally good. [[C]]", "tie"),
    ("[[ b ]]", "B"),
    ("Final verdict: [[A]]. To repeat: [[A]]", "A"),  # the same verdict twice is one verdict
    ("<think>maybe [[B]]? no...</think> The answer is clear. [[A]]", "A"),  # drafts in <think> do not count
    ("Reasoning here.\nVerdict: B", "B"),
    ("The better response is **Response A**.", "A"),
    ("A", "A"),
    ("(B)", "B"),
])
def test_pairwise_accepts(text, expected):
    assert parse_pairwise(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"),
    (None, "empty"),
    ("   \n", "empty"),
    ("Output [[A]] if A is better or [[B]] if B is better.", "conflicting"),  # echoed instructions
    ("I think [[A]] is good but [[B]] is better", "conflicting"),
    ("[[D]]", "not one of"),
    ("[[A or B]]", "not one of"),
    ("Response A is better because it is concise, while B rambles.", "no verdict"),  # prose, no format
    ("Verdict: A. Actually, on reflection the other one is better.", "no verdict"),  # not at the very end
    ("[A]", "no verdict"),  # single brackets are not the requested format
    ("<think>[[A]]</think>", "no verdict"),  # only a draft
])
def test_pairwise_rejects(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse_pairwise(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Good answer.\nRating: [[8]]", 8.0),
    ("Rating: [[10]]", 10.0),
    ("Rating: [[1]]", 1.0),
    ("Rating: [[7.5]]", 7.5),
    ("Solid work. Rating: 6/10", 6.0),
    ("Score: 9", 9.0),
])
def test_rating_accepts(text, expected):
    assert parse_rating(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("Rating: [[11]]", "outside"),
    ("Rating: [[0]]", "outside"),
    ("Rating: [[-3]]", "outside"),
    ("Rating: [[nan]]", "outside|not a number"),
    ("Rating: [[inf]]", "outside|not a number"),
    ("Rating: [[seven]]", "not a number"),
    ("Rating: [[7]] ... on second thought Rating: [[3]]", "conflicting"),
    ("It is a 7 or maybe an 8 out of ten, hard to say.", "no rating"),
    ("Rating: 12", "outside"),
])
def test_rating_rejects(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse_rating(text)


def test_choice_is_zero_based_and_bounded():
    assert parse_choice("Response 3 is correct. [[3]]", 4) == 2
    assert parse_choice("Best: 1", 4) == 0
    with pytest.raises(ParseError, match="outside"):
        parse_choice("[[5]]", 4)
    with pytest.raises(ParseError, match="outside"):
        parse_choice("[[0]]", 4)
    with pytest.raises(ParseError, match="conflicting"):
        parse_choice("[[1]] or [[2]]", 4)
    with pytest.raises(ParseError, match="not a response number"):
        parse_choice("[[A]]", 4)


def test_verify():
    assert parse_verify("Matches the reference. [[CORRECT]]") is True
    assert parse_verify("Wrong final value.\n[[INCORRECT]]") is False
    assert parse_verify("Verdict: incorrect") is False
    with pytest.raises(ParseError, match="conflicting"):
        parse_verify("[[CORRECT]] ... [[INCORRECT]]")
    with pytest.raises(ParseError, match="not CORRECT"):
        parse_verify("[[MAYBE]]")
    with pytest.raises(ParseError, match="no verdict"):
        parse_verify("Let's solve this step by step.")  # a master-key style non-answer from the judge itself


def test_logprob_preference():
    p = logprob_preference({"A": math.log(0.6), " B": math.log(0.2), "The": math.log(0.1)})
    assert p == pytest.approx(0.75)
    # variants of the same label add up
    p = logprob_preference({"A": math.log(0.3), " A": math.log(0.1), "b": math.log(0.4)})
    assert p == pytest.approx(0.5)
    with pytest.raises(ParseError, match="neither"):
        logprob_preference({"The": -0.1, "I": -2.0})
    with pytest.raises(ParseError, match="no logprobs"):
        logprob_preference(None)


def test_registry_lists_every_parser():
    assert {"pairwise", "rating", "choice", "verify"} <= set(PARSERS.names())
    assert PARSERS.get("pairwise")("[[B]]") == "B"
