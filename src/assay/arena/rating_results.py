"""What an arena rating returns: one rating table per group of models (with pairwise matrices when
asked for), the battle counts and what the filters removed. `to_dict` is the published JSON."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.core.errors import ConfigError
from assay.io import write_text_atomic

if TYPE_CHECKING:  # loaded with the rating code, not with `import assay`
    import pandas as pd

    from assay.rank.table import RatingTable


@dataclass(frozen=True)
class PairwiseMatrices:
    """Pairwise views in the table's model order (best first); a pair that never had a decisive
    battle has no empirical win fraction (None)."""

    models: tuple[str, ...]
    battles: tuple[tuple[int, ...], ...]
    empirical_win_fraction: tuple[tuple[float | None, ...], ...]
    predicted_win_probability: tuple[tuple[float, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": list(self.models),
            "battles": [list(row) for row in self.battles],
            "empirical_win_fraction": [list(row) for row in self.empirical_win_fraction],
            "predicted_win_probability": [list(row) for row in self.predicted_win_probability],
        }

    def win_fraction_cells(self) -> list[dict[str, Any]]:
        """The empirical win fractions as heatmap cells {row, column, win_fraction}, known pairs only."""
        return [
            {"row": a, "column": b, "win_fraction": value}
            for i, a in enumerate(self.models)
            for j, b in enumerate(self.models)
            if i != j and (value := self.empirical_win_fraction[i][j]) is not None
        ]


@dataclass(frozen=True)
class RatedGroup:
    """The ratings of one group of models that met each other (the whole field unless rated by
    component)."""

    table: RatingTable
    matrices: PairwiseMatrices | None = None

    def to_dict(self) -> dict[str, Any]:
        out = self.table.to_dict()
        if self.matrices is not None:
            out["matrices"] = self.matrices.to_dict()
        return out


@dataclass(frozen=True)
class ArenaRatings:
    """Ratings with confidence intervals and ranks from arena battles."""

    battles: int  # rated, after the filters
    battles_read: int  # before the filters
    filters: tuple[str, ...]  # one note per filter: what it removed
    groups: tuple[RatedGroup, ...]  # one unless rated by component

    @property
    def table(self) -> RatingTable:
        """The rating table when all models are on one scale (the usual case)."""
        if len(self.groups) != 1:
            raise ValueError(f"these ratings have {len(self.groups)} groups; read .groups")
        return self.groups[0].table

    def to_dict(self) -> dict[str, Any]:
        """The published JSON: counts and filter notes, then the table (or `components`, a list of
        tables, when the models were rated per group)."""
        payload: dict[str, Any] = {
            "battles": self.battles,
            "battles_read": self.battles_read,
            "filters": list(self.filters),
        }
        tables = [group.to_dict() for group in self.groups]
        if len(tables) == 1:
            payload.update(tables[0])
        else:
            payload["components"] = tables
        return payload

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write `to_dict()` as JSON to `path` (atomically: the file appears whole or not at all)."""
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        return write_text_atomic(Path(path), text, error=ConfigError)

    def to_frame(self) -> pd.DataFrame:
        """One row per model (best first within each group): group, rank, model, rating, interval,
        battles."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "group": number,
                    "rank": row.rank,
                    "model": row.model,
                    "rating": row.rating,
                    "lower": row.lower,
                    "upper": row.upper,
                    "battles": row.battles,
                }
                for number, group in enumerate(self.groups, start=1)
                for row in group.table.rows
            ],
            columns=["group", "rank", "model", "rating", "lower", "upper", "battles"],
        )
