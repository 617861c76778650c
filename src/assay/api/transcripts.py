"""Agent transcripts: the turns of one sample of a run, step by step (the model's reply, its tool
call, what the tool gave back, the state of the files), for `assay show --transcript` and the run
explorer. Model text comes back as it was stored: whoever renders it escapes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from assay.api.results import RunRef, run_id_of
from assay.api.stores import StoreLike, using_store
from assay.core.errors import ConfigError
from assay.store.transcripts import turns


@dataclass(frozen=True)
class Transcript:
    run_id: str
    model: str
    task: str
    sample_id: str
    turns: tuple[dict[str, Any], ...]
    # The attempt's end (stop reason, counts, the diff of its files) once it has one; the score too.
    outcome: dict[str, Any] | None
    scores: dict[str, float] | None
    extracted: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": self.model,
            "task": self.task,
            "sample_id": self.sample_id,
            "turns": list(self.turns),
            "outcome": self.outcome,
            "scores": self.scores,
            "extracted": self.extracted,
        }


def transcript(
    run: RunRef, sample_id: str, *, model: str | None = None, store: StoreLike = None
) -> Transcript:
    """The transcript of `sample_id` in the run (of `model`, when the run has several)."""
    with using_store(store) as opened:
        record = opened.get_run(run_id_of(run))
        rows = [r for r in opened.results(record.id) if r.sample_id == sample_id]
        if model is not None:
            rows = [r for r in rows if r.model == model]
        if not rows:
            of = f" of {model}" if model else ""
            raise ConfigError(f"run {record.id} has no sample {sample_id!r}{of}")
        if len(rows) > 1:
            names = ", ".join(sorted(r.model for r in rows))
            raise ConfigError(f"sample {sample_id!r} was asked of several models ({names}): name one")
        row = rows[0]
        steps = turns(opened, row.key)
    outcome = _outcome(row.response)
    return Transcript(
        run_id=record.id,
        model=row.model,
        task=row.task,
        sample_id=sample_id,
        turns=tuple({k: v for k, v in step.items() if k != "messages"} for step in steps),
        outcome=outcome,
        scores=row.scores,
        extracted=row.extracted,
    )


def _outcome(response: dict[str, Any] | None) -> dict[str, Any] | None:
    if response is None:
        return None
    try:
        data = json.loads(response.get("text") or "")
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
