"""Terminal output of `assay judge` commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from assay.api import CandidateRanking, ModelGrade, PositionStats
from assay.cli.options import console

__all__ = ["console", "print_agreement", "print_grades", "print_rankings", "print_ratings", "print_stats"]


def print_stats(stats: Sequence[PositionStats]) -> None:
    view = Table(title="judge position and length bias")
    for column in (
        "judge",
        "pairs",
        "errors",
        "first-position wins",
        "consistency",
        "ties",
        "longer answer wins",
    ):
        view.add_column(column, justify="left" if column == "judge" else "right")
    for s in stats:
        cells = [s.first_position_win_rate, s.consistency, s.tie_rate, s.longer_answer_win_rate]
        view.add_row(
            Text(s.judge), str(s.pairs), str(s.errors), *("-" if c is None else f"{c:.1%}" for c in cells)
        )
    console.print(view)


def print_ratings(table: Any, title: str) -> None:
    view = Table(title=title)
    for column in ("rank", "model", "rating", f"{table.level:.0%} CI", "battles"):
        view.add_column(column, justify="left" if column == "model" else "right")
    for row in table.rows:
        interval = "-" if table.interval == "none" else f"{row.lower:.0f} – {row.upper:.0f}"
        view.add_row(str(row.rank), Text(row.model), f"{row.rating:.1f}", interval, str(row.battles))
    console.print(view)
    for note in table.notes:
        console.print(f"[dim]note: {note}[/dim]")


def print_grades(judge_name: str, rows: Sequence[ModelGrade]) -> None:
    view = Table(title=f"judge {judge_name} — mean rating (1-10)")
    for column in ("model", "mean rating", "graded", "errors"):
        view.add_column(column, justify="left" if column == "model" else "right")
    for r in rows:
        mean = "-" if r.mean_rating is None else f"{r.mean_rating:.2f}"
        view.add_row(Text(r.model), mean, str(r.graded), str(r.errors))
    console.print(view)


def print_rankings(rankings: Sequence[CandidateRanking]) -> None:
    for r in rankings:
        n = len(r.order)
        console.print(f"[bold]{r.question_id}[/bold]: {' > '.join(r.order)}")
        console.print(
            f"  PairS-{r.method} from {r.source}: {r.comparisons} of {n * (n - 1) // 2} pairs, "
            f"{r.judge_calls} judge calls" + (f", {r.errors} unreadable verdicts" if r.errors else "")
        )


def print_agreement(name: str, report: dict[str, Any]) -> None:
    view = Table(title=f"agreement of judge {name} with {report['human_votes']} human votes")
    for column in (
        "turn",
        "judge-human w/ ties",
        "judge-human w/o ties",
        "human-human w/ ties",
        "human-human w/o ties",
    ):
        view.add_column(column, justify="right")
    for row in report["rows"]:
        view.add_row(
            str(row["turn"]),
            *(
                _share(row[k])
                for k in (
                    "judge_human_with_ties",
                    "judge_human_without_ties",
                    "human_human_with_ties",
                    "human_human_without_ties",
                )
            ),
        )
    console.print(view)


def _share(cell: dict[str, Any]) -> str:
    return "-" if cell["rate"] is None else f"{cell['rate']:.1%} ({cell['agree']}/{cell['total']})"
