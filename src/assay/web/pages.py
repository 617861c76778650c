"""HTML pages: server-rendered, untrusted text escaped or sanitised, no inline script."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

import assay
from assay.core.errors import AssayError
from assay.web import audit_pages, i18n
from assay.web.charts import heatmap_spec, spec_json, win_rate_spec
from assay.web.context import language, render, render_fragment, state
from assay.web.data import verdict_parts
from assay.web.views import PAGE_SIZE, board, pair_samples, ratings, run_comparison, run_samples

router = APIRouter(include_in_schema=False)
MAX_NAME = 300  # a model name a visitor may put in a query string


@router.get("/", response_class=HTMLResponse)
async def leaderboard_page(request: Request, group: str | None = None) -> str:
    full = await board(request, group)
    shown = full.only_group(group)
    key = ("html", group or "", language(request))
    table = full.fragments.get(key)
    if table is None:  # 500 models x 60 tasks is 30,000 cells: render them once per board and language
        table = full.fragments[key] = render_fragment(request, "leaderboard_table.html", {"board": shown})
    chart = full.fragments.get(("chart", "", ""))
    if chart is None:
        chart = full.fragments[("chart", "", "")] = spec_json(win_rate_spec(full))
    return render(
        request,
        "leaderboard.html",
        {
            "board": shown,
            "groups": full.groups,
            "group": group or "",
            "chart": chart,
            "table": table,
        },
    )


@router.get("/arena/leaderboard", response_class=HTMLResponse)
async def arena_board_page(request: Request, source: str | None = None) -> str:
    data = await ratings(request, source or None)
    order = [r["model"] for r in data["ratings"]]
    chart = spec_json(heatmap_spec(data["heatmap"], order)) if data["heatmap"] else None
    return render(request, "arena_board.html", {"data": data, "chart": chart})


@router.get("/runs", response_class=HTMLResponse)
async def runs_page(request: Request) -> str:
    runs = await asyncio.to_thread(assay.runs, 100, store=state(request).store)
    return render(request, "runs.html", {"runs": runs})


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(
    request: Request, run_id: str, wrong: bool = False, model: str | None = None, page: int = Query(0, ge=0)
) -> str:
    run, records = await run_samples(request, run_id, wrong=wrong, model=model)
    models = sorted({r["model"] for r in records})
    shown = records[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return render(
        request,
        "run.html",
        {
            "run": run,
            "samples": shown,
            "wrong": wrong,
            "models": models,
            "page": page,
            "more": len(records) > (page + 1) * PAGE_SIZE,
            "total": len(records),
        },
    )


@router.get("/runs/{run_id}/compare", response_class=HTMLResponse)
async def compare_page(
    request: Request,
    run_id: str,
    a: str = Query(..., max_length=MAX_NAME),
    b: str = Query(..., max_length=MAX_NAME),
    wrong: bool = False,
) -> str:
    run, records = await run_samples(request, run_id, wrong=False)
    comparison = await run_comparison(request, run, records, a, b)
    pairs = pair_samples(records, a, b)
    if wrong:
        pairs = [p for p in pairs if (p["a"]["score"] or 0) < 1 or (p["b"]["score"] or 0) < 1]
    context = {"run": run, "pairs": pairs[:PAGE_SIZE], "a": a, "b": b}
    return render(request, "compare.html", {**context, **table_context(comparison)})


@router.get("/compare", response_class=HTMLResponse)
async def compare_runs_page(
    request: Request, a: str = Query("", max_length=MAX_NAME), b: str = Query("", max_length=MAX_NAME)
) -> str:
    """Two runs (or RUN:MODEL) side by side; bare model names are not taken from visitors."""
    context: dict[str, Any] = {"a": a, "b": b, "rows": []}
    if a and b:
        comparison = await asyncio.to_thread(_across_runs, request, a, b)
        context.update(table_context(comparison))
    return render(request, "compare_runs.html", context)


def _across_runs(request: Request, a: str, b: str) -> assay.Comparison:
    try:
        return assay.compare(a, b, by_model_name=False, store=state(request).store)
    except AssayError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


def table_context(comparison: assay.Comparison) -> dict[str, Any]:
    """What paired_table.html needs: each task with its verdict as an i18n key and values."""
    names = (comparison.a.label, comparison.b.label)
    tested = sum(1 for t in comparison.tasks if t.test != "none")
    verdicts = [verdict_parts(t, names, comparison.alpha, tested) for t in comparison.tasks]
    rows = list(zip(comparison.tasks, verdicts, strict=True))
    return {"comparison": comparison, "names": names, "rows": rows}


@router.get("/api", response_class=HTMLResponse)
async def api_page(request: Request) -> str:
    schema = request.app.openapi()
    endpoints = [
        (method.upper(), path, op.get("summary", ""))
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    ]
    return render(request, "api.html", {"endpoints": endpoints})


@router.get("/lang/{code}")
async def set_language(code: str, next: str = "/") -> RedirectResponse:
    target = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    response = RedirectResponse(target, status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, code, httponly=True, samesite="lax", max_age=365 * 24 * 3600)
    return response


@router.get("/transparency", response_class=HTMLResponse)
async def transparency_page(request: Request, edition: str = "2025") -> str:
    context = await asyncio.to_thread(audit_pages.transparency_context, request, edition)
    return render(request, "audit.html", {"title_key": "transparency.title", **context})


@router.get("/trends", response_class=HTMLResponse)
async def trends_page(request: Request, benchmark: str = "MMLU") -> str:
    context = await asyncio.to_thread(audit_pages.trends_context, request, benchmark)
    return render(request, "audit.html", {"title_key": "trends.title", **context})


@router.get("/safety", response_class=HTMLResponse)
async def safety_page(request: Request) -> str:
    context = await asyncio.to_thread(audit_pages.safety_context, request)
    return render(request, "audit.html", {"title_key": "safety.title", **context})
