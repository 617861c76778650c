"""Contamination and drift through the front door: corpus scans, clean-subset scores, Min-K%, drift."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.api.results import RunRef, run_id_of
from assay.api.stores import StoreLike, using_store
from assay.contamination.clean import CleanRow
from assay.contamination.clean import clean_leaderboard as _clean_leaderboard
from assay.contamination.drift import DriftReport
from assay.contamination.drift import drift as _drift
from assay.contamination.items import ScanSettings
from assay.contamination.membership import MembershipReport, run_min_k
from assay.contamination.overlap import ScanReport, scan_corpus
from assay.store.contamination import get_scan, list_scans, scan_hits


@dataclass(frozen=True)
class CleanLeaderboard:
    """Each (model, task) score on all samples and on those a corpus scan did not flag."""

    scan_id: str
    rows: tuple[CleanRow, ...]


@contextmanager
def _bytes_progress(enabled: bool) -> Iterator[Any]:
    """A Rich bar over the corpus files' bytes (compressed size), or nothing."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("[bold]scanning[/] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as progress:
        bars: dict[str, Any] = {}

        def update(path: str, done: int, total: int) -> None:
            if path not in bars:
                bars[path] = progress.add_task(Path(path).name, total=total)
            progress.update(bars[path], completed=done)

        yield update


def contamination_scan(
    corpus: Sequence[str | os.PathLike[str]],
    tasks: Sequence[str],
    *,
    ngram: int = 13,
    threshold: float = 0.5,
    text_field: str = "text",
    save: bool = True,
    workers: int | None = None,
    store: StoreLike = None,
    show_progress: bool = False,
) -> ScanReport:
    """Which items of the tasks appear in the corpus (13-gram overlap, MinHash near-duplicates), with
    the file and line/byte offset of each; stored (unless `save=False`) for `clean_leaderboard`.
    `workers`: processes scanning blocks (default: the machine's cores, at most 4)."""
    workers = workers or min(4, os.cpu_count() or 1)
    settings = ScanSettings(ngram=ngram, threshold=threshold)
    with using_store(store) as opened, _bytes_progress(show_progress) as progress:
        return scan_corpus(
            corpus,
            tasks,
            settings=settings,
            text_field=text_field,
            store=opened if save else None,
            progress=progress,
            workers=workers,
        )


def contamination_scans(limit: int = 20, *, store: StoreLike = None) -> list[dict[str, Any]]:
    """Stored scans, newest first: id, time, corpus files, settings and per-task summary."""
    with using_store(store) as opened:
        return list_scans(opened, limit)


def contamination_hits(scan: str = "latest", *, store: StoreLike = None) -> list[dict[str, Any]]:
    """The hits of a stored scan: task, sample_id, kind, source, line, offset, similarity, evidence."""
    with using_store(store) as opened:
        return scan_hits(opened, get_scan(opened, scan)["id"])


def clean_leaderboard(
    runs: Sequence[RunRef] | None = None, *, scan: str = "latest", store: StoreLike = None
) -> CleanLeaderboard:
    """The leaderboard's scores beside the same scores on the samples the scan did not flag."""
    with using_store(store) as opened:
        scan_id, rows = _clean_leaderboard(opened, [run_id_of(r) for r in runs] if runs else None, scan)
    return CleanLeaderboard(scan_id, tuple(rows))


def contamination_min_k(
    model: str,
    tasks: Sequence[str],
    *,
    reference: str | None = None,
    k: float = 0.2,
    limit: int | None = None,
    model_args: dict[str, Any] | None = None,
    store: StoreLike = None,
    show_progress: bool = False,
) -> MembershipReport:
    """Min-K% and Min-K%++ of the tasks' items against reference text written after the model's
    release (default: assay's own December 2026 paragraphs). A signal, not proof (see `.caveat`)."""
    with using_store(store) as opened:
        return run_min_k(
            opened, model, tasks, reference=reference, k=k, limit=limit,
            model_args=model_args or {}, show_progress=show_progress,
        )  # fmt: skip


def drift(model: str, *, store: StoreLike = None) -> DriftReport:
    """The runs of one model name over time: per task the paired change between consecutive runs
    (with its interval) and the samples whose answers changed."""
    with using_store(store) as opened:
        return _drift(opened, model)
