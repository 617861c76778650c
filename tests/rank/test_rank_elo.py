"""Online Elo against hand-computed games; bootstrap Elo shape, seeding and ordering."""

import numpy as np
import pytest

from assay.rank import EloParams, RatingError, bootstrap_elo, encode_battles, online_elo


def test_three_games_by_hand():
    battles = encode_battles(["A", "B", "A"], ["B", "A", "B"], ["model_a", "model_a", "tie"])
    ratings = online_elo(battles, EloParams(k=32))
    # game 1: equal ratings, expected 0.5 -> A +16, B -16: A 1016, B 984
    # game 2: B (984) beats A (1016): E_B = 1 / (1 + 10^(32/400)) = 0.454078 -> +17.4695
    #         A 998.5305, B 1001.4695
    # game 3: tie, E_A = 1 / (1 + 10^(2.939/400)) = 0.495770 -> A +0.13536
    assert ratings.tolist() == pytest.approx([998.6659, 1001.3341], abs=1e-3)


def test_elo_is_zero_sum_and_order_dependent():
    battles = encode_battles(["A", "A", "B"], ["B", "C", "C"], ["model_a", "model_b", "tie"])
    ratings = online_elo(battles, EloParams(k=16, initial=1500))
    assert ratings.sum() == pytest.approx(3 * 1500)
    reordered = encode_battles(["B", "A", "A"], ["C", "C", "B"], ["tie", "model_b", "model_a"])
    assert not np.allclose(online_elo(reordered, EloParams(k=16, initial=1500)), ratings)


def test_bootstrap_elo_is_seeded_and_brackets_the_ratings():
    rng = np.random.default_rng(3)
    a = rng.choice(["A", "B", "C"], 600)
    b = np.where(a == "A", "B", np.where(a == "B", "C", "A"))
    # A wins every battle it is in (as model_a against B, as model_b against C); B vs C is random
    winner = np.where(
        a == "A", "model_a", np.where(a == "C", "model_b", rng.choice(["model_a", "model_b", "tie"], 600))
    )
    battles = encode_battles(a, b, winner)
    samples, interval = bootstrap_elo(battles, rounds=20, seed=1)
    again, _ = bootstrap_elo(battles, rounds=20, seed=1)
    assert samples.shape == (20, 3)
    np.testing.assert_array_equal(samples, again)
    assert np.all(interval.lower <= interval.upper)
    assert samples[:, 0].min() > samples[:, 1:].max()  # A is on top in every round


def test_bad_elo_parameters():
    battles = encode_battles(["A"], ["B"], ["tie"])
    with pytest.raises(RatingError, match="k > 0"):
        online_elo(battles, EloParams(k=0))
    with pytest.raises(RatingError, match="no battles"):
        online_elo(encode_battles([], [], []))
