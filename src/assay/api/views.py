"""From stored runs to what people read: leaderboard rows, run-level metrics, sample views, flat records.

The headline metric of a task is the first metric it declares (recorded with the run when it was
planned), never whichever key a scorer happened to write first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from assay.core.registry import aggregators, perturbations
from assay.core.results import LeaderboardRow, ResultRecord, RunLevelMetric, RunRecord, SampleView
from assay.core.types import Sample, Score, sample_from_json
from assay.metrics import run_level_metrics
from assay.metrics.efficiency import Usage, efficiency_metrics, estimate_tokens, price_for
from assay.metrics.intervals import reported_interval
from assay.metrics.perturbation import is_perturbed, perturbation_metrics
from assay.metrics.reducers import reduce_by_sample
from assay.rank import mean_win_rate
from assay.rank.score_ranks import TaskScores
from assay.store import Store
from assay.tasks.perturb import get_perturbation, perturbation_of

# Metrics where lower is better; everything else is higher-is-better.
LOWER_IS_BETTER: frozenset[str] = frozenset({"brier", "ece", "latency_s"})


def headline_metric(run: RunRecord | None, task: str, rows: Sequence[ResultRecord]) -> str | None:
    """The task's declared headline; runs recorded before tasks declared one fall back to the
    first metric its scorer wrote (the order tasks used to list it in)."""
    declared = run.plan.headline(task) if run is not None else None
    if declared is not None:
        return declared
    return next((next(iter(r.scores)) for r in rows if r.scores), None)


def run_rows(results: Sequence[ResultRecord], run: RunRecord | None = None) -> list[LeaderboardRow]:
    """One row per (model, task) of a run: the headline metric's mean, standard error, n and errors."""
    groups: dict[tuple[str, str], list[ResultRecord]] = defaultdict(list)
    for row in results:
        if perturbation_of(row.sample) is None:  # perturbed copies count in robustness/fairness only
            groups[(row.model, row.task)].append(row)
    out = []
    for (model, task), rows in groups.items():
        metric = headline_metric(run, task, rows)
        scored = [r for r in rows if metric and r.scores and metric in r.scores]
        values = [r.scores[metric] for r in scored if r.scores and metric]
        clusters = [cluster_of(r.sample) for r in scored]
        if run is not None and run.spec.epochs > 1 and metric:  # repeats: one reduced score per sample
            values = reduce_by_sample(_epochs(rows, metric), run.spec.epochs_reducer)
            # reduce_by_sample keeps the order samples first appear in: so do their clusters
            first: dict[str, str | None] = {}
            for r in scored:
                first.setdefault(r.sample_id, cluster_of(r.sample))
            clusters = list(first.values())
        out.append(
            LeaderboardRow(
                model=model,
                task=task,
                metric=metric or "-",
                errors=sum(1 for r in rows if r.response is None),
                **_mean_fields(values, clusters),
            )
        )
    return out


def _epochs(rows: Sequence[ResultRecord], metric: str) -> list[tuple[str, float, str | None]]:
    return [(r.sample_id, r.scores[metric], r.extracted) for r in rows if r.scores and metric in r.scores]


def cluster_of(sample: dict[str, Any]) -> str | None:
    """The cluster a stored sample belongs to (its metadata "cluster"), if its task declared one."""
    found = dict(sample.get("metadata") or ()).get("cluster")
    return None if found is None else str(found)


def _mean_fields(values: Sequence[float], clusters: Sequence[str | None]) -> dict[str, Any]:
    """A row's mean with its standard error and interval: clustered when every sample names a cluster."""
    n = len(values)
    if n == 0:
        return {"value": math.nan, "stderr": None, "n": 0}
    if n < 2 or not all(math.isfinite(v) for v in values):
        return {"value": math.fsum(values) / n, "stderr": None, "n": n}
    named = None if any(c is None for c in clusters) else list(clusters)
    found = reported_interval(values, named)
    usable = math.isfinite(found.low) and math.isfinite(found.se)
    return {
        "value": found.mean,
        "stderr": found.se if math.isfinite(found.se) else None,
        "n": n,
        "low": found.low if usable else None,
        "high": found.high if usable else None,
        "method": found.method,
        "clusters": found.clusters,
    }


def run_level(run: RunRecord, results: Sequence[ResultRecord]) -> list[RunLevelMetric]:
    """The run-level metrics (ECE, per-group means, pass@k, ...) its tasks asked for, per model."""
    wanted = run.plan.task_aggregators
    groups: dict[tuple[str, str], list[tuple[Sample, Score]]] = defaultdict(list)
    for row in results:
        if row.scores is not None and wanted.get(row.task):
            groups[(row.model, row.task)].append(
                (sample_from_json(row.sample), Score(values=row.scores, extracted=row.extracted))
            )
    out = []
    for (model, task), items in groups.items():
        names = [n for n in wanted[task] if n in aggregators]  # a plugin not installed here: skip it
        # Perturbed copies feed the worst-case metrics only; every other aggregator sees originals.
        plain = [(s, sc) for s, sc in items if not is_perturbed(s)]
        values = run_level_metrics([n for n in names if n != "perturbation"], plain)
        if "perturbation" in names:
            values.update(perturbation_metrics(items, run.plan.headline(task), perturbations_asked(run)))
        for metric, value in values.items():
            out.append(RunLevelMetric(model=model, task=task, metric=metric, value=value))
    return out + efficiency(run, results)


def usage_of(row: ResultRecord) -> Usage | None:
    """Tokens and latency of one answered unit: the backend's counts, else counted from the text."""
    response = row.response
    if response is None:
        return None
    prompt = prompt_text(row.request)
    if response.get("kind") == "loglikelihood":
        evaluated = response.get("tokens_evaluated")
        if evaluated is None:
            return Usage(row.latency_s, estimate_tokens(prompt), 0, counted=True)
        return Usage(row.latency_s, int(evaluated), 0)
    p_tokens, c_tokens = response.get("prompt_tokens"), response.get("completion_tokens")
    counted = p_tokens is None or c_tokens is None
    return Usage(
        row.latency_s,
        int(p_tokens) if p_tokens is not None else estimate_tokens(prompt),
        int(c_tokens) if c_tokens is not None else estimate_tokens(str(response.get("text", ""))),
        counted,
    )


def efficiency(run: RunRecord, results: Sequence[ResultRecord]) -> list[RunLevelMetric]:
    """Tokens, latency, tokens per second and cost per (model, task), from every answered unit
    (perturbed copies included: they are requests the run paid for)."""
    groups: dict[tuple[str, str], list[Usage]] = defaultdict(list)
    for row in results:
        used = usage_of(row)
        if used is not None:
            groups[(row.model, row.task)].append(used)
    out = []
    for (model, task), usage in groups.items():
        for metric, value in efficiency_metrics(usage, price_for(run.spec.prices, model)).items():
            out.append(RunLevelMetric(model=model, task=task, metric=metric, value=value))
    return out


def perturbations_asked(run: RunRecord) -> dict[str, list[str]]:
    """The run's perturbations by group (robustness, fairness); one no longer installed is skipped."""
    out: dict[str, list[str]] = defaultdict(list)
    for name in run.spec.perturb:
        if name in perturbations:
            out[get_perturbation(name).group].append(name)
    return dict(out)


def latest_rows(
    store: Store, run_ids: Sequence[str] | None = None, *, scan: int = 200
) -> list[LeaderboardRow]:
    """One row per (model, task): from the given runs, else from the newest run that has it."""
    return latest_results(store, run_ids, scan=scan)[0]


def latest_results(
    store: Store, run_ids: Sequence[str] | None = None, *, scan: int = 200
) -> tuple[list[LeaderboardRow], list[TaskScores], list[RunLevelMetric]]:
    """`latest_rows`, the per-sample headline scores behind them (for rank intervals), and the
    run-level metrics of each chosen (model, task) from the same run."""
    runs = [store.get_run(r) for r in run_ids] if run_ids else store.list_runs(limit=scan)
    chosen: dict[tuple[str, str], LeaderboardRow] = {}
    behind: list[ResultRecord] = []
    levels: list[RunLevelMetric] = []
    for run in runs:
        results = store.results(run.id)
        fresh = {
            (r.model, r.task): r
            for r in run_rows(results, run)
            if r.n > 0 and (r.model, r.task) not in chosen
        }
        if not fresh:
            continue
        chosen.update(fresh)
        behind.extend(r for r in results if (r.model, r.task) in fresh)
        levels += [m for m in run_level(run, results) if (m.model, m.task) in fresh]
    rows = sorted(chosen.values(), key=lambda r: (r.task, r.model))
    return rows, task_scores(behind, rows), levels


def task_scores(results: Iterable[ResultRecord], rows: Sequence[LeaderboardRow]) -> list[TaskScores]:
    """Per task, each model's per-sample headline scores (the rows' metric) and the samples' clusters."""
    metric_of = {(r.model, r.task): r.metric for r in rows}
    # a sample asked several times (epochs) counts once, with the mean of its repeats
    repeats: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(dict))
    clusters: dict[str, dict[str, str]] = defaultdict(dict)
    for result in results:
        metric = metric_of.get((result.model, result.task))
        if metric is None or not result.scores or metric not in result.scores:
            continue
        repeats[result.task][result.model].setdefault(result.sample_id, []).append(result.scores[metric])
        found = cluster_of(result.sample)
        if found is not None:
            clusters[result.task][result.sample_id] = found
    lower = {r.task for r in rows if r.metric in LOWER_IS_BETTER}
    return [
        TaskScores(
            task,
            {m: {i: math.fsum(v) / len(v) for i, v in by_id.items()} for m, by_id in by_model.items()},
            task not in lower,
            clusters.get(task) or None,
        )
        for task, by_model in sorted(repeats.items())
    ]


def win_rates(rows: Sequence[LeaderboardRow]) -> list[tuple[str, float]]:
    """HELM's mean win rate per model over the rows' tasks, best first."""
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        table[row.model][row.task] = row.value
    direction = {row.task: row.metric not in LOWER_IS_BETTER for row in rows}
    rates = mean_win_rate(table, direction)
    return sorted(rates.items(), key=lambda kv: (-(kv[1] if not math.isnan(kv[1]) else -1.0), kv[0]))


def prompt_text(request: dict[str, Any]) -> str:
    if request.get("kind") == "loglikelihood":
        choices = "\n".join(f"  ({i}) {c!r}" for i, c in enumerate(request["continuations"]))
        return f"{request['context']}\n[choices]\n{choices}"
    if request.get("messages") is not None:
        return "\n\n".join(f"[{m['role']}] {m['content']}" for m in request["messages"])
    return str(request.get("prompt", ""))


def response_text(row: ResultRecord) -> str | None:
    if row.response is None:
        return None
    if row.response.get("kind") == "loglikelihood":
        return ", ".join(f"{s['logprob']:.3f}" for s in row.response["scores"])
    return str(row.response.get("text", ""))


def sample_view(row: ResultRecord, run: RunRecord | None = None) -> SampleView:
    sample = row.sample
    target = sample.get("target")
    if target is None and sample.get("choices") is not None and sample.get("answer_index") is not None:
        target = sample["choices"][sample["answer_index"]]
    metric = headline_metric(run, row.task, [row])
    meta = dict((k, v) for k, v in sample.get("metadata") or ())
    return SampleView(
        perturbation=perturbation_of(sample),
        original_input=meta.get("original_input"),
        model=row.model,
        task=row.task,
        sample_id=row.sample_id,
        prompt=prompt_text(row.request),
        response=response_text(row),
        extracted=row.extracted,
        target=target,
        score=row.scores.get(metric) if row.scores and metric else None,
        error=row.error,
    )


def flat_records(run: RunRecord, results: Sequence[ResultRecord]) -> list[dict[str, Any]]:
    """One flat record per unit (for JSON/CSV/Parquet export and DataFrames): the sample view, the
    headline `score`, and every metric as `score.NAME`."""
    out = []
    for row in results:
        view = sample_view(row, run)
        record: dict[str, Any] = {
            "run_id": run.id,
            "model": row.model,
            "task": row.task,
            "task_version": row.task_version,
            "sample_id": row.sample_id,
            "prompt": view.prompt,
            "response": view.response,
            "extracted": row.extracted,
            "target": view.target,
            "score": view.score,
            "error": row.error,
            "latency_s": row.latency_s,
            "unit_key": row.key,
            "perturbation": view.perturbation,
            "original_input": view.original_input,
        }
        for metric, value in (row.scores or {}).items():
            record[f"score.{metric}"] = value
        out.append(record)
    return out
