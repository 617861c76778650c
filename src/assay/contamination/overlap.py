"""`assay contamination scan`: build the items' index, stream the corpus, store what was found."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from assay.contamination.corpus import corpus_files
from assay.contamination.items import ItemIndex, ScanSettings, build_index, build_tasks
from assay.contamination.scan import Hit, Scanner, ScanTotals
from assay.store import Store
from assay.store.contamination import put_scan


@dataclass(frozen=True)
class TaskOverlap:
    """One task's items against the corpus."""

    task: str
    items: int
    checked: int  # items long enough to have an n-gram
    ngram: int  # items sharing an n-gram with the corpus
    near_duplicate: int  # items with a near-duplicate document in the corpus
    flagged: int  # items with either

    @property
    def clean(self) -> int:
        return self.items - self.flagged


@dataclass(frozen=True)
class StoredHit:
    hit: Hit
    occurrences: int


@dataclass(frozen=True)
class ScanReport:
    scan_id: str | None
    files: tuple[str, ...]
    bytes_read: int
    seconds: float
    settings: ScanSettings
    tasks: tuple[TaskOverlap, ...]
    hits: tuple[StoredHit, ...]

    @property
    def mb_per_s(self) -> float:
        return self.bytes_read / 1e6 / self.seconds if self.seconds > 0 else 0.0


def summarise(index: ItemIndex, totals: ScanTotals) -> tuple[TaskOverlap, ...]:
    out = []
    for task in index.checked:
        found = {
            k: {
                index.items[i].sample_id
                for (i, kind) in totals.first
                if kind == k and index.items[i].task == task
            }
            for k in ("ngram", "near_duplicate")
        }
        items = index.checked[task] + index.too_short[task]
        out.append(
            TaskOverlap(
                task=task,
                items=items,
                checked=index.checked[task],
                ngram=len(found["ngram"]),
                near_duplicate=len(found["near_duplicate"]),
                flagged=len(found["ngram"] | found["near_duplicate"]),
            )
        )
    return tuple(out)


def scan_corpus(
    corpus: Sequence[str | os.PathLike[str]],
    task_names: Sequence[str],
    *,
    settings: ScanSettings | None = None,
    text_field: str = "text",
    store: Store | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int = 1,
) -> ScanReport:
    """Scan the corpus for the tasks' items; with a store, record the scan and its hits there.

    `progress(file, done_bytes, file_bytes)` is called after each block."""
    settings = settings or ScanSettings()
    files = corpus_files(corpus)
    tasks = build_tasks(task_names)
    index = build_index([(t.name, t.samples()) for t in tasks], settings)
    scanner = Scanner(index)
    for path in files:
        size = path.stat().st_size
        report = (lambda done, p=str(path), s=size: progress(p, done, s)) if progress else None
        scanner.scan_files([path], text_field=text_field, progress=report, workers=workers)
    totals = scanner.totals
    hits = tuple(StoredHit(hit, totals.occurrences[key]) for key, hit in totals.first.items())
    per_task = summarise(index, totals)
    scan_id = None
    if store is not None:
        scan_id = put_scan(
            store,
            corpus=[str(f) for f in files],
            settings=asdict(settings) | {"text_field": text_field},
            summary={
                "bytes_read": totals.bytes_read,
                "seconds": round(totals.seconds, 3),
                "tasks": [asdict(t) for t in per_task],
            },
            hits=[asdict(h.hit) | {"occurrences": h.occurrences} for h in hits],
        )
    return ScanReport(
        scan_id, tuple(str(f) for f in files), totals.bytes_read, totals.seconds, settings, per_task, hits
    )
