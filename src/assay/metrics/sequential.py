"""Anytime-valid confidence sequences for the mean of scores in [0, 1], for adaptive evaluation.

A fixed-n interval (CLT, Wilson) promises 95% coverage at one n chosen in advance. Checked again after
every batch, with the run stopping the first time it looks narrow enough, it covers far less: each look
is another chance to stop on a lucky stretch. A confidence sequence holds at every n at once, so it
may be watched continuously and the run stopped whenever we like (optional stopping) without losing
coverage.

The construction is the hedged-capital betting sequence of Waudby-Smith & Ramdas ("Estimating means of
bounded random variables by betting", JRSS-B 2023), written from the paper's description. For each
candidate mean m a gambler starts with capital 1 and, before seeing each score x, stakes a fraction
lambda of it on x being above m (wealth times 1 + lambda (x - m)) and, separately, on it being below.
If m is the true mean both wealths are nonnegative martingales, so by Ville's inequality the chance
that the average of the two ever reaches 1/alpha is at most alpha. The sequence is every m whose
hedged wealth is still below 1/alpha. Stakes are "predictable plug-in": chosen from the scores seen
before the current one (a running variance estimate), never from the one being bet on, and capped so
a wealth can never reach zero.

Candidate means live on a grid; the reported interval is the hull of the grid cells not rejected, and
the running intersection over time (also valid, and never wider than before).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

ALPHA = 0.05  # 95% intervals
GRID_SIZE = 1000  # candidate means; the interval's resolution is 1 / GRID_SIZE
TRUNCATION = 0.5  # a bet never risks more than this fraction of the capital
METHOD = "hedged betting confidence sequence (Waudby-Smith & Ramdas 2023)"


def _grid(size: int) -> np.ndarray:
    return (np.arange(size, dtype=np.float64) + 0.5) / size


def _stake(n_seen: int | np.ndarray, sq_dev: float | np.ndarray, alpha: float) -> np.ndarray:
    """The plug-in bet size for observation n_seen + 1, from the variance of the ones before it."""
    t = np.asarray(n_seen, dtype=np.float64) + 1.0
    variance = (0.25 + np.asarray(sq_dev, dtype=np.float64)) / t
    return np.sqrt(2.0 * math.log(2.0 / alpha) / (variance * t * np.log1p(t)))


@dataclass(frozen=True)
class BettingSequence:
    """The state of one confidence sequence after `n` scores: enough to extend it, and its interval.

    Pure: `extend` returns a new state. `lower`/`upper` are the running intersection so far."""

    alpha: float
    n: int
    total: float  # sum of the scores
    sq_dev: float  # sum of squared deviations from the running regularised mean (the stake's variance)
    log_up: np.ndarray  # log wealth betting the mean is above each grid point
    log_down: np.ndarray  # ... and below it
    lower: float = 0.0
    upper: float = 1.0

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else math.nan

    @property
    def width(self) -> float:
        return self.upper - self.lower


def start(alpha: float = ALPHA, grid_size: int = GRID_SIZE) -> BettingSequence:
    """An empty sequence: before any score the interval is all of [0, 1]."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    zeros = np.zeros(grid_size)
    return BettingSequence(alpha=alpha, n=0, total=0.0, sq_dev=0.0, log_up=zeros, log_down=zeros.copy())


def extend(state: BettingSequence, scores: Iterable[float]) -> BettingSequence:
    """The sequence after these further scores, in the order they were drawn; the interval is looked
    at once, after the last of them (the running intersection is over looks)."""
    grid = _grid(len(state.log_up))
    up_cap, down_cap = TRUNCATION / grid, TRUNCATION / (1.0 - grid)
    log_up, log_down = state.log_up.copy(), state.log_down.copy()
    n, total, sq_dev = state.n, state.total, state.sq_dev
    for x in scores:
        if not 0.0 <= x <= 1.0 or math.isnan(x):
            raise ValueError(f"a confidence sequence for [0, 1] scores got {x}")
        stake = float(_stake(n, sq_dev, state.alpha))
        log_up += np.log1p(np.minimum(stake, up_cap) * (x - grid))
        log_down += np.log1p(-np.minimum(stake, down_cap) * (x - grid))
        n, total = n + 1, total + x
        sq_dev += (x - (0.5 + total) / (n + 1)) ** 2
    low, high = (float(v) for v in _hull(log_up, log_down, state.alpha, grid))
    lower, upper = max(state.lower, low), min(state.upper, high)
    if lower > upper:  # an empty intersection (a miss, probability <= alpha): report the latest interval
        lower, upper = low, high
    return replace(
        state, n=n, total=total, sq_dev=sq_dev, log_up=log_up, log_down=log_down, lower=lower, upper=upper
    )


def _hull(
    log_up: np.ndarray, log_down: np.ndarray, alpha: float, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest grid cell (edges included) whose hedged wealth is below 1/alpha, along the
    last axis; [0, 1] where none is (only when every cell is rejected, i.e. the set is narrower than one
    cell: then the whole range is a safe answer)."""
    half = 0.5 / len(grid)
    hedged = np.logaddexp(log_up, log_down) + math.log(0.5)  # log of the average of the two wealths
    keep = hedged < math.log(1.0 / alpha)
    any_kept = keep.any(axis=-1)
    first = np.argmax(keep, axis=-1)
    last = keep.shape[-1] - 1 - np.argmax(keep[..., ::-1], axis=-1)
    low = np.where(any_kept, np.maximum(grid[first] - half, 0.0), 0.0)
    high = np.where(any_kept, np.minimum(grid[last] + half, 1.0), 1.0)
    return low, high


def confidence_sequence(scores: Iterable[float], alpha: float = ALPHA) -> tuple[float, float]:
    """The running-intersection interval after all the scores (a convenience over start/extend)."""
    state = extend(start(alpha), scores)
    return state.lower, state.upper


def interval_paths(
    scores: np.ndarray, alpha: float = ALPHA, *, check_every: int = 1, grid_size: int = GRID_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Many sequences at once, for simulation: `scores` is (runs, steps). The interval is looked at
    after every `check_every` scores (and after the last), as an adaptive run checks after each batch;
    returns the running-intersection lower and upper bounds after every step, each (runs, steps),
    carried forward between looks. Equal to `extend` called with batches of `check_every` scores."""
    runs, steps = scores.shape
    grid = _grid(grid_size)
    up_cap, down_cap = TRUNCATION / grid, TRUNCATION / (1.0 - grid)
    log_up, log_down = np.zeros((runs, grid_size)), np.zeros((runs, grid_size))
    total, sq_dev = np.zeros(runs), np.zeros(runs)
    lower, upper = np.zeros((runs, steps)), np.ones((runs, steps))
    low_run, high_run = np.zeros(runs), np.ones(runs)
    for t in range(steps):
        x = scores[:, t]
        stake = _stake(t, sq_dev, alpha)[:, None]
        log_up += np.log1p(np.minimum(stake, up_cap) * (x[:, None] - grid))
        log_down += np.log1p(-np.minimum(stake, down_cap) * (x[:, None] - grid))
        total += x
        sq_dev += (x - (0.5 + total) / (t + 2)) ** 2
        if (t + 1) % check_every == 0 or t == steps - 1:
            low, high = _hull(log_up, log_down, alpha, grid)
            new_low, new_high = np.maximum(low_run, low), np.minimum(high_run, high)
            empty = new_low > new_high
            low_run, high_run = np.where(empty, low, new_low), np.where(empty, high, new_high)
        lower[:, t], upper[:, t] = low_run, high_run
    return lower, upper
