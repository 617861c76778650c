"""The JSON API behind every page (documented at /openapi.json and listed on /api)."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel

import assay
from assay.core.errors import AssayError
from assay.web import audit_pages
from assay.web.arena_routes import enforce_limit
from assay.web.context import state
from assay.web.data import finite
from assay.web.security import check_csrf, verify_password
from assay.web.views import PAGE_SIZE, board, pair_samples, ratings, run_comparison, run_samples

router = APIRouter(prefix="/api")


@router.get("/leaderboard", summary="Evaluation leaderboard")
async def api_leaderboard(request: Request, group: str | None = None) -> Response:
    """Models (best mean win rate first) x tasks: value, 95% interval, sample count, metric."""
    full = await board(request, group)
    key = ("json", group or "", "")
    body = full.fragments.get(key)
    if body is None:  # serialised once per board: the numbers cannot change under it
        body = full.fragments[key] = json.dumps(full.only_group(group).to_dict()).encode()
    return Response(body, media_type="application/json")


@router.get("/arena/ratings", summary="Arena ratings")
async def api_ratings(request: Request, source: str | None = None) -> dict[str, Any]:
    """Bradley-Terry ratings with 95% bootstrap intervals, battle counts and pairwise win fractions.

    `source` rates one batch only (e.g. "arena-live", an imported file, a judge's verdicts); `sources`
    lists the batches with their battle counts."""
    return await ratings(request, source or None)


@router.get("/runs", summary="Recent runs")
async def api_runs(request: Request, limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    runs = await asyncio.to_thread(assay.runs, limit, store=state(request).store)
    return [
        {"id": r.id, "created_at": r.created_at, "finished_at": r.finished_at, "status": r.status}
        for r in runs
    ]


@router.get("/runs/{run_id}/samples", summary="A run's samples")
async def api_samples(
    request: Request,
    run_id: str,
    wrong: bool = False,
    model: str | None = None,
    offset: int = Query(0, ge=0),
    limit: int = Query(PAGE_SIZE, ge=1, le=1000),
) -> dict[str, Any]:
    """Prompt, response, extracted answer, target, score and latency; `wrong` keeps scores below 1."""
    run, records = await run_samples(request, run_id, wrong=wrong, model=model)
    return {"run_id": run.id, "total": len(records), "samples": records[offset : offset + limit]}


@router.get("/runs/{run_id}/compare", summary="Two models on the same samples")
async def api_compare(
    request: Request, run_id: str, a: str = Query(..., max_length=300), b: str = Query(..., max_length=300)
) -> dict[str, Any]:
    """The paired comparison per task (as `assay compare RUN:A RUN:B --json`: difference with its
    bootstrap interval, p-value and Holm's, correlation, detectable difference, verdict; NaN as
    null) and the samples both answered, side by side."""
    run, records = await run_samples(request, run_id, wrong=False)
    comparison = await run_comparison(request, run, records, a, b)
    return {
        "run_id": run.id,
        "a": a,
        "b": b,
        "comparison": finite(comparison.to_dict()),
        "pairs": pair_samples(records, a, b),
    }


@router.get("/transparency/{edition}", summary="Transparency index: one published edition")
async def api_transparency(request: Request, edition: str) -> dict[str, Any]:
    """Developers ranked by total points (of 100), with the % of available points per domain."""
    return await asyncio.to_thread(audit_pages.transparency_data, edition)


@router.get("/trends/{benchmark}", summary="Trends: state of the art by year on one benchmark")
async def api_trends(request: Request, benchmark: str) -> dict[str, Any]:
    """Best score to date per year (with the model and the gain in points) and the median days open
    models took to match a closed model's record, from the shipped Epoch AI data."""
    return await asyncio.to_thread(audit_pages.trends_data, benchmark)


@router.get("/safety", summary="Safety report over the store's safety runs")
async def api_safety(request: Request) -> dict[str, Any]:
    """Per model: harmful-compliance and over-refusal rates, classifier AUPRC/ROC-AUC, HHH-harmless,
    BBQ bias, TruthfulQA, each with its direction (higher or lower is better) and source."""
    report = await asyncio.to_thread(audit_pages.cached_safety_report, request)
    return report.to_dict()


def require_admin(request: Request) -> None:
    """HTTP Basic (user "admin") checked against the argon2 hash from the environment; off without it."""
    stored = state(request).admin_hash
    if stored is None:
        raise HTTPException(status_code=404, detail="admin is off (set ASSAY_ADMIN_PASSWORD_HASH)")
    enforce_limit(request, "admin")
    header = request.headers.get("authorization", "")
    password = None
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            password = None
        else:
            password = password if user == "admin" else None
    if password is None or not verify_password(stored, password):
        raise HTTPException(
            status_code=401,
            detail="admin password required",
            headers={"WWW-Authenticate": 'Basic realm="assay admin"'},
        )


class AddModel(BaseModel):
    name: str


@router.post(
    "/admin/arena/models",
    dependencies=[Depends(check_csrf), Depends(require_admin)],
    summary="Admin: add an arena model",
)
async def admin_add_model(request: Request, body: AddModel) -> dict[str, Any]:
    try:
        assay.check_model_names([body.name])
    except AssayError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    arena = state(request).arena
    if body.name not in arena.config.models:
        arena.config = replace(arena.config, models=(*arena.config.models, body.name))
    return {"models": list(arena.config.models)}


@router.post(
    "/admin/arena/reset",
    dependencies=[Depends(check_csrf), Depends(require_admin)],
    summary="Admin: delete all live-arena battles and their votes",
)
async def admin_reset(request: Request) -> dict[str, Any]:
    store = state(request).store
    return {"deleted": await asyncio.to_thread(lambda: assay.delete_live_battles(store=store))}


@router.get("/session", summary="This visitor's CSRF token")
async def api_session(request: Request) -> dict[str, str]:
    """For API clients: send it back as the X-CSRF-Token header on every POST."""
    return {"csrf_token": request.state.csrf}
