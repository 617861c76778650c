"""Shared read helpers for pages and the API (both show the same numbers)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import HTTPException, Request

from assay.core.errors import AssayError
from assay.web.app import state
from assay.web.data import EvalBoard, arena_ratings, battles_fingerprint, eval_board, runs_fingerprint

PAGE_SIZE = 100


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
        from assay.store.battles import battle_sources

        fingerprint = battles_fingerprint(web.store)
        sources = web.cache.get("arena-sources", fingerprint, lambda: battle_sources(web.store))
        known = source is None or source in sources
        if not known:  # never cache what a visitor names: random names would evict the real boards
            note = f"no battles from source {source!r}"
            empty = {"battles": 0, "ratings": [], "heatmap": [], "notes": [note]}
            return {**empty, "source": source, "sources": sources}
        data = web.cache.get(
            f"arena:{source or ''}", fingerprint, lambda: arena_ratings(web.store, source=source)
        )
        return {**data, "source": source, "sources": sources}

    return await asyncio.to_thread(build)


def sample_record(row: Any) -> dict[str, Any]:
    from assay.report.leaderboard import sample_view

    v = sample_view(row)
    return {
        "model": v.model,
        "task": v.task,
        "sample_id": v.sample_id,
        "prompt": v.prompt,
        "response": v.response,
        "extracted": v.extracted,
        "target": v.target,
        "score": v.score,
        "error": v.error,
        "latency_s": row.latency_s,
    }


async def run_samples(
    request: Request, run_id: str, *, wrong: bool, model: str | None = None
) -> tuple[Any, list[dict[str, Any]]]:
    web = state(request)

    def load() -> tuple[Any, list[dict[str, Any]]]:
        run = web.store.get_run(run_id)  # resolves "latest" and prefixes
        records = web.cache.get(
            f"run:{run.id}",
            runs_fingerprint(web.store),
            lambda: [sample_record(r) for r in web.store.results(run.id)],
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
