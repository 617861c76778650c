"""Battles as integer arrays, and their aggregation into counts per (model_a, model_b, outcome).

Everything downstream (Bradley-Terry, bootstrap, sandwich, matrices) works on the aggregated
counts, so its cost depends on the number of models, not the number of battles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from assay.rank.errors import RatingError

# Outcome codes: the score of model_a is code / 2 (a tie is half a win each way).
B_WINS, TIE, A_WINS = 0, 1, 2
WINNER_CODES: dict[str, int] = {"model_a": A_WINS, "model_b": B_WINS, "tie": TIE, "tie (bothbad)": TIE}
_AGGREGATE_CHUNK = 1 << 20  # battles per bincount pass: bounds the temporaries for 10M+ battles


@dataclass(frozen=True)
class BattleArrays:
    """Battles as indices into `models`: int32 model_a, int32 model_b, int8 outcome code."""

    models: tuple[str, ...]
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray

    def __len__(self) -> int:
        return len(self.outcome)


@dataclass(frozen=True)
class PairCounts:
    """`counts[a, b, o]`: battles with model a as model_a, b as model_b and outcome code o."""

    models: tuple[str, ...]
    counts: np.ndarray  # (K, K, 3) int64 (float64 when weighted)

    @property
    def n_battles(self) -> int:
        return round(float(self.counts.sum()))

    def wins(self) -> np.ndarray:
        """(K, K) float: `wins[i, j]` = wins of i over j in either seat, ties as half a win each way."""
        return wins_matrix(self.counts)

    def games(self) -> np.ndarray:
        """(K, K) int: battles between i and j in either seat (symmetric)."""
        per_pair = self.counts.sum(axis=2)
        return per_pair + per_pair.T

    def battles_per_model(self) -> np.ndarray:
        return self.games().sum(axis=1)


def wins_matrix(counts: np.ndarray) -> np.ndarray:
    """(..., K, K, 3) counts -> (..., K, K) wins of row over column, ties as half a win each way."""
    counts = counts.astype(np.float64, copy=False)
    as_a = counts[..., A_WINS] + 0.5 * counts[..., TIE]
    as_b = counts[..., B_WINS] + 0.5 * counts[..., TIE]
    return as_a + np.swapaxes(as_b, -1, -2)


def encode_battles(
    model_a: Sequence[Any] | np.ndarray | pd.Series,
    model_b: Sequence[Any] | np.ndarray | pd.Series,
    winner: Sequence[Any] | np.ndarray | pd.Series,
    *,
    models: Sequence[str] | None = None,
    invalid: Literal["raise", "drop"] = "raise",
) -> BattleArrays:
    """Names and winner labels (`model_a`, `model_b`, `tie`, `tie (bothbad)`) -> BattleArrays.

    `models` fixes the model order (default: sorted names); a name outside it is an error. Unknown
    winner labels and self-battles raise a RatingError naming the first bad row, or with
    `invalid="drop"` are left out.
    """
    a_names, b_names, labels = _as_series(model_a), _as_series(model_b), _as_series(winner)
    if not len(a_names) == len(b_names) == len(labels):
        raise RatingError(
            f"model_a, model_b and winner differ in length ({len(a_names)}, {len(b_names)}, {len(labels)})"
        )
    if models is None:
        codes, uniques = pd.factorize(pd.concat([a_names, b_names], ignore_index=True), sort=True)
        names = tuple(str(m) for m in uniques)
    else:
        names = tuple(models)
        if len(set(names)) != len(names):
            raise RatingError("the model list names a model twice")
        codes = pd.Index(names).get_indexer(pd.concat([a_names, b_names], ignore_index=True))
    n = len(labels)
    a_idx, b_idx = codes[:n].astype(np.int32), codes[n:].astype(np.int32)
    outcome = _outcome_codes(labels)

    bad = (a_idx < 0) | (b_idx < 0) | (outcome < 0) | (a_idx == b_idx)
    if bad.any():
        if invalid == "raise":
            raise RatingError(
                _describe_bad_row(
                    int(np.flatnonzero(bad)[0]), a_names, b_names, labels, a_idx, b_idx, outcome
                )
            )
        keep = ~bad
        a_idx, b_idx, outcome = a_idx[keep], b_idx[keep], outcome[keep]
    return BattleArrays(names, a_idx, b_idx, outcome)


def _as_series(values: Sequence[Any] | np.ndarray | pd.Series) -> pd.Series:
    # Keep a Series' own dtype: converting pandas' Arrow strings to objects costs more than the fit.
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    return pd.Series(np.asarray(values, dtype=object))


def _outcome_codes(labels: pd.Series) -> np.ndarray:
    # factorize first: mapping a handful of distinct labels is far cheaper than a dict per row
    label_codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    table = np.array(
        [WINNER_CODES.get(u, -1) if isinstance(u, str) else -1 for u in uniques] + [-1], dtype=np.int8
    )
    return table[label_codes]  # a missing label (code -1) picks the trailing -1


def _describe_bad_row(
    row: int,
    a_names: pd.Series,
    b_names: pd.Series,
    labels: pd.Series,
    a_idx: np.ndarray,
    b_idx: np.ndarray,
    outcome: np.ndarray,
) -> str:
    where = f"battle {row} ({a_names[row]!r} vs {b_names[row]!r})"
    if a_idx[row] < 0 or b_idx[row] < 0:
        missing = a_names[row] if a_idx[row] < 0 else b_names[row]
        return f"{where}: model {missing!r} is not in the given model list"
    if outcome[row] < 0:
        allowed = ", ".join(repr(k) for k in WINNER_CODES)
        return f"{where}: unknown winner {labels[row]!r} (expected one of {allowed})"
    return f"{where}: a model cannot battle itself"


def aggregate_battles(battles: BattleArrays, weights: np.ndarray | None = None) -> PairCounts:
    """Count identical (model_a, model_b, outcome) battles: O(battles) once, then O(K^2) per use.

    With `weights` (one per battle) the counts are weighted sums, as floats.
    """
    k = len(battles.models)
    size = k * k * 3
    counts = np.zeros(size, dtype=np.int64 if weights is None else np.float64)
    for start in range(0, len(battles), _AGGREGATE_CHUNK):
        stop = start + _AGGREGATE_CHUNK
        cell = (battles.model_a[start:stop].astype(np.int64) * k + battles.model_b[start:stop]) * 3
        cell += battles.outcome[start:stop]
        part = None if weights is None else weights[start:stop]
        counts += np.bincount(cell, weights=part, minlength=size).astype(counts.dtype, copy=False)
    return PairCounts(battles.models, counts.reshape(k, k, 3))


def pair_counts_from_battles(
    model_a: Sequence[Any] | np.ndarray | pd.Series,
    model_b: Sequence[Any] | np.ndarray | pd.Series,
    winner: Sequence[Any] | np.ndarray | pd.Series,
    *,
    models: Sequence[str] | None = None,
) -> PairCounts:
    """encode_battles + aggregate_battles in one call."""
    return aggregate_battles(encode_battles(model_a, model_b, winner, models=models))
