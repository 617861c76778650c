"""The live arena: pages (plain forms) and the JSON/SSE API behind them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field

from assay.api import BattleNotFound, BattleView, VoteRefused
from assay.api.arena import battle_view, client_ip
from assay.web.context import render, state
from assay.web.security import check_csrf

router = APIRouter()
page_router_kw: dict[str, Any] = {"include_in_schema": False}


class BattleRequest(BaseModel):
    prompt: str = Field(max_length=20_000)


class VoteRequest(BaseModel):
    vote: str = Field(description="a | b | tie | bothbad")


def enforce_limit(request: Request, name: str) -> None:
    """429 when this session or its network has used up the named budget."""
    web = state(request)
    peer = request.client.host if request.client else None
    # Every X-Forwarded-For line, in order: a proxy that adds its own header line must not leave a
    # client's forged first line in charge.
    forwarded = ",".join(request.headers.getlist("x-forwarded-for")) or None
    ip = client_ip(peer, forwarded, web.arena.config.trusted_proxies)
    if not web.limits.hit(name, request.state.session_id, ip):
        raise HTTPException(status_code=429, detail="too many requests; wait a minute")


async def _start(request: Request, prompt: str) -> str:
    await asyncio.to_thread(enforce_limit, request, "battle")  # the count may be a store write
    try:
        return await state(request).arena.start(request.state.session_id, prompt)
    except VoteRefused as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


async def _vote(request: Request, battle_id: str, vote: str) -> bool:
    await asyncio.to_thread(enforce_limit, request, "vote")
    arena = state(request).arena
    try:
        return await asyncio.to_thread(arena.vote, battle_id, request.state.session_id, vote)
    except BattleNotFound:
        raise HTTPException(status_code=404, detail="no such battle") from None
    except VoteRefused as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None


def _battle(request: Request, battle_id: str) -> BattleView:
    """What this session may see of its battle (names only once voted); 404 for anyone else."""
    try:
        return battle_view(state(request).arena.battle(battle_id, request.state.session_id))
    except BattleNotFound:
        raise HTTPException(status_code=404, detail="no such battle") from None


@router.get("/arena", response_class=HTMLResponse, **page_router_kw)
async def arena_page(request: Request, sample: bool = False) -> str:
    arena = state(request).arena
    prompt = arena.sample_prompt() if sample else ""
    return render(request, "arena.html", {"prompt": prompt, "ready": len(arena.models) >= 2})


@router.post("/arena/battles", dependencies=[Depends(check_csrf)], **page_router_kw)
async def arena_start_form(request: Request, prompt: str = Form(max_length=20_000)) -> RedirectResponse:
    battle_id = await _start(request, prompt)
    return RedirectResponse(f"/arena/b/{battle_id}", status_code=303)


@router.get("/arena/b/{battle_id}", response_class=HTMLResponse, **page_router_kw)
async def battle_page(request: Request, battle_id: str) -> str:
    return render(request, "battle.html", {"b": await asyncio.to_thread(_battle, request, battle_id)})


@router.post("/arena/b/{battle_id}/vote", dependencies=[Depends(check_csrf)], **page_router_kw)
async def battle_vote_form(request: Request, battle_id: str, vote: str = Form()) -> RedirectResponse:
    await _vote(request, battle_id, vote)
    return RedirectResponse(f"/arena/b/{battle_id}", status_code=303)


@router.post("/api/arena/battles", dependencies=[Depends(check_csrf)], summary="Start a battle")
async def api_start(request: Request, body: BattleRequest) -> dict[str, Any]:
    """Two hidden models answer the prompt; the id is random and belongs to this session."""
    return {"id": await _start(request, body.prompt)}


@router.get("/api/arena/battles/{battle_id}", summary="A battle (names hidden until voted)")
async def api_battle(request: Request, battle_id: str) -> dict[str, Any]:
    return (await asyncio.to_thread(_battle, request, battle_id)).to_dict()


@router.post("/api/arena/battles/{battle_id}/vote", dependencies=[Depends(check_csrf)], summary="Vote once")
async def api_vote(request: Request, battle_id: str, body: VoteRequest) -> dict[str, Any]:
    """Accepted once per battle and only after both answers finished; a repeat changes nothing."""
    accepted = await _vote(request, battle_id, body.vote)
    battle = await asyncio.to_thread(_battle, request, battle_id)
    return {"accepted": accepted, "battle": battle.to_dict()}


@router.get("/api/arena/battles/{battle_id}/stream", summary="Answers as server-sent events")
async def api_stream(request: Request, battle_id: str) -> StreamingResponse:
    """`partial` events carry {side, text so far} while a side streams, `answer` the final text (both
    plain text: the page shows them as text, then reloads for the sanitised markdown), then `done`."""
    arena = state(request).arena
    session = request.state.session_id
    await asyncio.to_thread(_battle, request, battle_id)  # 404 before the stream opens

    async def events() -> AsyncIterator[str]:
        async for kind, side, text in arena.events(battle_id, session):
            yield f"event: {kind}\ndata: {json.dumps({'side': side, 'text': text})}\n\n"
        yield "event: done\ndata: {}\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
