"""Synthetic arenas: battles drawn from known strengths, for tests, benchmarks and sanity checks."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from assay.rank.battles import A_WINS, B_WINS, TIE, BattleArrays


def simulate_battles(
    strengths: np.ndarray,
    n_battles: int,
    *,
    tie_rate: float = 0.25,
    seed: int = 0,
    consistent_ties: bool = False,
) -> BattleArrays:
    """Uniformly random pairs in random seats; outcomes from natural-unit `strengths`.

    Default: a tie with probability `tie_rate` regardless of the pair, otherwise a BT win/loss (the
    arena's look). With `consistent_ties`, ties are drawn so that a's expected score (tie = 0.5) is
    exactly sigmoid(s_a - s_b): the BT-with-half-ties model holds and its MLE recovers `strengths`.
    """
    k = len(strengths)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, k, n_battles)
    b = (a + rng.integers(1, k, n_battles)) % k  # never a itself; uniform over the others
    p = expit(strengths[a] - strengths[b])
    if consistent_ties:
        # tie probability t <= 2 min(p, 1-p) * tie_rate keeps the decisive win chance in [0, 1]
        tie_p = 2.0 * tie_rate * np.minimum(p, 1.0 - p)
        win_p = (p - tie_p / 2) / (1.0 - tie_p)
    else:
        tie_p, win_p = np.full(n_battles, tie_rate), p
    tie = rng.random(n_battles) < tie_p
    a_wins = rng.random(n_battles) < win_p
    outcome = np.where(tie, TIE, np.where(a_wins, A_WINS, B_WINS)).astype(np.int8)
    models = tuple(f"model-{i:03d}" for i in range(k))
    return BattleArrays(models, a.astype(np.int32), b.astype(np.int32), outcome)


def battles_to_labels(battles: BattleArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BattleArrays -> (model_a names, model_b names, winner labels) as object arrays."""
    names = np.array(battles.models, dtype=object)
    labels = np.array(["model_b", "tie", "model_a"], dtype=object)
    return names[battles.model_a], names[battles.model_b], labels[battles.outcome]
