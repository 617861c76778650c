"""Shared read helpers for pages and the API (both show the same numbers)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import HTTPException, Request

import assay
from assay.core.errors import AssayError
from assay.core.results import RunRecord
from assay.web.context import state
from assay.web.data import (
    EvalBoard,
    arena_board,
    battles_fingerprint,
    eval_board,
    paired_comparison,
    runs_fingerprint,
)

PAGE_SIZE = 100
# What the run explorer shows of each sample (the API's flat records carry more: unit key, version...)
SAMPLE_FIELDS = (
    "model",
    "task",
    "sample_id",
    "prompt",
    "response",
    "extracted",
    "target",
    "score",
    "error",
    "latency_s",
    "perturbation",
    "original_input",
)


async def board(request: Request, group: str | None = None) -> EvalBoard:
    web = state(request)

    def build() -> EvalBoard:
        return web.cache.get("eval", runs_fingerprint(web.store), lambda: eval_board(web.store))

    full = await asyncio.to_thread(build)
    if group and group not in full.groups:  # checked before anything is cached under a visitor's name
        raise HTTPException(status_code=404, detail=f"no task group {group!r}")
    return full


async def ratings(request: Request, source: str | None = None) -> dict[str, Any]:
    web = state(request)

    def build() -> dict[str, Any]:
        fingerprint = battles_fingerprint(web.store)
        sources = web.cache.get("arena-sources", fingerprint, lambda: assay.arena_sources(store=web.store))
        known = source is None or source in sources
        if not known:  # never cache what a visitor names: random names would evict the real boards
            note = f"no battles from source {source!r}"
            empty = {"battles": 0, "ratings": [], "heatmap": [], "notes": [note]}
            return {**empty, "source": source, "sources": sources}
        data = web.cache.get(
            f"arena:{source or ''}", fingerprint, lambda: arena_board(web.store, sources, source=source)
        )
        return {**data, "source": source, "sources": sources}

    return await asyncio.to_thread(build)


def sample_records(run: RunRecord, store: assay.Store) -> list[dict[str, Any]]:
    """The run's samples as the explorer shows them (headline score by the task's declared metric)."""
    return [{k: r[k] for k in SAMPLE_FIELDS} for r in assay.records(run.id, store=store)]


async def run_samples(
    request: Request, run_id: str, *, wrong: bool, model: str | None = None
) -> tuple[RunRecord, list[dict[str, Any]]]:
    web = state(request)

    def load() -> tuple[RunRecord, list[dict[str, Any]]]:
        run = assay.get_run(run_id, store=web.store)  # resolves "latest" and prefixes
        records = web.cache.get(
            f"run:{run.id}", runs_fingerprint(web.store), lambda: sample_records(run, web.store)
        )
        return run, records

    try:
        run, records = await asyncio.to_thread(load)
    except AssayError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    if wrong:
        records = [r for r in records if r["score"] is not None and r["score"] < 1]
    if model:
        records = [r for r in records if r["model"] == model]
    return run, records


def pair_samples(records: list[dict[str, Any]], a: str, b: str) -> list[dict[str, Any]]:
    """Samples both models answered, side by side (same task and sample id)."""
    by_key: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in records:
        if r["model"] in (a, b):
            by_key.setdefault((r["task"], r["sample_id"]), {})[r["model"]] = r
    return [
        {"task": k[0], "sample_id": k[1], "a": v[a], "b": v[b]}
        for k, v in by_key.items()
        if a in v and b in v
    ]


async def run_comparison(
    request: Request, run: RunRecord, records: list[dict[str, Any]], a: str, b: str
) -> assay.Comparison:
    """Models `a` and `b` of the run compared per task; names no model of the run are refused before
    anything is computed or cached under them (a visitor chooses them)."""
    models = {r["model"] for r in records}
    for name in (a, b):
        if name not in models:
            listed = ", ".join(sorted(models))
            raise HTTPException(
                status_code=404, detail=f"run {run.id} has no model {name!r} (it has: {listed})"
            )
    if a == b:
        raise HTTPException(status_code=400, detail="choose two different models to compare")
    web = state(request)

    def build() -> assay.Comparison:
        return web.cache.get(
            f"compare:{run.id}\x00{a}\x00{b}",
            runs_fingerprint(web.store),
            lambda: paired_comparison(web.store, run.id, a, b),
        )

    return await asyncio.to_thread(build)
