"""Position swap accounting, bias statistics and agreement with humans, checked by hand."""

import pytest

from assay.core.errors import DatasetError
from assay.judge.agreement import (
    Vote,
    agreement_report,
    human_human_agreement,
    judge_human_agreement,
    vote_from_record,
)
from assay.judge.position import combine_orders, position_stats
from assay.judge.types import OrderedJudgement, PairwiseJudgement


def ordered(first, second, verdict, error=None):
    return OrderedJudgement(first, second, verdict, "marker" if verdict else "none", "", error)


@pytest.mark.parametrize(
    ("forward", "backward", "winner", "consistent"),
    [
        ("A", "B", "model_a", True),  # x wins shown first, x wins shown second
        ("B", "A", "model_b", True),
        ("tie", "tie", "tie", True),
        ("A", "A", "tie", False),  # the first position always wins: inconsistent
        ("B", "B", "tie", False),
        ("A", "tie", "tie", False),
        ("tie", "A", "tie", False),
    ],
)
def test_combine_orders(forward, backward, winner, consistent):
    got = combine_orders(ordered("x", "y", forward), ordered("y", "x", backward))
    assert got == (winner, consistent, None)


def test_an_unreadable_order_is_an_error_not_a_tie():
    winner, consistent, error = combine_orders(ordered("x", "y", "A"), ordered("y", "x", None, "no marker"))
    assert winner is None and consistent is None and error == "no marker"


def test_without_swap_one_order_decides():
    assert combine_orders(ordered("x", "y", "B"), None) == ("model_b", None, None)


def judged(judge, fwd, bwd, len_a=10, len_b=20, qid="q"):
    f, b = ordered("x", "y", fwd), ordered("y", "x", bwd)
    winner, consistent, error = combine_orders(f, b)
    return PairwiseJudgement(qid, "x", "y", 1, judge, f, b, winner, consistent, error, len_a, len_b)


def test_position_stats_by_hand():
    items = [
        judged("j", "A", "A"),  # inconsistent: both first-position wins -> tie
        judged("j", "A", "B"),  # x wins consistently; x is shorter (10 < 20)
        judged("j", "B", "A"),  # y wins consistently; y is longer
        judged("j", "B", "A", len_a=30),  # y wins; y is shorter now
        judged("j", None, "A"),  # error
        judged("k", "tie", "tie"),
    ]
    j, k = position_stats(items)
    assert (j.judge, j.pairs, j.errors, j.ordered_verdicts) == ("j", 5, 1, 9)
    # ordered decisive verdicts: A,A | A,B | B,A | B,A | A  -> first position won 6 of 9
    assert j.first_position_win_rate == pytest.approx(6 / 9)
    assert j.consistency == pytest.approx(3 / 4)
    assert j.tie_rate == pytest.approx(1 / 4)
    # decisive combined: x (shorter), y (longer), y (shorter) -> longer won 1 of 3
    assert j.longer_answer_win_rate == pytest.approx(1 / 3)
    assert (k.first_position_win_rate, k.consistency, k.tie_rate, k.longer_answer_win_rate) == (
        None,
        1.0,
        1.0,
        None,
    )


def vote(qid, a, b, winner, judge, turn=1):
    return Vote(qid, a, b, winner, judge, turn)


HUMANS = [
    vote("1", "m1", "m2", "model_a", "expert_1"),
    vote("1", "m2", "m1", "model_b", "expert_2"),  # the same preference, models the other way round
    vote("1", "m1", "m2", "tie", "expert_3"),
    vote("2", "m1", "m2", "model_b", "expert_1"),
    vote("2", "m1", "m2", "model_b", "expert_1"),  # the same person twice: not human-human agreement
    vote("3", "m1", "m2", "model_a", "expert_1", turn=2),
]
JUDGE = [
    vote("1", "m2", "m1", "model_b", "gpt"),  # = m1 wins
    vote("2", "m1", "m2", "model_a", "gpt"),
    vote("3", "m1", "m2", "tie", "gpt", turn=2),
    vote("9", "m1", "m2", "model_a", "gpt"),  # no human voted on it
]


def test_judge_human_agreement_by_hand():
    # q1: agrees with expert_1 and expert_2, not with the tie; q2: disagrees twice; q3: tie vs m1
    with_ties = judge_human_agreement(JUDGE, HUMANS)
    assert (with_ties.agree, with_ties.total) == (2, 6)
    without = judge_human_agreement(JUDGE, HUMANS, with_ties=False)
    assert (without.agree, without.total) == (2, 4)
    turn2 = judge_human_agreement(JUDGE, HUMANS, turn=2)
    assert (turn2.agree, turn2.total) == (0, 1)


def test_human_human_agreement_by_hand():
    # q1: (e1,e2) agree, (e1,e3) and (e2,e3) do not; q2: the same expert twice is skipped
    both = human_human_agreement(HUMANS)
    assert (both.agree, both.total, both.rate) == (1, 3, pytest.approx(1 / 3))
    assert human_human_agreement(HUMANS, with_ties=False).total == 1


def test_report_has_turns_and_both_tie_settings():
    report = agreement_report(JUDGE, HUMANS)
    assert [r["turn"] for r in report["rows"]] == ["all", 1, 2]
    assert report["rows"][1]["judge_human_with_ties"] == {"agree": 2, "total": 5, "rate": 0.4}


def test_a_judge_voting_twice_on_a_pair_is_refused():
    with pytest.raises(DatasetError, match="voted twice"):
        judge_human_agreement([JUDGE[0], JUDGE[0]], HUMANS)


def test_fastchat_human_judgment_rows():
    row = {
        "question_id": 81,
        "model_a": "alpaca-13b",
        "model_b": "gpt-3.5-turbo",
        "winner": "tie (bothbad)",
        "judge": "expert_0",
        "turn": 2,
        "conversation_a": [],
    }
    assert vote_from_record(row) == Vote("81", "alpaca-13b", "gpt-3.5-turbo", "tie", "expert_0", 2)
    gpt4 = {**row, "winner": "model_a", "judge": ["gpt-4", "pair-v2"]}
    assert vote_from_record(gpt4).judge == "gpt-4/pair-v2"
    with pytest.raises(DatasetError, match="unknown winner 'model_c'"):
        vote_from_record({**row, "winner": "model_c"}, where="f:3")
    with pytest.raises(DatasetError, match="f:4: missing field 'model_b'"):
        vote_from_record({k: v for k, v in row.items() if k != "model_b"}, where="f:4")
