"""Arena battles: sample two hidden models, answer in the background, accept one vote, reveal."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from assay.arena.config import ArenaConfig
from assay.core.errors import AssayError
from assay.core.protocols import Model
from assay.core.types import GenerateRequest, GenerationParams, Message
from assay.models import build_model, parse_model
from assay.store import Store
from assay.store.arena_live import VOTE_WINNER, LiveBattle, get_battle, open_battle, put_answer, record_vote

_random = secrets.SystemRandom()  # the pairing and the ids must not be guessable


class BattleNotFound(AssayError):
    """No such battle for this session (another session's battle is not found either)."""


class VoteRefused(AssayError):
    """The battle cannot take a vote yet (answers still coming) or the vote is not one we know."""


@dataclass(frozen=True)
class BattleView:
    """What a visitor may see: names only once the battle is voted."""

    id: str
    prompt: str
    answer_a: str | None
    answer_b: str | None
    vote: str | None
    model_a: str | None
    model_b: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt": self.prompt,
            "answer_a": self.answer_a,
            "answer_b": self.answer_b,
            "finished": self.answer_a is not None and self.answer_b is not None,
            "vote": self.vote,
            "model_a": self.model_a,
            "model_b": self.model_b,
        }


def view(battle: LiveBattle) -> BattleView:
    revealed = battle.vote is not None
    return BattleView(
        id=battle.id,
        prompt=battle.prompt,
        answer_a=battle.answer_a,
        answer_b=battle.answer_b,
        vote=battle.vote,
        model_a=battle.model_a if revealed else None,
        model_b=battle.model_b if revealed else None,
    )


class ArenaService:
    def __init__(self, store: Store, config: ArenaConfig) -> None:
        self.store = store
        self.config = config
        self._models: dict[str, Model] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._changed: dict[str, asyncio.Event] = {}  # battle id -> set when an answer grows or is stored
        self._partial: dict[str, dict[str, str]] = {}  # battle id -> side -> text streamed so far

    @property
    def models(self) -> tuple[str, ...]:
        return self.config.models

    def pair(self) -> tuple[str, str]:
        if len(self.models) < 2:
            raise AssayError("the arena needs at least two models (assay serve --models a,b)")
        a, b = _random.sample(list(self.models), 2)
        return a, b

    def sample_prompt(self) -> str:
        return _random.choice(self.config.prompts)

    async def start(self, session_id: str, prompt: str) -> str:
        prompt = prompt.strip()
        if not prompt:
            raise VoteRefused("the prompt is empty")
        if len(prompt) > self.config.max_prompt_chars:
            raise VoteRefused(f"the prompt is longer than {self.config.max_prompt_chars} characters")
        battle_id = secrets.token_urlsafe(24)
        models = self.pair()
        await asyncio.to_thread(open_battle, self.store, battle_id, session_id, models, prompt)
        self._changed[battle_id] = asyncio.Event()
        self._tasks[battle_id] = asyncio.create_task(self._answer(battle_id, models, prompt))
        return battle_id

    def battle(self, battle_id: str, session_id: str) -> LiveBattle:
        battle = get_battle(self.store, battle_id)
        if battle is None or not secrets.compare_digest(battle.session_id, session_id):
            raise BattleNotFound("no such battle")
        return battle

    async def events(self, battle_id: str, session_id: str) -> AsyncIterator[tuple[str, str, str]]:
        """(kind, side, text): "partial" with the text so far while a side streams, then "answer" with
        the stored answer. Any number of listeners (tabs, reconnects); reads the store, so a battle
        answered by another worker process streams too; gives up after `answer_timeout_s`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.answer_timeout_s
        sent: set[str] = set()
        shown = {"a": 0, "b": 0}
        while True:
            changed = self._changed.get(battle_id)  # taken before the read: no wake-up is missed
            battle = await asyncio.to_thread(self.battle, battle_id, session_id)
            for side, text in (("a", battle.answer_a), ("b", battle.answer_b)):
                partial = self._partial.get(battle_id, {}).get(side, "")
                if text is not None and side not in sent:
                    sent.add(side)
                    yield "answer", side, text
                elif text is None and len(partial) > shown[side]:
                    shown[side] = len(partial)
                    yield "partial", side, partial
            if len(sent) == 2 or loop.time() > deadline:
                return
            with contextlib.suppress(TimeoutError):
                if changed is None:
                    await asyncio.sleep(0.5)
                else:
                    await asyncio.wait_for(changed.wait(), 0.5)
            await asyncio.sleep(0.05)  # batch a few tokens per event

    def _notify(self, battle_id: str) -> None:
        old = self._changed.get(battle_id)
        if old is not None:
            self._changed[battle_id] = asyncio.Event()
            old.set()

    def vote(self, battle_id: str, session_id: str, vote: str) -> bool:
        """True when this vote was counted; False when the battle was already voted (nothing changes)."""
        if vote not in VOTE_WINNER:
            raise VoteRefused(f"unknown vote {vote!r} (a, b, tie or bothbad)")
        battle = self.battle(battle_id, session_id)
        if battle.vote is not None:
            return False
        if not battle.finished:
            raise VoteRefused("both answers must finish before the vote")
        return record_vote(self.store, battle_id, session_id, vote)

    async def _answer(self, battle_id: str, models: tuple[str, str], prompt: str) -> None:
        partial = self._partial.setdefault(battle_id, {"a": "", "b": ""})

        async def one(side: str, name: str) -> None:
            def grow(delta: str) -> None:
                partial[side] += delta
                self._notify(battle_id)

            try:
                text = await self._generate(name, prompt, grow)
            except Exception:  # a failed backend still ends the battle: the visitor can vote "both bad"
                text = "(no answer: the model failed)"  # no exception name: it would hint at the backend
            await asyncio.to_thread(put_answer, self.store, battle_id, side, text)
            self._notify(battle_id)

        try:
            await asyncio.gather(one("a", models[0]), one("b", models[1]))
        finally:
            self._tasks.pop(battle_id, None)
            self._partial.pop(battle_id, None)
            asyncio.get_running_loop().call_later(60, self._changed.pop, battle_id, None)

    async def _generate(self, name: str, prompt: str, on_delta: Callable[[str], None]) -> str:
        model = self._models.get(name)
        if model is None:
            model = build_model(parse_model(name, dict(self.config.model_args.get(name, {}))))
            self._models[name] = model
        params = GenerationParams(max_tokens=self.config.max_tokens)
        request = GenerateRequest(messages=(Message("user", prompt),), params=params)
        parts = []
        async for delta in model.stream(request):  # a backend that cannot stream answers in one piece
            parts.append(delta)
            on_delta(delta)
        return "".join(parts)

    async def aclose(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        for model in self._models.values():
            with contextlib.suppress(Exception):
                await model.aclose()
        self._models.clear()
