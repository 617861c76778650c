"""Result records: a run as stored, one unit's outcome, and the views built from them.

The store returns `RunRecord` and `ResultRecord`; leaderboards, reports, the CLI and the dashboard
all speak in `LeaderboardRow`, `RankInterval`, `RunLevelMetric` and `SampleView`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from assay.core.spec import RunPlan, RunSpec, RunSummary


@dataclass(frozen=True)
class RunRecord:
    id: str
    created_at: float
    finished_at: float | None
    status: str  # running | done | done_with_errors | failed | interrupted
    spec: RunSpec
    plan: RunPlan
    summary: RunSummary | None

    @classmethod
    def from_stored(
        cls,
        *,
        id: str,
        created_at: float,
        finished_at: float | None,
        status: str,
        spec_json: str,
        summary_json: str | None,
    ) -> RunRecord:
        recorded = json.loads(spec_json)
        return cls(
            id=id,
            created_at=created_at,
            finished_at=finished_at,
            status=status,
            spec=RunSpec.from_json(recorded),
            plan=RunPlan.from_json(recorded),
            summary=RunSummary.from_json(json.loads(summary_json)) if summary_json else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "spec": self.spec.to_json(),
            "plan": self.plan.to_json(),
            "summary": self.summary.to_json() if self.summary else None,
        }


def record_json(spec: RunSpec, plan: RunPlan) -> str:
    """How a run's spec and plan are stored: one flat object (the layout older stores hold too)."""
    return json.dumps({**spec.to_json(), **plan.to_json()})


@dataclass(frozen=True)
class ResultRecord:
    """One planned unit of a run with whatever later stages wrote for it."""

    run_id: str
    position: int
    key: str
    model: str
    task: str
    task_version: str
    sample_id: str
    request: dict[str, Any]
    sample: dict[str, Any]
    response: dict[str, Any] | None
    latency_s: float | None
    scores: dict[str, float] | None
    extracted: str | None
    error: str | None


@dataclass(frozen=True)
class LeaderboardRow:
    """One model x task: the task's headline metric with its standard error and 95% interval.

    `stderr` is cluster-robust when the task's samples name a cluster; `method` says how the
    interval was made ("wilson-cc", "clustered-wilson", "t", "clustered-t"); `clusters` counts the
    independent units (n when the task has no clusters)."""

    model: str
    task: str
    metric: str
    value: float
    stderr: float | None
    n: int
    errors: int
    low: float | None = None
    high: float | None = None
    method: str | None = None
    clusters: int | None = None


@dataclass(frozen=True)
class RankInterval:
    """A model's place on a leaderboard with its 95% rank interval and its group of tied models."""

    model: str
    rank: int  # 1 + models with a strictly better statistic on the full data
    low: int  # rank interval (percentiles of the bootstrap ranks)
    high: int
    group: int  # 1 for the models tied with the leader, 2 for the next tier, ...
    statistic: float  # the statistic ranked: mean win rate over tasks


@dataclass(frozen=True)
class RunLevelMetric:
    """A metric computed over a whole (model, task): ECE, a group's mean, pass@k, ..."""

    model: str
    task: str
    metric: str
    value: float


@dataclass(frozen=True)
class SampleView:
    """One sample's outcome in readable form: prompt, response, extracted answer, headline score."""

    model: str
    task: str
    sample_id: str
    prompt: str
    response: str | None
    extracted: str | None
    target: str | None
    score: float | None
    error: str | None
    perturbation: str | None = None  # the perturbation this copy went through; None for an original
    original_input: str | None = None  # the sample's input before it was perturbed
