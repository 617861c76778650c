"""A model's history page: its runs over time and what changed between them (assay.drift)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

import assay
from assay.core.errors import AssayError
from assay.web.context import render, state

router = APIRouter(include_in_schema=False)
CHANGED_SHOWN = 20  # per step; the CLI and API give all of them


@router.get("/models/{model:path}/history", response_class=HTMLResponse)
async def model_history_page(request: Request, model: str) -> str:
    try:
        report = await asyncio.to_thread(assay.drift, model, store=state(request).store)
    except AssayError:
        report = None  # no run of this model: the page says so
    return render(request, "model_history.html", {"model": model, "report": report, "shown": CHANGED_SHOWN})
