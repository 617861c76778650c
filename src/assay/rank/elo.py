"""Online Elo (order-dependent, as arenas first published it) and its bootstrap over battle order."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from assay.rank.battles import BattleArrays
from assay.rank.errors import RatingError
from assay.rank.intervals import Interval

_BOOT_CHUNK = 4096  # battles per block of bootstrap indices: (chunk, rounds) ints, never (N, rounds)


@dataclass(frozen=True)
class EloParams:
    k: float = 4.0
    base: float = 10.0
    scale: float = 400.0
    initial: float = 1000.0

    def check(self) -> None:
        if self.k <= 0 or self.scale <= 0 or self.base <= 1:
            raise RatingError(f"Elo needs k > 0, scale > 0 and base > 1 (got {self})")


def online_elo(battles: BattleArrays, params: EloParams | None = None) -> np.ndarray:
    """Ratings (K,) after playing the battles in order; ties score 0.5."""
    params = params or EloParams()
    params.check()
    if len(battles) == 0:
        raise RatingError("no battles to rate")
    ratings = np.full(len(battles.models), params.initial)
    log_base = math.log(params.base) / params.scale
    score_a = battles.outcome.astype(np.float64) / 2.0
    # Python floats in the loop: numpy scalar arithmetic per battle is several times slower.
    r = ratings.tolist()
    for a, b, score in zip(battles.model_a.tolist(), battles.model_b.tolist(), score_a.tolist(), strict=True):
        expected = 1.0 / (1.0 + math.exp(log_base * (r[b] - r[a])))
        delta = params.k * (score - expected)
        r[a] += delta
        r[b] -= delta
    return np.array(r)


def bootstrap_elo(
    battles: BattleArrays,
    params: EloParams | None = None,
    *,
    rounds: int = 100,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[np.ndarray, Interval]:
    """Each round replays N battles drawn with replacement (in the drawn order); (rounds, K) + interval."""
    params = params or EloParams()
    params.check()
    n = len(battles)
    if n == 0:
        raise RatingError("no battles to rate")
    if rounds < 2:
        raise RatingError(f"the bootstrap needs at least 2 rounds, got {rounds}")
    rng = np.random.default_rng(seed)
    ratings = np.full((rounds, len(battles.models)), params.initial)
    log_base = math.log(params.base) / params.scale
    score_a = battles.outcome.astype(np.float64) / 2.0
    lane = np.arange(rounds)
    for start in range(0, n, _BOOT_CHUNK):
        picks = rng.integers(0, n, size=(min(_BOOT_CHUNK, n - start), rounds))
        for row in picks:  # one battle per round, all rounds at once
            a, b = battles.model_a[row], battles.model_b[row]
            expected = 1.0 / (1.0 + np.exp(log_base * (ratings[lane, b] - ratings[lane, a])))
            delta = params.k * (score_a[row] - expected)
            ratings[lane, a] += delta
            ratings[lane, b] -= delta
    tail = (1.0 - level) / 2
    lower, upper = np.quantile(ratings, [tail, 1.0 - tail], axis=0)
    return ratings, Interval(lower, upper, "bootstrap", level)
