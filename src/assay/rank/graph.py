"""Is a set of battles ratable? Connectivity of the comparison graph and existence of the BT maximum."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from assay.rank.battles import PairCounts
from assay.rank.errors import DisconnectedComparisonError, RatingError

_MAX_NAMES = 8  # models named per group in a message


def comparison_components(pairs: PairCounts) -> list[list[str]]:
    """Groups of models linked by battles (largest first); one group means all share a scale."""
    n_groups, labels = connected_components(csr_array(pairs.games() > 0), directed=False)
    groups = [[pairs.models[i] for i in np.flatnonzero(labels == g)] for g in range(n_groups)]
    return sorted(groups, key=lambda g: (-len(g), g))


def is_strongly_connected(wins: np.ndarray) -> bool:
    """True when every model has beaten (or tied) its way to every other: the BT maximum is finite."""
    n_groups, _ = connected_components(csr_array(wins > 0), directed=True, connection="strong")
    return bool(n_groups == 1)


def check_ratable(pairs: PairCounts, *, prior: float = 0.0) -> None:
    """Raise a one-line RatingError when Bradley-Terry ratings of these counts would be undefined."""
    if not pairs.counts.any():
        raise RatingError("no battles to rate")
    per_model = pairs.battles_per_model()
    idle = [m for m, n in zip(pairs.models, per_model, strict=True) if n == 0]
    if idle:
        raise RatingError(
            f"{_names(idle)} {'has' if len(idle) == 1 else 'have'} no battles; drop it or add battles"
        )
    groups = comparison_components(pairs)
    if len(groups) > 1:
        listed = " | ".join(_names(g) for g in groups)
        raise DisconnectedComparisonError(
            f"the comparison graph is disconnected: {len(groups)} groups of models never met each other "
            f"({listed}); rate each group separately or add battles between them",
            groups,
        )
    if prior == 0 and not is_strongly_connected(pairs.wins()):
        raise RatingError(_unbounded_message(pairs))


def _unbounded_message(pairs: PairCounts) -> str:
    wins = pairs.wins()
    n_groups, labels = connected_components(csr_array(wins > 0), directed=True, connection="strong")
    groups = [labels == g for g in range(n_groups)]
    # Name an unbeaten group first (the usual case: a model with a handful of wins and no losses).
    for verb in ("won", "lost"):
        for inside in groups:
            beaten_by = wins[np.ix_(~inside, inside)] if verb == "won" else wins[np.ix_(inside, ~inside)]
            if beaten_by.sum() == 0:
                names = [pairs.models[i] for i in np.flatnonzero(inside)]
                who = f"model {names[0]!r}" if len(names) == 1 else f"the group {_names(names)}"
                return (
                    f"{who} {verb} every battle against the other models, so its Bradley-Terry "
                    "rating is unbounded; add battles, drop it, or use a prior"
                )
    return "the Bradley-Terry ratings are unbounded; add battles or use a prior"  # pragma: no cover


def _names(models: list[str]) -> str:
    shown = ", ".join(models[:_MAX_NAMES])
    more = f" and {len(models) - _MAX_NAMES} more" if len(models) > _MAX_NAMES else ""
    return f"{{{shown}{more}}}" if len(models) > 1 else repr(models[0])
