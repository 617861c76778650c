"""Bradley-Terry fit, bootstrap and sandwich intervals, ranks and matrices."""

import math

import numpy as np
import pytest

from assay.rank import (
    ELO_PER_NATURAL,
    Anchor,
    BattleArrays,
    aggregate_battles,
    battle_count_matrix,
    bootstrap_bradley_terry,
    bradley_terry_table,
    empirical_win_fraction,
    encode_battles,
    fit_bradley_terry,
    pair_counts_from_battles,
    predicted_win_probability,
    ranks_from_intervals,
    sandwich_covariance,
    sandwich_intervals,
)
from assay.rank.simulate import battles_to_labels, simulate_battles

GAP_3_TO_1 = 400 * math.log10(3)  # Elo gap at which the stronger model scores 3 of 4


def pairs_of(rows):
    a, b, w = zip(*rows, strict=True) if rows else ((), (), ())
    return pair_counts_from_battles(a, b, w)


# -- hand-computed fits ----------------------------------------------------------------------------
def test_two_models_three_to_one():
    pairs = pairs_of([("A", "B", "model_a")] * 2 + [("B", "A", "model_b"), ("B", "A", "model_a")])
    fit = fit_bradley_terry(pairs)
    assert fit.ratings.tolist() == pytest.approx([1000 + GAP_3_TO_1 / 2, 1000 - GAP_3_TO_1 / 2], abs=1e-6)


def test_ties_are_half_a_win_each_way():
    # 2 wins + 2 ties = a score of 3 out of 4: the same gap as 3 wins and 1 loss
    pairs = pairs_of([("A", "B", "model_a")] * 2 + [("A", "B", "tie"), ("B", "A", "tie (bothbad)")])
    fit = fit_bradley_terry(pairs, anchor=Anchor("B", 1114.0))
    assert fit.ratings.tolist() == pytest.approx([1114 + GAP_3_TO_1, 1114.0], abs=1e-6)


def test_three_models_by_hand():
    # A-B: A scores 3/4; B-C: B scores 3/4; A-C never met. The MLE reproduces both shares exactly,
    # so the gaps add up: A - C = 2 * GAP.
    rows = (
        [("A", "B", "model_a")] * 3
        + [("A", "B", "model_b")]
        + [("B", "C", "model_a")] * 3
        + [("C", "B", "model_a")]
    )
    ratings = fit_bradley_terry(pairs_of(rows)).ratings
    assert ratings.mean() == pytest.approx(1000)
    assert ratings[0] - ratings[1] == pytest.approx(GAP_3_TO_1, abs=1e-6)
    assert ratings[1] - ratings[2] == pytest.approx(GAP_3_TO_1, abs=1e-6)


def test_prior_shrinks_towards_the_mean():
    pairs = pairs_of([("A", "B", "model_a")] * 3 + [("A", "B", "model_b")])
    plain = fit_bradley_terry(pairs).ratings
    shrunk = fit_bradley_terry(pairs, prior=1.0).ratings
    assert 0 < shrunk[0] - shrunk[1] < plain[0] - plain[1]


# -- recovery of known strengths -------------------------------------------------------------------
def expected_standard_errors(strengths, n_battles):
    """Elo-scale SE per model from the Fisher information of uniform random pairs at the truth."""
    k = len(strengths)
    games_per_pair = n_battles / (k * (k - 1) / 2)
    p = 1 / (1 + np.exp(strengths[None, :] - strengths[:, None]))
    weights = games_per_pair * p * (1 - p)
    np.fill_diagonal(weights, 0)
    info = np.diag(weights.sum(axis=1)) - weights
    flat = np.full((k, k), 1 / k)
    cov = np.linalg.inv(info + flat) - flat  # covariance of mean-zero strengths
    return np.sqrt(np.diag(cov)) * ELO_PER_NATURAL


@pytest.mark.parametrize("n_battles", [4_000, 60_000])
def test_recovers_known_strengths_within_sampling_error(n_battles):
    strengths = np.linspace(-1.5, 1.5, 8)  # natural units: about 520 Elo top to bottom
    battles = simulate_battles(strengths, n_battles, tie_rate=0.3, seed=7, consistent_ties=True)
    fit = fit_bradley_terry(aggregate_battles(battles))
    truth = (strengths - strengths.mean()) * ELO_PER_NATURAL + 1000
    # 4 SE of the Bernoulli Fisher information (44-53 Elo at 4,000 battles, 11-14 at 60,000); ties
    # only make the true SE smaller. Dropping the ties instead of halving them misses by up to 14 SE.
    tolerance = 4 * expected_standard_errors(strengths, n_battles)
    assert np.all(np.abs(fit.ratings - truth) < tolerance), (fit.ratings - truth, tolerance)


def test_intervals_cover_the_truth_and_agree_with_each_other():
    strengths = np.linspace(-1.0, 1.0, 6)
    battles = simulate_battles(strengths, 30_000, tie_rate=0.25, seed=11, consistent_ties=True)
    pairs = aggregate_battles(battles)
    fit = fit_bradley_terry(pairs)
    boot = bootstrap_bradley_terry(pairs, rounds=200, seed=3, fit=fit)
    sandwich = sandwich_intervals(pairs, fit)
    truth = (strengths - strengths.mean()) * ELO_PER_NATURAL + 1000
    # 95% intervals: of 6 models at most 2 may miss (P(>2 misses) < 0.3%)
    assert np.sum((truth < boot.interval.lower) | (truth > boot.interval.upper)) <= 2
    assert np.sum((truth < sandwich.lower) | (truth > sandwich.upper)) <= 2
    boot_width = boot.interval.upper - boot.interval.lower
    sandwich_width = sandwich.upper - sandwich.lower
    # both estimate the same sampling spread; 200 rounds pin a quantile width to ~10%
    assert np.all(np.abs(sandwich_width / boot_width - 1) < 0.25), sandwich_width / boot_width
    assert np.all((boot.interval.lower < fit.ratings) & (fit.ratings < boot.interval.upper))


# -- invariances -----------------------------------------------------------------------------------
def arena(seed=5, n=5_000):
    battles = simulate_battles(np.array([0.8, 0.3, 0.0, -0.4, -0.9]), n, tie_rate=0.25, seed=seed)
    return battles_to_labels(battles)


def test_shuffling_battles_changes_nothing():
    a, b, w = arena()
    order = np.random.default_rng(0).permutation(len(a))
    one, two = pair_counts_from_battles(a, b, w), pair_counts_from_battles(a[order], b[order], w[order])
    np.testing.assert_array_equal(one.counts, two.counts)
    np.testing.assert_array_equal(
        bootstrap_bradley_terry(one, rounds=20).samples, bootstrap_bradley_terry(two, rounds=20).samples
    )


def test_swapping_seats_with_flipped_outcomes_changes_nothing():
    a, b, w = arena()
    flipped = np.array([{"model_a": "model_b", "model_b": "model_a"}.get(x, x) for x in w], dtype=object)
    one, two = pair_counts_from_battles(a, b, w), pair_counts_from_battles(b, a, flipped)
    fit_one, fit_two = fit_bradley_terry(one), fit_bradley_terry(two)
    np.testing.assert_allclose(fit_one.ratings, fit_two.ratings, atol=1e-9)
    np.testing.assert_allclose(
        sandwich_covariance(one, fit_one), sandwich_covariance(two, fit_two), atol=1e-9
    )
    np.testing.assert_array_equal(empirical_win_fraction(one), empirical_win_fraction(two))
    # the bootstrap resamples other cells, so its bounds agree only up to Monte Carlo noise
    boot_one, boot_two = bootstrap_bradley_terry(one, rounds=200), bootstrap_bradley_terry(two, rounds=200)
    width = boot_one.interval.upper - boot_one.interval.lower
    assert np.all(np.abs(boot_one.interval.lower - boot_two.interval.lower) < 0.25 * width)


def test_model_order_does_not_change_ratings():
    a, b, w = arena()
    sorted_fit = fit_bradley_terry(pair_counts_from_battles(a, b, w))
    names = list(sorted_fit.models)[::-1]
    reversed_fit = fit_bradley_terry(pair_counts_from_battles(a, b, w, models=names))
    np.testing.assert_allclose(sorted_fit.ratings, reversed_fit.ratings[::-1], atol=1e-9)


# -- intervals, ranks, tables ----------------------------------------------------------------------
def test_sandwich_by_hand_for_two_models():
    # 30 wins, 10 losses: p = 0.75, Var(d) = 1 / (40 * 0.1875); with the mean anchored each rating
    # moves by d / 2.
    decisive = pairs_of([("A", "B", "model_a")] * 30 + [("A", "B", "model_b")] * 10)
    se = (ELO_PER_NATURAL / 2) / math.sqrt(40 * 0.75 * 0.25)
    interval = sandwich_intervals(decisive, fit_bradley_terry(decisive))
    assert (interval.upper - interval.lower).tolist() == pytest.approx([2 * 1.959964 * se] * 2, rel=1e-5)
    # 20 wins, 20 ties: the same p, but the outcome varies less: meat 40 * 0.25^2 = 2.5 against
    # bread 7.5, so Var(d) = 2.5 / 7.5^2
    tied = pairs_of([("A", "B", "model_a")] * 20 + [("A", "B", "tie")] * 20)
    se_tied = (ELO_PER_NATURAL / 2) * math.sqrt(2.5) / 7.5
    interval = sandwich_intervals(tied, fit_bradley_terry(tied))
    assert (interval.upper - interval.lower).tolist() == pytest.approx([2 * 1.959964 * se_tied] * 2, rel=1e-5)


def test_anchored_model_has_no_width_and_others_measure_against_it():
    pairs = aggregate_battles(simulate_battles(np.array([0.5, 0.0, -0.5]), 3_000, seed=2))
    fit = fit_bradley_terry(pairs, anchor=Anchor("model-001", 1200.0))
    assert fit.ratings[1] == pytest.approx(1200.0)
    interval = sandwich_intervals(pairs, fit)
    assert interval.lower[1] == pytest.approx(1200.0) and interval.upper[1] == pytest.approx(1200.0)
    boot = bootstrap_bradley_terry(pairs, rounds=30, anchor=fit.anchor)
    assert boot.interval.lower[1] == pytest.approx(1200.0) and boot.interval.upper[1] == pytest.approx(1200.0)
    assert np.all(boot.interval.upper[[0, 2]] > boot.interval.lower[[0, 2]])


def test_bootstrap_is_seeded():
    pairs = aggregate_battles(simulate_battles(np.array([0.5, 0.0, -0.5]), 3_000, seed=2))
    first = bootstrap_bradley_terry(pairs, rounds=10, seed=4).samples
    np.testing.assert_array_equal(first, bootstrap_bradley_terry(pairs, rounds=10, seed=4).samples)
    assert not np.array_equal(first, bootstrap_bradley_terry(pairs, rounds=10, seed=5).samples)


def test_ranks_by_interval_overlap():
    lower = np.array([1100.0, 1090.0, 1000.0, 900.0])
    upper = np.array([1150.0, 1120.0, 1095.0, 980.0])
    # model 2's upper 1095 < model 0's lower 1100 -> rank 2; model 1 overlaps everyone above it
    assert ranks_from_intervals(lower, upper).tolist() == [1, 1, 2, 4]


def test_table_is_sorted_finite_and_serialisable():
    a, b, w = arena()
    table = bradley_terry_table(pair_counts_from_battles(a, b, w), ci="sandwich")
    ratings = [row.rating for row in table.rows]
    assert ratings == sorted(ratings, reverse=True)
    assert table.rows[0].model == "model-000" and table.rows[0].rank == 1
    assert sum(row.battles for row in table.rows) == 2 * len(a)
    data = table.to_dict()
    assert data["interval"] == "sandwich" and len(data["ratings"]) == 5
    assert all(math.isfinite(r["lower"]) and math.isfinite(r["upper"]) for r in data["ratings"])


# -- matrices --------------------------------------------------------------------------------------
def test_matrices_by_hand():
    pairs = pairs_of(
        [
            ("A", "B", "model_a"),
            ("B", "A", "model_a"),
            ("A", "B", "tie"),
            ("A", "B", "model_a"),
            ("B", "C", "tie"),
        ]
    )
    assert battle_count_matrix(pairs).tolist() == [[0, 4, 0], [4, 0, 1], [0, 1, 0]]
    frac = empirical_win_fraction(pairs)
    # A-B decisive: A won 2 (as model_a), B won 1 (as model_a); ties left out; B-C only a tie
    assert frac[0, 1] == pytest.approx(2 / 3) and frac[1, 0] == pytest.approx(1 / 3)
    assert np.isnan(frac[1, 2]) and np.isnan(frac[0, 2])
    predicted = predicted_win_probability(np.array([1400.0, 1000.0]))
    assert predicted[0, 1] == pytest.approx(10 / 11) and predicted[1, 0] == pytest.approx(1 / 11)
    assert predicted[0, 0] == pytest.approx(0.5)


def test_encoding_keeps_the_given_model_order():
    battles = encode_battles(["x", "y"], ["y", "z"], ["model_a", "tie"], models=["z", "y", "x"])
    assert isinstance(battles, BattleArrays)
    assert battles.models == ("z", "y", "x")
    assert battles.model_a.tolist() == [2, 1] and battles.model_b.tolist() == [1, 0]
    assert battles.outcome.tolist() == [2, 1]
