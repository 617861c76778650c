"""What `assay trends` commands share: loading the figures and checking options."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from rich.text import Text

from assay.cli.trends.views import err
from assay.trends import TrendsData, TrendsError, load_trends, sota
from assay.trends.parse import CellError, parse_date


def load(
    epoch: Path | None = None,
    catalogue: list[Path] | None = None,
    results: list[Path] | None = None,
    baselines: list[Path] | None = None,
    skip_bad_rows: bool = False,
    db: str | None = None,
    source: str | None = None,
) -> TrendsData:
    """The shipped figures (or an Epoch folder), the user's files, and own runs when --db is given."""
    own: tuple[Any, ...] = ()
    if db is not None:
        from assay.trends.runs import read_own_runs

        with open_store(db) as store:
            own = read_own_runs(store).results
    data = load_trends(
        epoch_dir=epoch,
        catalogue_files=catalogue or (),
        results_files=results or (),
        baseline_files=baselines or (),
        extra_results=own,
        skip_bad_rows=skip_bad_rows,
    )
    for problem in data.skipped:
        err.print(Text(f"skipped: {problem}"), soft_wrap=True)
    if source:
        kept = tuple(r for r in data.results if source.lower() in r.source.lower())
        if not kept:
            raise TrendsError(f"no result's citation contains --source {source!r}")
        data = TrendsData(data.catalogue, kept, data.baselines, data.skipped)
    return data


def open_store(db: str | None) -> Any:
    """The store whose runs join the figures: a plain path that does not exist is a typo, not a new
    empty store."""
    from assay.store import Store

    if db is not None and "://" not in db and not Path(db).is_file():
        what = "is a directory, not a" if Path(db).is_dir() else "does not exist: no"
        raise TrendsError(f"--db {db} {what} results store (run `assay run --db {db}` first)")
    return Store.open(db)


def check_number(value: float | None, option: str, *, low: float = 0.0) -> None:
    """A finite number at least `low` (None: not given)."""
    if value is not None and not (math.isfinite(value) and value >= low):
        raise TrendsError(f"{option} must be a number of at least {low:g}, got {value:g}")


def check_benchmarks(data: TrendsData, names: Sequence[str] | None) -> None:
    """Every benchmark named on the command line has dated results (case does not matter)."""
    for name in names or ():
        sota.require_results(data.results, name)


def parse_at(value: str | None) -> date | None:
    """The day of an --at option (None: not given)."""
    try:
        return parse_date(value, "--at")
    except CellError as exc:
        raise TrendsError(f"--at {value!r}: {exc.reason}") from None
