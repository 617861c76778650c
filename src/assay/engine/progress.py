"""Progress bars for long work (Rich), or silence for machines and tests."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from assay.models.throughput import TokenMeter, tokens_processed


class TokensPerSecondColumn(ProgressColumn):
    """Tokens the local models processed per second since the bar started (blank when none did,
    e.g. a remote API or a run answered from the cache)."""

    def __init__(self, meter: TokenMeter) -> None:
        super().__init__()
        self._meter = meter
        self._start_total = meter.total
        self._start_time = time.monotonic()

    def render(self, task: Task) -> Text:
        tokens = self._meter.total - self._start_total
        elapsed = time.monotonic() - self._start_time
        if tokens <= 0 or elapsed <= 0:
            return Text("")
        return Text(f"{tokens / elapsed:,.0f} tok/s", style="progress.data.speed")


class RunProgress:
    """One bar over all work units; shows cached and failed counts as it goes."""

    def __init__(self, total: int, *, enabled: bool, description: str = "evaluating") -> None:
        self.cached = 0
        self.errors = 0
        self._progress: Progress | None = None
        self._bar = None
        if enabled and total > 0:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TokensPerSecondColumn(tokens_processed),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar = self._progress.add_task(description, total=total, detail="")

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, *, cached: int = 0, error: bool = False, steps: int = 1) -> None:
        self.cached += cached
        self.errors += int(error)
        if self._progress is not None and self._bar is not None:
            detail = f"cached {self.cached}" + (f", errors {self.errors}" if self.errors else "")
            self._progress.update(self._bar, advance=steps, detail=detail)

    def show(self, *, completed: int, errors: int, extra: str = "") -> None:
        """Set the bar from counts read elsewhere (a cluster's queue): units finished, failures so far,
        and a note such as "in flight 8, workers 4"."""
        self.errors = errors
        if self._progress is not None and self._bar is not None:
            parts = [
                f"cached {self.cached}",
                *([f"errors {errors}"] if errors else []),
                *([extra] if extra else []),
            ]
            self._progress.update(self._bar, completed=completed, detail=", ".join(parts))

    def finish(self) -> None:
        """Work ended before the planned total (an adaptive run stopped early): the bar ends full."""
        if self._progress is not None and self._bar is not None:
            done = self._progress.tasks[0].completed
            self._progress.update(self._bar, total=done)
