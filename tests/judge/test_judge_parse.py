"""Verdict and rating parsing on the kinds of text judges really write."""

import logging

import pytest

from assay.judge.parse import parse_pairwise_verdict, parse_rating


@pytest.mark.parametrize(
    ("text", "verdict", "method"),
    [
        ("Assistant A answers the question directly.\n\n[[A]]", "A", "marker"),
        ("Both miss the point, but B at least tries.\nMy final verdict is: [[B]].", "B", "marker"),
        ("They are equally helpful. [[C]]", "tie", "marker"),
        ("**Final verdict:** [[ b ]]", "B", "marker"),
        ("[[Tie]]", "tie", "marker"),
        (
            "At first [[A]] seemed right, but A's arithmetic is wrong. Final verdict: [[B]]",
            "B",
            "fallback:last-marker",
        ),
        ("Final verdict: Assistant B", "B", "fallback:verdict-label"),
        ("Verdict - tie", "tie", "fallback:verdict-label"),
        ("Overall A>B.", "A", "fallback:comparison"),
        ("I think assistant B is clearly better here.", "B", "fallback:assistant-is-better"),
        ("[B]", "B", "fallback:single-brackets"),
        (" **A** ", "A", "fallback:bare-letter"),
    ],
)
def test_pairwise_verdicts(text, verdict, method):
    parsed = parse_pairwise_verdict(text)
    assert (parsed.verdict, parsed.method, parsed.error) == (verdict, method, None)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Both answers are reasonable.",
        "The answer is a good one, and b is fine too.",  # lower-case letters are words, not verdicts
        "Output [[A]] if A is better, [[B]] if B is better, [[C]] for a tie.",  # the format echoed back
        "Assistant A is better in style, but assistant B is better in accuracy.",  # two outcomes
        "Verdict: A. Actually, verdict: B.",  # two labelled outcomes
        "A>B for style, B>A for substance",
    ],
)
def test_unreadable_verdicts_are_errors_never_ties(text):
    parsed = parse_pairwise_verdict(text)
    assert parsed.verdict is None
    assert parsed.method == "none" and parsed.error


def test_fallbacks_and_failures_are_logged(caplog):
    with caplog.at_level(logging.INFO, logger="assay.judge.parse"):
        parse_pairwise_verdict("[[A]]")
        assert not caplog.records  # a clean marker is not noise
        parse_pairwise_verdict("Final verdict: A")
        parse_pairwise_verdict("no idea")
    levels = [r.levelname for r in caplog.records]
    assert levels == ["INFO", "WARNING"]
    assert "fallback" in caplog.records[0].getMessage()


@pytest.mark.parametrize(
    ("text", "rating", "method"),
    [
        ("The answer is correct and well explained.\nRating: [[9]]", 9.0, "marker"),
        ("Rating: [[7.5]]", 7.5, "marker"),
        ("[[ 3 ]]", 3.0, "marker"),
        ("Rating: [[8/10]]", 8.0, "marker"),
        ("I first thought [[4]] but on reflection Rating: [[6]]", 6.0, "fallback:last-marker"),
        ("Rating: 7", 7.0, "fallback:rating-label"),
        ("**Score:** 5/10", 5.0, "fallback:rating-label"),
        ("I would give this answer 8 out of 10.", 8.0, "fallback:out-of-ten"),
    ],
)
def test_ratings(text, rating, method):
    parsed = parse_rating(text)
    assert (parsed.rating, parsed.method, parsed.error) == (rating, method, None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Rating: [[11]]", "outside the scale"),
        ("Rating: [[0]]", "outside the scale"),
        ("Rating: [[-3]]", "outside the scale"),
        ("A solid answer overall.", "no rating marker"),
        ("Rating: 7 for content, rating: 4 for style", "no rating marker"),  # two labelled ratings
        ("[[A]]", "no rating marker"),
    ],
)
def test_bad_ratings_are_errors(text, reason):
    parsed = parse_rating(text)
    assert parsed.rating is None and reason in (parsed.error or "")


def test_rating_scale_is_configurable():
    assert parse_rating("Rating: [[4]]", low=1, high=5).rating == 4.0
    assert parse_rating("Rating: [[6]]", low=1, high=5).rating is None
