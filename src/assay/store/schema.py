"""Every table of the store, in one place (migrations.py creates them, version by version).

Content-keyed units are shared across runs; a run only points at the units it planned."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def table_of(row_class: type[Base]) -> Table:
    """The Core table of a row class, typed as a Table (`__table__` is typed as any FROM clause)."""
    return Base.metadata.tables[row_class.__tablename__]


class SchemaVersion(Base):
    __tablename__ = "schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied_at: Mapped[float] = mapped_column(Float)


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # running | done | failed | interrupted
    spec_json: Mapped[str] = mapped_column(Text)
    summary_json: Mapped[str | None] = mapped_column(Text, nullable=True)


class UnitRow(Base):
    __tablename__ = "units"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), index=True)
    model_identity_json: Mapped[str] = mapped_column(Text)
    task: Mapped[str] = mapped_column(String(200), index=True)
    task_version: Mapped[str] = mapped_column(String(40))
    sample_id: Mapped[str] = mapped_column(String(200))
    request_json: Mapped[str] = mapped_column(Text)
    # The sample as the task saw it (target, choices), so re-scoring needs only the store.
    sample_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)


class RunUnitRow(Base):
    __tablename__ = "run_units"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    unit_key: Mapped[str] = mapped_column(ForeignKey("units.key"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class ResponseRow(Base):
    """A successful answer, written once per unit key."""

    __tablename__ = "responses"
    unit_key: Mapped[str] = mapped_column(ForeignKey("units.key"), primary_key=True)
    response_json: Mapped[str] = mapped_column(Text)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[float] = mapped_column(Float)


class ErrorRow(Base):
    """A request that failed after retries. Never a wrong answer; the next run retries it."""

    __tablename__ = "errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    unit_key: Mapped[str] = mapped_column(ForeignKey("units.key"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)


class ScoreRow(Base):
    """The task's scorer output for a unit's response; re-scoring replaces it."""

    __tablename__ = "scores"
    unit_key: Mapped[str] = mapped_column(ForeignKey("units.key"), primary_key=True)
    values_json: Mapped[str] = mapped_column(Text)
    extracted: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)


Index("ix_units_model_task", UnitRow.model, UnitRow.task)


class BattleRow(Base):
    """One arena battle (a human or judge vote between two models), written once per content key."""

    __tablename__ = "battles"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), index=True)  # where it was imported from
    source_id: Mapped[str | None] = mapped_column(String(200), nullable=True)  # question_id / row id
    position: Mapped[int] = mapped_column(Integer)  # row in the imported file: replay order for Elo
    model_a: Mapped[str] = mapped_column(String(200), index=True)
    model_b: Mapped[str] = mapped_column(String(200), index=True)
    winner: Mapped[str] = mapped_column(String(20))  # model_a | model_b | tie | tie (bothbad)
    judge: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str | None] = mapped_column(String(64), nullable=True)
    turn: Mapped[int | None] = mapped_column(Integer, nullable=True)
    anony: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    tstamp: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    style_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # per-side style counts
    created_at: Mapped[float] = mapped_column(Float)


class LiveBattleRow(Base):
    """A live arena battle: two hidden models answer one prompt; one vote closes it."""

    __tablename__ = "arena_live_battles"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # server-issued random id
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    model_a: Mapped[str] = mapped_column(String(200))
    model_b: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text)
    answer_a: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer_b: Mapped[str | None] = mapped_column(Text, nullable=True)
    vote: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    voted_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class AssessmentRow(Base):
    """A transparency assessment of one developer against one indicator set."""

    __tablename__ = "assessments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    developer: Mapped[str] = mapped_column(String(200), index=True)
    model: Mapped[str] = mapped_column(String(200))
    indicator_set: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)


class AssessmentScoreRow(Base):
    """An indicator's current score in an assessment, with its evidence."""

    __tablename__ = "assessment_scores"
    assessment_id: Mapped[str] = mapped_column(String(32), ForeignKey("assessments.id"), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    evidence_json: Mapped[str] = mapped_column(Text)  # [{"url": ..., "quote": ...}, ...]
    justification: Mapped[str] = mapped_column(Text)
    assessor: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[float] = mapped_column(Float)


class AssessmentChangeRow(Base):
    """Append-only history of an assessment: initial scores, edits, developer rebuttals."""

    __tablename__ = "assessment_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[str] = mapped_column(String(32), ForeignKey("assessments.id"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(200))
    old_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_score: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # score | rebuttal | import
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Float)


class WorkQueueRow(Base):
    """A unit of a run waiting for, leased to, or done by a worker (store/queue.py).

    A lease is (owner, expires_at); an expired lease is free for the next claimer. `done` means the
    unit needs no more work (answered or given up), whoever finished it."""

    __tablename__ = "work_queue"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    unit_key: Mapped[str] = mapped_column(ForeignKey("units.key"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # claim order
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    claims: Mapped[int] = mapped_column(
        Integer, default=0
    )  # how often leased: a unit that kills workers shows
    done: Mapped[bool] = mapped_column(Boolean, default=False)


Index("ix_work_queue_claim", WorkQueueRow.run_id, WorkQueueRow.done, WorkQueueRow.position)


class RateLimitHitRow(Base):
    """One counted hit of a rate limit (store/limits.py): it counts against its key until it expires."""

    __tablename__ = "rate_limit_hits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[float] = mapped_column(Float, index=True)


Index("ix_rate_limit_hits_key", RateLimitHitRow.key, RateLimitHitRow.expires_at)


class ContaminationScanRow(Base):
    """One overlap scan of a corpus against some tasks' items (assay.contamination)."""

    __tablename__ = "contamination_scans"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    corpus_json: Mapped[str] = mapped_column(Text)  # the files scanned
    settings_json: Mapped[str] = mapped_column(Text)  # n-gram size, shingle size, threshold
    summary_json: Mapped[str] = mapped_column(Text)  # per task: items, checked, flagged; bytes, seconds


class ContaminationHitRow(Base):
    """An item of a task found in a scanned corpus: the first location per (item, kind) and how often."""

    __tablename__ = "contamination_hits"
    scan_id: Mapped[str] = mapped_column(
        ForeignKey("contamination_scans.id", ondelete="CASCADE"), primary_key=True
    )
    task: Mapped[str] = mapped_column(String(200), primary_key=True)
    sample_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # ngram | near_duplicate
    source: Mapped[str] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    offset: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    similarity: Mapped[float] = mapped_column(Float)
    occurrences: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)


Index("ix_contamination_hits_task", ContaminationHitRow.task, ContaminationHitRow.sample_id)


class AgentTurnRow(Base):
    """One turn of an agent's attempt at a unit (the model's reply, its tool call, the tool's output,
    the files' state after it), written once: a killed run resumes after the last stored turn."""

    __tablename__ = "agent_turns"
    unit_key: Mapped[str] = mapped_column(ForeignKey("units.key"), primary_key=True)
    turn: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
