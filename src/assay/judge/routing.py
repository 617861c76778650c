"""A judge whose every model call goes through the engine: the judge model is wrapped in a
`RoutedModel`, so each verdict, grade or comparison is a keyed unit of an open run in the store
(kind "judge"), answered from the store when it is there, else asked with retries and written once.
A crash loses no answer; the same command again asks the model only for what is missing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, cast

from assay.core.errors import ConfigError
from assay.core.protocols import Model
from assay.core.registry import judges
from assay.core.spec import RunSpec, RunSummary
from assay.engine.progress import RunProgress
from assay.engine.run import check_models
from assay.engine.session import EngineSession, RoutedModel, session_spec
from assay.judge.judges import Judge, JudgeFactory
from assay.judge.prompts import BUILTIN_TEMPLATES, PromptTemplate
from assay.models import build_model, parse_model
from assay.store import Store

# The task a judge's calls are recorded under; a unit's key holds it, with the templates' versions.
TASK_PAIRWISE = "judge:pairwise"
TASK_GRADE = "judge:grade"
TASK_RANK = "judge:rank"
_TEMPLATE_FAMILY = {TASK_PAIRWISE: "pairwise", TASK_RANK: "pairwise", TASK_GRADE: "single"}

StoreTarget = Store | str | os.PathLike[str] | None


@dataclass(frozen=True)
class JudgeSetup:
    """Which judge to build, and how its model calls run."""

    judge: str | None = None  # the judge model (`smollm2-135m`, `openai:NAME`, ...); None: model-free
    kind: str = "llm"  # a name in assay.core.registry.judges
    judge_args: Mapping[str, Any] = field(default_factory=dict)  # backend options (base_url, ...)
    templates: Mapping[str, PromptTemplate] | None = None  # None: the built-in templates
    prompts_file: str | None = None  # where `templates` came from, for the run record
    verdicts: str = "text"  # text | probabilities
    max_tokens: int | None = None  # None: the judge's own default
    max_attempts: int = 5
    timeout: float | None = 600.0

    def check(self) -> None:
        if self.verdicts not in ("text", "probabilities"):
            raise ConfigError(f"verdicts must be text or probabilities, not {self.verdicts!r}")
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigError(f"timeout must be positive, not {self.timeout}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1, not {self.max_tokens}")

    def factory_options(self) -> dict[str, Any]:
        """Only what differs from a judge's defaults, so a plugin judge gets no option it never knew."""
        options: dict[str, Any] = {"verdicts": self.verdicts} if self.verdicts != "text" else {}
        return options | ({"max_tokens": self.max_tokens} if self.max_tokens is not None else {})

    def all_templates(self) -> Mapping[str, PromptTemplate]:
        return self.templates or BUILTIN_TEMPLATES


def task_version(templates: Mapping[str, PromptTemplate], task: str) -> str:
    """The versions of the templates a task's calls use, so a changed template is a new key."""
    family = _TEMPLATE_FAMILY[task]
    return "+".join(t.version for name, t in sorted(templates.items()) if name.startswith(family))


def judge_spec(setup: JudgeSetup, task: str, options: Mapping[str, Any]) -> RunSpec:
    """The run record of a judge run: the judge model, the command as a task with its inputs."""
    recorded = {"kind": setup.kind, **options, "prompts": setup.prompts_file}
    recorded |= {"verdicts": setup.verdicts} if task != TASK_GRADE else {}
    recorded |= {"max_tokens": setup.max_tokens} if setup.max_tokens is not None else {}
    assert setup.judge is not None
    return session_spec(
        setup.judge,
        task,
        recorded,
        model_args=dict(setup.judge_args),
        max_attempts=setup.max_attempts,
        timeout=setup.timeout,
    )


class StoreHandle:
    """The results store, opened at first use: a judge that asks no model and stores no battle never
    touches it. A store given open is left open; one opened here is closed on exit."""

    def __init__(self, target: StoreTarget) -> None:
        self._target = target
        self._store: Store | None = target if isinstance(target, Store) else None
        self._opened = False

    def get(self) -> Store:
        if self._store is None:
            assert not isinstance(self._target, Store)
            self._store = Store.open(self._target)
            self._opened = True
        return self._store

    def __enter__(self) -> StoreHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._opened and self._store is not None:
            self._store.close()
            self._store, self._opened = None, False


@dataclass
class Judging:
    """A judge ready to use, and the engine session its model calls belong to (None: no model)."""

    judge: Judge
    session: EngineSession | None = None

    @property
    def run_id(self) -> str | None:
        return self.session.run_id if self.session is not None else None

    def summary(self) -> RunSummary | None:
        return self.session.summary() if self.session is not None else None


@asynccontextmanager
async def judging(
    setup: JudgeSetup, task: str, options: Mapping[str, Any], store: StoreHandle
) -> AsyncIterator[Judging]:
    """Build the judge; with a judge model, open a session run for its calls and close it at the end
    ("failed", or "interrupted" on Ctrl-C, if the body raised). The model is closed whatever happens."""
    factory = cast(JudgeFactory, judges.get(setup.kind))  # an unknown kind fails before a model loads
    templates = dict(setup.templates) if setup.templates is not None else None
    if setup.judge is None:
        judge = factory(None, templates, **setup.factory_options())
        try:
            yield Judging(judge)
        finally:
            await judge.aclose()
        return
    model = build_model(parse_model(setup.judge, dict(setup.judge_args)))
    try:
        await check_models([model])
        session = EngineSession.open(
            store.get(), judge_spec(setup, task, options), kind="judge", models=(model,)
        )
        async with _session_judge(setup, task, model, session, factory, templates) as judge:
            yield Judging(judge, session)
    finally:
        await model.aclose()


@asynccontextmanager
async def _session_judge(
    setup: JudgeSetup,
    task: str,
    model: Model,
    session: EngineSession,
    factory: JudgeFactory,
    templates: dict[str, PromptTemplate] | None,
) -> AsyncIterator[Judge]:
    version = task_version(setup.all_templates(), task)
    routed = RoutedModel(model, session, task_name=task, task_version=version)
    try:
        judge = factory(routed, templates, **setup.factory_options())
        try:
            yield judge
        finally:
            await judge.aclose()
    except (KeyboardInterrupt, asyncio.CancelledError):
        session.finish(interrupted=True)
        raise
    except BaseException:
        session.finish(failed=True)
        raise
    session.finish()


class JudgeProgress:
    """A bar over judgements (or comparisons), with the session's cached and failed calls beside it."""

    def __init__(self, total: int, *, enabled: bool, description: str, session: EngineSession | None) -> None:
        self._bar = RunProgress(total, enabled=enabled, description=description)
        self._session = session
        self._seen = (0, 0)

    def __enter__(self) -> JudgeProgress:
        self._bar.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.__exit__(exc_type, exc, tb)

    def advance(self, steps: int) -> None:
        cached = errors = 0
        if self._session is not None:
            now = (self._session.stats.cached, self._session.stats.errors)
            cached, errors = now[0] - self._seen[0], now[1] - self._seen[1]
            self._seen = now
        self._bar.errors += errors
        self._bar.advance(cached=cached, steps=steps)
