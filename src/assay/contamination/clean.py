"""Scores on the clean subset: a run's results joined with a scan's hits, beside the full score.

A sample is flagged when the scan found its item (any kind of match) under the same task name; a
sample id with a `#k` suffix (several samples per problem) is matched by the part before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from assay.core.results import ResultRecord, RunRecord
from assay.metrics import summarize
from assay.store import Store
from assay.store.contamination import get_scan, scan_hits


@dataclass(frozen=True)
class CleanRow:
    """One model x task: the headline metric on all samples and on the samples the scan did not flag."""

    model: str
    task: str
    metric: str
    full: float
    full_n: int
    clean: float
    clean_n: int
    clean_stderr: float | None
    flagged_n: int  # scored samples the scan found in the corpus

    @property
    def gap(self) -> float:
        """Full minus clean: positive when the contaminated items raise the score."""
        return self.full - self.clean


def flagged_samples(store: Store, scan_id: str) -> dict[str, set[str]]:
    """task -> ids of its items the scan found."""
    out: dict[str, set[str]] = defaultdict(set)
    for hit in scan_hits(store, scan_id):
        out[hit["task"]].add(hit["sample_id"])
    return dict(out)


def _base_id(sample_id: str) -> str:
    return sample_id.partition("#")[0]


def clean_rows(
    run: RunRecord, results: Sequence[ResultRecord], flagged: dict[str, set[str]]
) -> list[CleanRow]:
    groups: dict[tuple[str, str], list[ResultRecord]] = defaultdict(list)
    for row in results:
        if row.scores:
            groups[(row.model, row.task)].append(row)
    out = []
    for (model, task), rows in sorted(groups.items()):
        metric = run.plan.headline(task) or next(iter(rows[0].scores or {"-": 0.0}))
        marked = flagged.get(task, set())
        scored = [(r, r.scores[metric]) for r in rows if r.scores and metric in r.scores]
        clean = [v for r, v in scored if r.sample_id not in marked and _base_id(r.sample_id) not in marked]
        full, kept = summarize([v for _, v in scored]), summarize(clean)
        out.append(
            CleanRow(model, task, metric, full.mean, full.n, kept.mean, kept.n, kept.stderr, full.n - kept.n)
        )
    return out


def clean_leaderboard(
    store: Store, run_ids: Sequence[str] | None = None, scan_id: str = "latest"
) -> tuple[str, list[CleanRow]]:
    """(scan id, rows) for the given runs, else the newest run of every (model, task)."""
    scan = get_scan(store, scan_id)
    flagged = flagged_samples(store, scan["id"])
    runs = [store.get_run(r) for r in run_ids] if run_ids else store.list_runs(limit=200)
    chosen: dict[tuple[str, str], CleanRow] = {}
    for run in runs:
        for row in clean_rows(run, store.results(run.id), flagged):
            chosen.setdefault((row.model, row.task), row)
    return scan["id"], sorted(chosen.values(), key=lambda r: (r.task, r.model))
