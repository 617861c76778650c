"""Finding what each side of `assay compare` names: a run, a model within a run, or a model's newest results.

    RUN          a run id, a unique prefix of one, or "latest": the run's only model
    RUN:MODEL    one model's results in a run (split at the first colon, so MODEL may hold colons)
    MODEL        the model's newest results for each task, over the store's recent runs

A run is tried first, then RUN:MODEL, then a model name; what matches nothing is one line naming it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from assay.core.errors import AssayError, StoreError
from assay.core.results import ResultRecord, RunRecord
from assay.store import Store

RUNS_SCANNED = 200  # how far back a bare model name looks (as the leaderboard does)


@dataclass(frozen=True)
class Side:
    """One side of a comparison: what the user wrote and the results it stands for."""

    spec: str  # as written: "20261207-0545-ab12cd", "latest:alpha", "alpha"
    model: str
    runs: tuple[str, ...]  # the run ids the results come from (several for a bare model name)
    label: str = ""  # the name verdicts use (set once both sides are known)


@dataclass(frozen=True)
class SideResults:
    side: Side
    by_task: dict[str, list[ResultRecord]]  # this model's units per task
    run_of_task: dict[str, RunRecord]  # the run each task's results come from (for its headline metric)


def _run_or_none(store: Store, text: str) -> RunRecord | None:
    try:
        return store.get_run(text)
    except StoreError as exc:
        if "ambiguous" in str(exc):
            raise
        return None


def _results(store: Store, run_id: str, loaded: dict[str, list[ResultRecord]]) -> list[ResultRecord]:
    """A run's results, read once per comparison (both sides are often models of one run)."""
    if run_id not in loaded:
        loaded[run_id] = store.results(run_id)
    return loaded[run_id]


def _one_run(
    store: Store,
    run: RunRecord,
    spec: str,
    model: str | None,
    run_text: str,
    loaded: dict[str, list[ResultRecord]],
) -> SideResults:
    results = _results(store, run.id, loaded)
    models = sorted({r.model for r in results})
    if model is None:
        if len(models) != 1:
            listed = ", ".join(models) or "none"
            raise AssayError(
                f"run {run.id} has {len(models)} models ({listed}); name one as {run_text}:MODEL"
            ) from None
        model = models[0]
    elif model not in models:
        listed = ", ".join(models) or "none"
        raise AssayError(f"run {run.id} has no model {model!r} (it has: {listed})") from None
    by_task: dict[str, list[ResultRecord]] = defaultdict(list)
    for row in results:
        if row.model == model:
            by_task[row.task].append(row)
    return SideResults(Side(spec, model, (run.id,)), dict(by_task), {t: run for t in by_task})


def _newest_of_model(
    store: Store, model: str, spec: str, loaded: dict[str, list[ResultRecord]]
) -> SideResults | None:
    by_task: dict[str, list[ResultRecord]] = {}
    run_of_task: dict[str, RunRecord] = {}
    for run in store.list_runs(RUNS_SCANNED):
        if model not in run.spec.models and model not in run.plan.model_identities:
            continue  # skip reading the results of runs that never had this model
        rows: dict[str, list[ResultRecord]] = defaultdict(list)
        for row in _results(store, run.id, loaded):
            if row.model == model and row.task not in by_task:
                rows[row.task].append(row)
        for task, units in rows.items():
            by_task[task], run_of_task[task] = units, run
    if not by_task:
        return None
    runs = tuple(dict.fromkeys(r.id for r in run_of_task.values()))
    return SideResults(Side(spec, model, runs), by_task, run_of_task)


def resolve_side(
    store: Store,
    spec: str,
    *,
    by_model_name: bool = True,
    loaded: dict[str, list[ResultRecord]] | None = None,
) -> SideResults:
    """The results `spec` names (see the module docstring); one-line AssayError if nothing matches.

    `by_model_name=False` accepts RUN and RUN:MODEL only (a bare name reads up to 200 runs);
    `loaded` keeps the runs' results read so far, shared by the two sides of one comparison."""
    loaded = {} if loaded is None else loaded
    text = spec.strip()
    if not text:
        raise AssayError("an empty name: give a run id, RUN:MODEL or a model name") from None
    run = _run_or_none(store, text)
    if run is not None:
        return _one_run(store, run, text, None, text, loaded)
    head, colon, model = text.partition(":")
    if colon and head and model:
        run = _run_or_none(store, head)
        if run is not None:
            return _one_run(store, run, text, model, head, loaded)
    if not by_model_name:
        raise AssayError(f"no run {text!r} in {store.display_url}: give RUN or RUN:MODEL") from None
    found = _newest_of_model(store, text, text, loaded)
    if found is None:
        raise AssayError(
            f"{text!r} is no run id, RUN:MODEL or model name in {store.display_url} "
            "(see `assay runs` and `assay leaderboard`)"
        ) from None
    return found


def labels(a: Side, b: Side) -> tuple[str, str]:
    """Short names for verdicts: the model names when they differ, else what the user wrote."""
    if a.model != b.model:
        return a.model, b.model
    if a.spec != b.spec:
        return a.spec, b.spec
    return f"{a.spec} (A)", f"{b.spec} (B)"
