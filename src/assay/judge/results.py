"""What a judge run gives back: typed, with the run id of its model calls and a `to_json` for machines."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.core.spec import RunSummary
from assay.judge.position import PositionStats
from assay.judge.run import CandidateRanking
from assay.judge.types import Grade, ModelGrade, PairwiseJudgement

if TYPE_CHECKING:
    import pandas as pd

    from assay.rank.table import RatingTable


@dataclass(frozen=True)
class JudgeCalls:
    """Where a judge's model calls went: the run in the store (None for a model-free judge) and its
    counts (planned calls, answered from the store, sent to the model, failed after retries)."""

    run_id: str | None = None
    summary: RunSummary | None = None


@dataclass(frozen=True)
class JudgePairwiseResult:
    """Every pair judged in both orders, the judge's biases, the battles and their Bradley-Terry table.

    `leaderboard` is None when the battles cannot be rated (`rating_error` says why); the verdicts
    are kept all the same (stored as battles, written to `out`)."""

    judge: str
    identity: dict[str, Any]
    judgements: tuple[PairwiseJudgement, ...]
    position: tuple[PositionStats, ...]
    battles: pd.DataFrame = field(compare=False, repr=False)
    source: str  # the battles' source in the store: judge:<judge name>
    battles_stored: int  # battles new to the store (0 when storing was off)
    leaderboard: RatingTable | None
    rating_error: str | None = None
    out: Path | None = None
    calls: JudgeCalls = field(default_factory=JudgeCalls)

    @property
    def errors(self) -> int:
        """Pairs with no winner: a failed request or an unreadable verdict in either order."""
        return sum(j.winner is None for j in self.judgements)

    @property
    def run_id(self) -> str | None:
        return self.calls.run_id

    def to_json(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "identity": self.identity,
            "pairs": len(self.judgements),
            "errors": self.errors,
            "battles_stored": self.battles_stored,
            "position": [asdict(s) for s in self.position],
            "leaderboard": self.leaderboard.to_dict() if self.leaderboard is not None else None,
        }


@dataclass(frozen=True)
class JudgeGradeResult:
    """A 1-10 grade per answer and turn, and the mean per model."""

    judge: str
    grades: tuple[Grade, ...]
    models: tuple[ModelGrade, ...]  # best mean rating first
    out: Path | None = None
    calls: JudgeCalls = field(default_factory=JudgeCalls)

    @property
    def run_id(self) -> str | None:
        return self.calls.run_id

    def to_json(self) -> dict[str, Any]:
        return {"judge": self.judge, "models": [asdict(m) for m in self.models]}


@dataclass(frozen=True)
class JudgeRankResult:
    """PairS: each question's answers best first, with what each ranking cost."""

    judge: str
    rankings: tuple[CandidateRanking, ...]
    calls: JudgeCalls = field(default_factory=JudgeCalls)

    @property
    def run_id(self) -> str | None:
        return self.calls.run_id

    def to_json(self) -> dict[str, Any]:
        return {"judge": self.judge, "rankings": [asdict(r) for r in self.rankings]}
